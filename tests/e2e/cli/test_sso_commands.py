"""`roster sso ...` end to end: the real command on a real database file; every
failure exits 1 with a one-line reason."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from tests.support.sso_idp import TestIdp, make_keypair

ROSTER = [sys.executable, "-m", "roster"]


def roster(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ROSTER, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_sso_commands(tmp_path: Path) -> None:
    db = tmp_path / "roster.db"
    env = {
        **os.environ,
        "ROSTER_LOG_LEVEL": "WARNING",
        "ROSTER_DATABASE_URL": f"sqlite:///{db}",
        "ROSTER_PUBLIC_URL": "https://roster.example.test",
    }
    assert roster(env, "tenant", "create", "acme").returncode == 0
    idp = TestIdp()
    metadata = tmp_path / "okta.xml"
    metadata.write_text(idp.metadata())

    shown = roster(env, "sso", "show", "acme")
    assert shown.returncode == 0, shown.stderr
    assert "Single sign-on URL (ACS):  https://roster.example.test/saml2/acme/acs" in shown.stdout
    assert "Audience URI (entity id):  https://roster.example.test/saml2/acme/metadata" in (
        shown.stdout
    )
    assert "(not configured)" in shown.stdout

    refused = roster(env, "sso", "set", "acme", "--enable")
    assert refused.returncode == 1 and "metadata" in refused.stderr

    configured = roster(
        env, "sso", "configure", "acme", "--idp-metadata", str(metadata), "--enable"
    )
    assert configured.returncode == 0, configured.stderr
    assert idp.entity_id in configured.stdout and idp.sso_url in configured.stdout
    assert idp.keys.fingerprint in configured.stdout
    assert "enabled:                 yes" in configured.stdout

    toggled = roster(
        env,
        "sso",
        "set",
        "acme",
        "--no-allow-password-signin",
        "--allow-idp-initiated",
        "--nameid",
        "employee_number",
    )
    assert toggled.returncode == 0, toggled.stderr
    assert "password sign-in:        off" in toggled.stdout
    assert "IdP-initiated sign-in:   allowed" in toggled.stdout
    assert "NameID is:               employee_number" in toggled.stdout
    bad = roster(env, "sso", "set", "acme", "--nameid", "upn")
    assert bad.returncode == 1 and "NameID must be one of" in bad.stderr

    assert roster(env, "scim", "enable", "acme").returncode == 0
    jit = roster(env, "sso", "set", "acme", "--allow-jit")
    assert jit.returncode == 1 and "duplicates" in jit.stderr

    new = make_keypair("okta-next")
    pem = tmp_path / "next.pem"
    pem.write_text(new.cert_pem)
    added = roster(env, "sso", "cert", "add", "acme", str(pem))
    assert added.returncode == 0, added.stderr
    assert new.fingerprint in added.stdout and idp.keys.fingerprint in added.stdout
    removed = roster(env, "sso", "cert", "remove", "acme", idp.keys.fingerprint)
    assert removed.returncode == 0, removed.stderr
    assert idp.keys.fingerprint not in removed.stdout and new.fingerprint in removed.stdout
    last = roster(env, "sso", "cert", "remove", "acme", new.fingerprint)
    assert last.returncode == 1 and "last IdP certificate" in last.stderr

    with sqlite3.connect(db) as conn:
        tenant_id = conn.execute("SELECT id FROM tenants WHERE subdomain='acme'").fetchone()[0]
        conn.execute(
            "INSERT INTO console_users (tenant_id, id, email, email_lower, roles, break_glass,"
            " created_at) VALUES (?, 'admin-1', 'ops@acme.test', 'ops@acme.test', '[]', 0, ?)",
            (tenant_id, datetime.now(UTC).isoformat()),
        )
    glass = roster(env, "sso", "break-glass", "acme", "ops@acme.test")
    assert glass.returncode == 0, glass.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT break_glass FROM console_users").fetchone()[0] == 1
    assert roster(env, "sso", "break-glass", "acme", "ops@acme.test", "--off").returncode == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT break_glass FROM console_users").fetchone()[0] == 0
    nobody = roster(env, "sso", "break-glass", "acme", "nobody@acme.test")
    assert nobody.returncode == 1 and "no console admin" in nobody.stderr


def test_sso_configure_errors_are_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ROSTER_LOG_LEVEL": "WARNING",
        "ROSTER_DATABASE_URL": f"sqlite:///{tmp_path / 'roster.db'}",
    }
    assert roster(env, "tenant", "create", "acme").returncode == 0
    missing = roster(env, "sso", "configure", "acme", "--idp-metadata", str(tmp_path / "nope"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr
    junk = tmp_path / "junk.xml"
    junk.write_text("<EntityDescriptor>")
    bad = roster(env, "sso", "configure", "acme", "--idp-metadata", str(junk))
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: the IdP metadata is not valid XML")
    assert len(bad.stderr.strip().splitlines()) == 1
    unknown = roster(env, "sso", "show", "globex")
    assert unknown.returncode == 1 and "no company" in unknown.stderr

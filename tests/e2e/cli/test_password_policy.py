"""`roster admin create` names the password policy's reason for refusing a password (the
policy itself: tests/unit/directory/test_password_policy.py)."""

from __future__ import annotations

from tests.e2e.console.test_csv_import import _roster
from tests.support.harness import LiveServer, make_company


def test_the_cli_names_the_reason(server: LiveServer) -> None:
    company = make_company(server)
    common = _roster(
        server, "admin", "create", company.subdomain, "b@co.example", stdin="password1234\n"
    )
    assert common.returncode == 1
    assert "most commonly used passwords" in common.stderr
    company.client.close()

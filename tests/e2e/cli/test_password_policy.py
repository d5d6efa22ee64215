"""`roster admin create` names the password policy's reason for refusing a password (the
policy itself: tests/unit/directory/test_password_policy.py)."""

from __future__ import annotations

from tests.support.harness import LiveServer, make_company
from tests.support.helpers import roster_cli


def test_the_cli_names_the_reason(server: LiveServer) -> None:
    company = make_company(server)
    common = roster_cli(
        server, "admin", "create", company.subdomain, "b@co.example", stdin="password1234\n"
    )
    assert common.returncode == 1
    assert "most commonly used passwords" in common.stderr
    company.client.close()

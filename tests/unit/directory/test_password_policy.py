"""Console passwords: long, and not one of the commonly used or easily guessed ones
(NIST SP 800-63B §5.1.1.2), from the CLI and the directory alike."""

from __future__ import annotations

import pytest

from roster.directory import admins
from roster.model.errors import DirectoryError
from tests.e2e.console.test_csv_import import _roster
from tests.support.harness import LiveServer, make_company


@pytest.mark.parametrize(
    "password",
    [
        "password1234",  # in the list of the 30,000 most common
        "QWERTYUIOP12",  # the list, whatever the case
        "Password1234!",  # a common one dressed up
        "iloveyou2026",
        "aaaaaaaaaaaaaaaa",  # repetition
        "abcdefghijklmn",  # a sequence
    ],
)
def test_common_and_guessable_passwords_are_refused(password: str) -> None:
    with pytest.raises(DirectoryError) as refused:
        admins.check_password(password, context=("jordan@acme.example", "acme"))
    assert refused.value.attribute == "password"
    assert "choose another" in refused.value.message


def test_the_admins_own_email_and_company_do_not_make_a_password() -> None:
    with pytest.raises(DirectoryError):
        admins.check_password("Jordan@Acme.example", context=("jordan@acme.example", "acme"))


@pytest.mark.parametrize(
    "password", ["correct-horse-battery-staple", "vivid otter mails quietly", "xK9#mP2$vL5@qR"]
)
def test_strong_passwords_are_accepted(password: str) -> None:
    admins.check_password(password, context=("jordan@acme.example", "acme"))


def test_the_cli_names_the_reason(server: LiveServer) -> None:
    company = make_company(server)
    common = _roster(
        server, "admin", "create", company.subdomain, "b@co.example", stdin="password1234\n"
    )
    assert common.returncode == 1
    assert "most commonly used passwords" in common.stderr
    company.client.close()

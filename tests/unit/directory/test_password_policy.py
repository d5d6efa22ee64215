"""Console passwords: long, and not one of the commonly used or easily guessed ones
(NIST SP 800-63B §5.1.1.2): the directory's check (the CLI's refusal:
tests/e2e/cli/test_password_policy.py)."""

from __future__ import annotations

import pytest

from roster.directory import admins
from roster.model.errors import DirectoryError


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

"""Okta's dialect, from its recorded shapes (tests/idp/okta/, docs/okta.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from roster.model.registry import UserSchemas
from roster.scim import dialects
from roster.scim.errors import ScimError
from roster.scim.users import parse_user

RECORDED = Path(__file__).parents[3] / "idp" / "okta"
SCHEMAS = UserSchemas("urn:ietf:params:scim:schemas:extension:15five:2.0:User", ())


def _with_empty_values() -> dict[str, object]:
    """Okta's create body with "push empty values": an emptied phone and second email."""
    body = json.loads((RECORDED / "create_user.json").read_text())
    body["emails"].append({"value": "", "type": "home"})
    body["phoneNumbers"] = [{"value": "", "type": "work"}]
    return dict(body)


def test_empty_values_are_dropped() -> None:
    data = parse_user(_with_empty_values(), SCHEMAS)
    assert [e["value"] for e in data.fields["emails"]] == [data.fields["email"]]
    assert data.fields["phone_numbers"] == []


def test_the_rfc_codec_alone_refuses_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dialects, "_USER_REWRITES", ())
    with pytest.raises(ScimError) as caught:
        parse_user(_with_empty_values(), SCHEMAS)
    assert "needs a value" in caught.value.detail


def test_every_recorded_create_is_read() -> None:
    for name in ("create_user.json", "create_user_2019.json", "create_user_extensions.json"):
        body = json.loads((RECORDED / name).read_text())
        assert parse_user(body, SCHEMAS).fields["user_name"], name


@pytest.mark.parametrize(
    ("user_agent", "name"),
    [
        ("Okta SCIM Client 1.0.0", "Okta"),
        ("Okta-Provisioning/2024.01", "Okta"),
        ("Azure AD SCIM", "Microsoft Entra ID"),
        ("Microsoft.Identity.Provisioning", "Microsoft Entra ID"),
        ("OneLogin SCIM", "OneLogin"),
        ("curl/8.5.0", "curl/8.5.0"),
        (None, "unknown client"),
    ],
)
def test_the_client_is_named_for_people(user_agent: str | None, name: str) -> None:
    assert dialects.idp_name(user_agent) == name

"""What a Security Event Token delivery sends, without a network: the claims of RFC 8417
in the SCIM profile (RFC 9967, draft-ietf-scim-events-16's sections), the SCIM data of
each event (a User or Group for create, the equivalent PatchOp for patch, nothing for
delete/activate/deactivate), txn shared by one change's events, a JWS that joserfc
verifies against the public JWK alone; how RFC 8935 refusals are read; and the sealing
that keeps the private keys and Authorization headers in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet

from roster.config import Settings
from roster.delivery.deliverer import Deliverer
from roster.delivery.scim_projection import PATCH_OP
from roster.delivery.security_events import NothingToTell, claims_of, sign, sub_id, txn_of
from roster.delivery.sending import Attempt
from roster.delivery.set_push import refusal
from roster.directory.sealing import Sealer, SealError
from roster.directory.signing_keys import SigningKey, _opened, new_row, signing_row
from roster.model.registry import CORE_GROUP, CORE_USER, ENTERPRISE_USER, UserSchemas
from roster.model.security_events import EVENT_URIS, SET_TYPES, types_for
from roster.store.db import Database

URN = "urn:ietf:params:scim:schemas:extension:15Five:2.0:User"
SCHEMAS = UserSchemas(URN)
AT = datetime(2026, 12, 2, 9, 41, 7, 654321, tzinfo=UTC)
NOW = datetime(2026, 12, 2, 9, 41, 9, tzinfo=UTC)
PERSON = {
    "id": "p1",
    "external_id": "00u1abcd",
    "user_name": "ada@acme.example",
    "formatted_name": "Ada Lovelace",
    "family_name": "Lovelace",
    "given_name": "Ada",
    "middle_name": None,
    "display_name": "Ada Lovelace",
    "title": "Lead",
    "active": True,
    "email": "ada@acme.example",
    "employee_number": "E1",
    "department": "Engineering",
    "manager_id": "m1",
    "start_date": "2026-01-05",
    "location": None,
    "custom": {"customTeam": "Core", "customNone": None},
    "deleted": False,
    "created_at": "2026-12-02T09:30:01.123456+00:00",
    "updated_at": "2026-12-02T09:41:07.654321+00:00",
}


def event(kind: str, data: dict[str, Any], **over: Any) -> dict[str, Any]:
    return {
        "id": over.pop("id", "e-" + kind),
        "seq": 7,
        "type": kind,
        "occurred_at": over.pop("occurred_at", AT),
        "actor": "token:t1",
        "resource_type": over.pop("resource_type", "User"),
        "resource_id": over.pop("resource_id", "p1"),
        "data": data,
    }


def claims(e: dict[str, Any]) -> dict[str, Any]:
    return claims_of(
        e, company="acme", issuer="https://r.example/companies/acme", audience="aud-1",
        schemas=SCHEMAS, now=NOW,
    )  # fmt: skip


def the_payload(e: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ((uri, body),) = claims(e)["events"].items()
    return uri, body


def test_the_claims_are_rfc_8417s_with_rfc_9967s_subject() -> None:
    c = claims(event("person.created", {"object": PERSON, "changes": {}}))
    assert c["iss"] == "https://r.example/companies/acme" and c["aud"] == "aud-1"
    assert c["iat"] == int(NOW.timestamp()) and c["toe"] == int(AT.timestamp())
    assert c["jti"] == "e-person.created"  # the event's id: the feed's and the webhooks'
    assert c["sub_id"] == {"format": "scim", "uri": "/Users/p1", "externalId": "00u1abcd"}
    assert "sub" not in c  # RFC 9967 §2.1: MUST NOT
    assert set(c) == {"iss", "aud", "iat", "jti", "txn", "toe", "sub_id", "events"}
    group = event(
        "group.deleted", {"object": {"id": "g1"}}, resource_type="Group", resource_id="g1"
    )
    assert sub_id(group) == {"format": "scim", "uri": "/Groups/g1"}  # no externalId: none


def test_a_create_carries_the_scim_user() -> None:
    uri, body = the_payload(event("person.created", {"object": PERSON, "changes": {}}))
    assert uri == "urn:ietf:params:scim:event:prov:create:full"
    assert body == {
        "data": {
            "schemas": [CORE_USER, ENTERPRISE_USER, URN],
            "id": "p1",
            "externalId": "00u1abcd",
            "userName": "ada@acme.example",
            "displayName": "Ada Lovelace",
            "title": "Lead",
            "active": True,
            "name": {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada"},
            "emails": [{"value": "ada@acme.example", "primary": True}],
            ENTERPRISE_USER: {
                "employeeNumber": "E1",
                "department": "Engineering",
                "manager": {"value": "m1"},
            },
            URN: {"startDate": "2026-01-05", "customTeam": "Core"},
            "meta": {
                "resourceType": "User",
                "created": "2026-12-02T09:30:01.123456Z",
                "lastModified": "2026-12-02T09:41:07.654321Z",
            },
        }
    }
    restored = the_payload(event("person.restored", {"object": PERSON, "changes": {}}))
    assert restored == (uri, body)  # the resource exists again, with its id


def test_an_update_carries_the_equivalent_patchop() -> None:
    changes = {
        "title": {"old": None, "new": "Lead"},
        "given_name": {"old": "Ad", "new": "Ada"},
        "department": {"old": "Eng", "new": None},
        "manager_id": {"old": None, "new": "m1"},
        "active": {"old": True, "new": False},
        "email": {"old": "a@x", "new": "ada@acme.example"},
        "start_date": {"old": None, "new": "2026-01-05"},
        "custom": {"old": {"customTeam": "Old", "customGone": "x"}, "new": {"customTeam": "Core"}},
        "deleted_at": {"old": None, "new": "2026"},  # not a SCIM attribute: not told
    }
    uri, body = the_payload(event("person.updated", {"object": PERSON, "changes": changes}))
    assert uri == "urn:ietf:params:scim:event:prov:patch:full"
    assert body["data"]["schemas"] == [PATCH_OP]
    assert body["data"]["Operations"] == [
        {"op": "replace", "path": "title", "value": "Lead"},
        {"op": "replace", "path": "name.givenName", "value": "Ada"},
        {"op": "remove", "path": f"{ENTERPRISE_USER}:department"},
        {"op": "replace", "path": f"{ENTERPRISE_USER}:manager", "value": {"value": "m1"}},
        {"op": "replace", "path": "active", "value": False},
        {"op": "replace", "path": "emails",
         "value": [{"value": "ada@acme.example", "primary": True}]},
        {"op": "replace", "path": f"{URN}:startDate", "value": "2026-01-05"},
        {"op": "remove", "path": f"{URN}:customGone"},
        {"op": "replace", "path": f"{URN}:customTeam", "value": "Core"},
    ]  # fmt: skip


def test_deactivate_activate_and_delete_carry_nothing_and_one_change_shares_its_txn() -> None:
    changes = {"active": {"old": True, "new": False}}
    updated = event("person.updated", {"object": PERSON, "changes": changes}, id="a")
    deactivated = event("person.deactivated", {"object": PERSON, "changes": changes}, id="b")
    assert the_payload(deactivated) == ("urn:ietf:params:scim:event:prov:deactivate", {})
    reactivated = event("person.reactivated", {"object": PERSON, "changes": changes})
    assert the_payload(reactivated) == ("urn:ietf:params:scim:event:prov:activate", {})
    deleted = event("person.deleted", {"object": PERSON, "changes": {}})
    assert the_payload(deleted) == ("urn:ietf:params:scim:event:prov:delete", {})
    one, two = claims(updated), claims(deactivated)
    assert one["txn"] == two["txn"] and one["jti"] != two["jti"]
    later = event("person.updated", {"object": PERSON}, occurred_at=AT + timedelta(microseconds=1))
    assert txn_of(later, "acme") != one["txn"]
    assert txn_of(updated, "other") != one["txn"]  # another company
    assert txn_of(updated, "acme") == one["txn"]  # the same wherever it is computed


def test_groups_and_their_members() -> None:
    at = "2026-12-02T09:00:00+00:00"
    group = {"id": "g1", "display_name": "Eng", "external_id": "okta-g1", "group_type": "Teams",
             "created_at": at, "updated_at": at}  # fmt: skip
    on = {"resource_type": "Group", "resource_id": "g1"}
    uri, body = the_payload(event("group.created", {"object": group, "changes": {}}, **on))
    assert uri.endswith("prov:create:full")
    assert body["data"] == {
        "schemas": [CORE_GROUP], "id": "g1", "externalId": "okta-g1", "displayName": "Eng",
        "meta": {"resourceType": "Group", "created": "2026-12-02T09:00:00Z",
                 "lastModified": "2026-12-02T09:00:00Z"},
    }  # fmt: skip
    added = event("group.members_added", {"object": group, "members": ["p1", "p2"]}, **on)
    assert the_payload(added)[1]["data"]["Operations"] == [
        {"op": "add", "path": "members", "value": [{"value": "p1"}, {"value": "p2"}]}
    ]
    removed = event("group.members_removed", {"object": group, "members": ["p1", "p2"]}, **on)
    assert the_payload(removed)[1]["data"]["Operations"] == [
        {"op": "remove", "path": 'members[value eq "p1"]'},
        {"op": "remove", "path": 'members[value eq "p2"]'},
    ]
    renamed = {"display_name": {"old": "Eng", "new": "Engineering"}}
    assert the_payload(event("group.updated", {"object": group, "changes": renamed}, **on))[1][
        "data"
    ]["Operations"] == [{"op": "replace", "path": "displayName", "value": "Engineering"}]
    only_type = {"group_type": {"old": "Teams", "new": "Departments"}}
    with pytest.raises(NothingToTell):
        claims(event("group.updated", {"object": group, "changes": only_type}, **on))


@pytest.mark.parametrize("kind", ["person.manager_changed", "scim.token_created", "sso.configured"])
def test_events_without_a_scim_event_are_not_told(kind: str) -> None:
    with pytest.raises(NothingToTell):
        claims(event(kind, {"object": {}}))


def test_the_receivers_event_names() -> None:
    assert types_for(("urn:ietf:params:scim:event:prov:delete",)) == (
        "person.deleted",
        "group.deleted",
    )
    assert types_for(("person.created",)) == ("person.created",)
    with pytest.raises(ValueError, match=r"person\.manager_changed"):
        types_for(("person.manager_changed",))
    assert set(EVENT_URIS) == {
        f"urn:ietf:params:scim:event:prov:{e}"
        for e in ("create:full", "patch:full", "delete", "activate", "deactivate")
    }
    assert "person.manager_changed" not in SET_TYPES


def key(sealer: Sealer) -> SigningKey:
    return _opened(sealer, new_row(sealer, 1, NOW))


def test_the_set_is_a_jws_joserfc_verifies_with_the_public_jwk_alone() -> None:
    sealer = Sealer.from_secret("x" * 40)
    row = new_row(sealer, 1, NOW)
    signer = _opened(sealer, row)
    assert "d" not in row.public_jwk and row.public_jwk["kid"] == row.kid
    assert row.public_jwk["alg"] == "ES256" and row.public_jwk["use"] == "sig"
    c = claims(event("person.created", {"object": PERSON, "changes": {}}))
    token = sign(c, signer)
    verified = jwt.decode(token, KeySet.import_key_set({"keys": [row.public_jwk]}), ["ES256"])
    assert verified.header == {"alg": "ES256", "typ": "secevent+jwt", "kid": row.kid}
    assert verified.claims == c
    other = new_row(sealer, 2, NOW)
    with pytest.raises(BadSignatureError):  # same kid, another key: refused
        jwt.decode(token, KeySet.import_key_set({"keys": [{**other.public_jwk, "kid": row.kid}]}))


def test_the_newest_key_whose_time_has_come_signs() -> None:
    sealer = Sealer.from_secret("x" * 40)
    old, ahead = (
        new_row(sealer, 1, NOW - timedelta(days=1)),
        new_row(sealer, 2, NOW + timedelta(minutes=5)),
    )
    assert signing_row([ahead, old], NOW).kid == old.kid  # published ahead: not yet
    assert signing_row([ahead, old], NOW + timedelta(minutes=5)).kid == ahead.kid


def test_sealed_values_open_only_with_the_same_key_and_place() -> None:
    sealer = Sealer.from_secret("a" * 40)
    sealed = sealer.seal(b"Bearer s3cret", "set-receiver-authorization:r1")
    assert b"s3cret" not in sealed.encode() and sealed.startswith("v1.")
    assert sealer.unseal(sealed, "set-receiver-authorization:r1") == b"Bearer s3cret"
    with pytest.raises(SealError):  # moved to another row
        sealer.unseal(sealed, "set-receiver-authorization:r2")
    with pytest.raises(SealError, match="ROSTER_SECRET_KEY"):  # another deployment key
        Sealer.from_secret("b" * 40).unseal(sealed, "set-receiver-authorization:r1")


@pytest.mark.parametrize(
    ("status", "body", "refused"),
    [
        (400, '{"err": "invalid_key", "description": "unknown kid"}',
         "refused: invalid_key (unknown kid)"),
        (400, '{"err": "invalid_audience"}', "refused: invalid_audience"),
        (400, '{"err": "try_later"}', None),  # not one of RFC 8935 §2.4's: retried
        (400, "bad request", None),
        (500, '{"err": "invalid_key"}', None),  # only a 400 is a refusal
    ],
)  # fmt: skip
def test_rfc_8935_refusals_that_a_retry_cannot_cure(
    status: int, body: str, refused: str | None
) -> None:
    assert refusal(Attempt(status, f"HTTP {status}", body)) == refused


def test_a_refused_set_is_dead_at_once() -> None:
    settings = Settings(webhook_retry_schedule="1,2,3")
    deliverer = Deliverer(Database("sqlite:///unused.db"), settings)
    dead = deliverer.outcome_of(0, Attempt(400, "refused: invalid_key", "{}"), retry=False)
    assert not dead.delivered and dead.next_attempt_at is None
    retried = deliverer.outcome_of(0, Attempt(500, "HTTP 500", ""))
    assert retried.next_attempt_at is not None

"""What a Security Event Token delivery sends: one of the company's events as a SET
(RFC 8417), in the SCIM profile (RFC 9967, published from draft-ietf-scim-events-16,
whose section numbers these are), signed as a JWS (RFC 7515) with the deployment's
current signing key, POSTed per RFC 8935. docs/events.md shows a receiver verifying it.

The JWS header (RFC 8417 §2.3, explicit typing; RFC 7515 §4.1.4 kid):

    {"alg": "ES256", "typ": "secevent+jwt", "kid": <the signing key's thumbprint>}

The claims:

    iss     the receiver's issuer: the company as Roster names it to receivers
            (RFC 8417 §2.2, RFC 7519 §4.1.1)
    aud     the receiver's audience (RFC 7519 §4.1.3)
    iat     when this attempt was signed (RFC 7519 §4.1.6): a retry is signed afresh
    jti     the event's id (RFC 7519 §4.1.7): the same on every retry and replay, and
            the id the events feed and webhooks carry; receivers dedupe on it
    txn     the change the event is part of (RFC 8417 §2.2, RFC 9967 §2.2): the same
            for every SET of one change (a deactivation's patch and deactivate), on
            every retry and for every receiver
    toe     when the change committed (RFC 8417 §2.2), seconds since the epoch
    sub_id  the resource (RFC 9967 §2.1; RFC 9493's "scim" format): its relative
            "uri" (/Users/{id} or /Groups/{id}) and "externalId" when it has one;
            never "sub" (§2.1: "MUST NOT be used")
    events  one SCIM event URI and its payload (RFC 8417 §2.2, RFC 9967 §2.4):
            model/security_events.py lists which Roster event is which
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from joserfc import jwt

from roster.delivery import scim_projection as scim
from roster.directory.signing_keys import ALGORITHM, SigningKey
from roster.model.registry import UserSchemas
from roster.model.security_events import CREATE, PATCH, SET_EVENT

TYP = "secevent+jwt"  # RFC 8417 §2.3
MEDIA_TYPE = "application/secevent+jwt"  # RFC 8417 §7.2; RFC 8935 §2.1's Content-Type
_TXN_NAMESPACE = uuid.UUID("7d1c8f0e-3b0a-5a2e-9a55-5e7c0b9e2f10")
_ENDPOINT = {"User": "Users", "Group": "Groups"}


class NothingToTell(Exception):
    """An event no SET tells (a change of Roster's own group type only, say)."""


def txn_of(event: Mapping[str, Any], company: str) -> str:
    """The change an event belongs to: every event of one change has the company, the
    resource, the actor and the instant of the change in common (directory/events.py
    makes a change's events together, at one instant), while two changes of one
    resource are serialised by its row lock and so are microseconds apart at least. A
    name-based UUID (RFC 9562 §5.5) of those: stable, and the same wherever it is
    computed."""
    name = "|".join(
        (
            company,
            str(event["resource_type"]),
            str(event["resource_id"] or ""),
            str(event["actor"]),
            event["occurred_at"].isoformat(),
        )
    )
    return str(uuid.uuid5(_TXN_NAMESPACE, name))


def sub_id(event: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 9967 §2.1: format "scim", the resource's path after the SCIM base URL, and
    its externalId if known."""
    obj = (event.get("data") or {}).get("object") or {}
    subject: dict[str, Any] = {
        "format": "scim",
        "uri": f"/{_ENDPOINT[event['resource_type']]}/{event['resource_id']}",
    }
    if obj.get("external_id"):
        subject["externalId"] = obj["external_id"]
    return subject


def payload(event: Mapping[str, Any], schemas: UserSchemas) -> tuple[str, dict[str, Any]]:
    """The event's URI and its payload (RFC 9967 §2.4): "data" for full events, nothing
    for delete, activate and deactivate (§2.4.4-§2.4.6)."""
    kind = event["type"]
    uri = SET_EVENT.get(kind)
    if uri is None:
        raise NothingToTell(f"{kind} is not told as a Security Event Token")
    data = event.get("data") or {}
    obj = data.get("object") or {}
    person = event["resource_type"] == "User"
    if uri == CREATE:
        document = scim.user_document(obj, schemas) if person else scim.group_document(obj)
        return uri, {"data": document}
    if uri != PATCH:
        return uri, {}
    if kind in ("group.members_added", "group.members_removed"):
        op = scim.members_patch(kind == "group.members_added", data.get("members") or ())
    elif person:
        op = scim.person_patch(data.get("changes") or {}, schemas)
    else:
        op = scim.group_patch(data.get("changes") or {})
    if not op["Operations"]:
        raise NothingToTell(f"{kind} changed nothing SCIM names")
    return uri, {"data": op}


def claims_of(
    event: Mapping[str, Any],
    *,
    company: str,
    issuer: str,
    audience: str,
    schemas: UserSchemas,
    now: datetime,
) -> dict[str, Any]:
    uri, body = payload(event, schemas)
    occurred: datetime = event["occurred_at"]
    return {
        "iss": issuer,
        "aud": audience,
        "iat": int(now.timestamp()),
        "jti": event["id"],
        "txn": txn_of(event, company),
        "toe": int(occurred.timestamp()),
        "sub_id": sub_id(event),
        "events": {uri: body},
    }


def header(key: SigningKey) -> dict[str, str]:
    return {"alg": ALGORITHM, "typ": TYP, "kid": key.kid}


def sign(claims: Mapping[str, Any], key: SigningKey) -> str:
    """The SET as a compact JWS (RFC 7515 §7.1), by joserfc."""
    return jwt.encode(header(key), dict(claims), key.key, algorithms=[ALGORITHM])

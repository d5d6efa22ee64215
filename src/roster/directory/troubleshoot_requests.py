"""Troubleshooting checks on the identity provider's requests: refused because the
email or userName belongs to another person (409), asking for ids Roster never had
(404), carrying attributes Roster does not keep (noted on their changes), or not
arriving at all (no token used in 7 days).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote, unquote

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.directory.troubleshoot_findings import (
    RECENT,
    SAMPLES,
    Finding,
    person_label,
    recent_log,
)
from roster.model.person import NOT_KEPT, not_kept_name
from roster.store import audit as audit_store
from roster.store import people as people_store
from roster.store import tenants as tenant_store
from roster.store.tables import provisioning_log
from roster.store.tenants import Tenant
from roster.store.types import utcnow

QUIET = timedelta(days=7)
_PERSON = re.compile(r"person ([0-9a-f-]{36})")


async def email_conflicts(conn: AsyncConnection, tenant: Tenant) -> Finding:
    entries = await recent_log(conn, tenant.id, provisioning_log.c.status == 409)
    f = Finding(
        "email_conflict",
        "Email address already in use",
        "ok",
        "No email conflicts in the last 30 days.",
        link="/admin/log?status=409",
    )
    if not entries:
        return f
    f.severity = "problem"
    f.count = len(entries)
    f.summary = (
        f"{len(entries)} request(s) in the last 30 days were refused because the email or "
        "username belongs to another person."
    )
    holders: dict[str, dict[str, Any]] = {}
    ids = {m.group(1) for e in entries if (m := _PERSON.search(e["error_detail"] or ""))}
    for pid in ids:
        person = await people_store.get_any_person(conn, tenant.id, pid)
        if person:
            holders[pid] = person
    seen: set[str] = set()
    for e in entries:
        m = _PERSON.search(e["error_detail"] or "")
        holder = holders.get(m.group(1)) if m else None
        sent = _sent_user_name(e["request"])
        key = sent or e["id"]
        if key in seen:
            continue
        seen.add(key)
        if holder is None:
            detail = e["error_detail"] or ""
        elif not holder["active"]:
            detail = (
                f"held by deactivated person {person_label(holder)}: free their email, then "
                "retry in Okta"
            )
        elif holder["idp_linked_at"] is None:
            detail = (
                f"held by {person_label(holder)}, who existed before SCIM: assign them in Okta "
                "with exactly this email so Okta links them (Link existing people is on)"
                if tenant.setting("link_existing_people")
                else f"held by {person_label(holder)}, who existed before SCIM: turn on 'Link "
                "existing people' in the SCIM settings, then retry in Okta"
            )
        else:
            detail = (
                f"held by {person_label(holder)}, already provisioned by the identity "
                "provider: two of its users map to one email; fix the duplicate in Okta"
            )
        example = {
            "label": sent or f"{e['method']} {e['path']}",
            "detail": detail,
            "href": f"/admin/log/{e['id']}",
        }
        if holder is not None and not holder["active"]:
            # The fix, one click away: the confirmation for the person holding it.
            example["action"] = ("Free this email", f"/admin/people/{holder['id']}/free-email")
        f.examples.append(example)
        if len(f.examples) >= SAMPLES:
            break
    f.fix = [
        "An active person created before SCIM: assign them in Okta with an email that "
        "exactly matches; Okta's lookup links them and they show SCIM as their source.",
        "A deactivated person holds the email: Free this email (beside the example, or on "
        "their page) gives them a placeholder no one can hold; then retry the assignment in "
        "Okta.",
        "Otherwise contact support with the email and the request id from the log.",
    ]
    return f


def _sent_user_name(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    for key, value in body.items():
        if isinstance(key, str) and key.lower() == "username" and isinstance(value, str):
            return value
    return None


async def unknown_ids(conn: AsyncConnection, tenant: Tenant) -> Finding:
    entries = await recent_log(conn, tenant.id, provisioning_log.c.status == 404)
    f = Finding(
        "unknown_id",
        "Resource None not found",
        "ok",
        "No requests for unknown ids in the last 30 days.",
        link="/admin/log?status=404",
    )
    never: list[dict[str, Any]] = []
    for e in entries:
        rid = e["resource_id"]
        if not rid:
            continue
        if rid.lower() in ("none", "null", "undefined"):
            never.append(e)
            continue
        if (
            e["resource_type"] == "User"
            and await people_store.get_any_person(conn, tenant.id, rid) is None
        ):
            never.append(e)
    if not never:
        return f
    nones = sum(
        1 for e in never if (e["resource_id"] or "").lower() in ("none", "null", "undefined")
    )
    f.severity = "problem"
    f.count = len(never)
    f.summary = (
        f"{len(never)} request(s) asked for ids that never existed in Roster"
        + (f', {nones} of them literally "None"' if nones else "")
        + ". The identity provider holds a stale or empty link for those users."
    )
    f.fix = [
        'Roster never hands out a null or "None" id. The IdP kept a link from before '
        "(another app instance, or an import that failed).",
        "In Okta, unassign and reassign the affected users (or Provisioning > Force Sync) "
        "so Okta looks them up by username and stores Roster's id.",
    ]
    f.examples = [
        {
            "label": f"{e['method']} {unquote(e['path'])}",
            "detail": e["error_detail"],
            "href": f"/admin/log/{e['id']}",
        }
        for e in never[:SAMPLES]
    ]
    return f


# How many of the identity provider's recent changes with such a note are read.
NOTED_CHANGES = 500


async def attributes_not_kept(conn: AsyncConnection, tenant: Tenant) -> Finding:
    """Attributes in no schema Roster knows are accepted (identity providers send
    them) and noted on the change (scim/users.py); here they are named, so that an
    admin maps them to a custom attribute instead of believing they were kept."""
    f = Finding(
        "not_kept",
        "Attributes sent but not kept",
        "ok",
        "Everything the identity provider sent in the last 30 days is kept.",
        link="/admin/attributes",
    )
    rows = await audit_store.recent_notes(
        conn,
        tenant.id,
        utcnow() - RECENT,
        actor_prefix="token:",
        containing=NOT_KEPT,
        limit=NOTED_CHANGES,
    )
    seen: dict[str, dict[str, Any]] = {}  # the attribute -> its newest change, and a count
    for row in rows:
        for note in row["notes"] or []:
            name = not_kept_name(note) if isinstance(note, str) else None
            if name is None:
                continue
            if name not in seen:
                seen[name] = {"row": row, "note": note, "count": 0}
            seen[name]["count"] += 1
    if not seen:
        return f
    names = sorted(seen, key=str.lower)
    f.severity = "warning"
    f.count = len(names)
    f.summary = (
        f"Your identity provider sends {', '.join(names[:SAMPLES])}"
        + (f" and {len(names) - SAMPLES} more" if len(names) > SAMPLES else "")
        + ", which Roster does not keep — map "
        + ("it" if len(names) == 1 else "each")
        + " to a custom attribute."
    )
    f.fix = [
        "Roster accepts these (the request succeeds) but keeps nothing of them, so the "
        "identity provider believes a value was written that is not there.",
        "To keep one: on the Custom attributes page add an attribute (its name starts with "
        "'custom'), then in the identity provider map the source field to it under the "
        "company extension URN shown there.",
        "Otherwise remove the mapping in the identity provider so it stops sending it.",
    ]
    for name in names[:SAMPLES]:
        found = seen[name]
        row = found["row"]
        f.examples.append(
            {
                "label": name,
                "detail": f"your identity provider sends {name}, which Roster does not keep "
                f"— map it to a custom attribute (in {found['count']} recent change(s), "
                f"last {row['at']:%Y-%m-%d %H:%M} UTC)",
                "href": f"/admin/log?q={quote(row['request_id'])}"
                if row["request_id"]
                else "/admin/log",
            }
        )
    return f


async def quiet_connection(conn: AsyncConnection, tenant: Tenant) -> Finding:
    f = Finding(
        "quiet",
        "SCIM enabled but nothing arrives",
        "ok",
        "The identity provider has used a token in the last 7 days.",
        link="/admin/integrations/scim",
    )
    if not tenant.scim_enabled:
        f.summary = "SCIM is off."
        return f
    tokens = [t for t in await tenant_store.list_tokens(conn, tenant.id) if t.revoked_at is None]
    now = utcnow()
    if not tokens:
        f.severity = "problem"
        f.summary = "SCIM is on but there is no active token, so no identity provider can connect."
        f.fix = ["Generate a token on the SCIM 2.0 page and paste it into Okta's API Token field."]
        return f
    last = max((t.last_used_at for t in tokens if t.last_used_at), default=None)
    if last is None or now - last > QUIET:
        f.severity = "warning"
        when = "never" if last is None else f"last on {last:%Y-%m-%d %H:%M} UTC"
        f.summary = f"SCIM is on, but no token has been used in 7 days ({when})."
        f.fix = [
            "In Okta: Provisioning > Integration > Enable API Integration, enter the base URL "
            "and the token, and Test API Credentials.",
            "Check Provisioning > To App has Create Users, Update User Attributes and "
            "Deactivate Users enabled, and that users are assigned.",
            "A revoked or retyped token gives 401: generate a new one here.",
        ]
        f.examples = [
            {
                "label": t.label or t.id,
                "detail": "never used"
                if t.last_used_at is None
                else f"last used {t.last_used_at:%Y-%m-%d %H:%M} UTC",
                "href": "/admin/integrations/scim",
            }
            for t in tokens
        ]
    return f

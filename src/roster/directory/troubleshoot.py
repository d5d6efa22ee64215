"""Troubleshooting: the common provisioning failures, looked for in this company's data
and provisioning log, each with what was found and what to do. Shared by the console's
Troubleshooting page and `roster doctor`.

The cases are 15Five's help-center articles for Okta (shared/reference): updates or
deprovisioning not working for some users; manager not syncing; start date or location
not syncing; custom attributes not syncing; email address already in use; "Resource
None not found"; and a connection that has gone quiet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import unquote

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.directory.tenants import custom_attributes
from roster.store import people as people_store
from roster.store import provisioning_log as log_store
from roster.store import tenants as tenant_store
from roster.store.db import Database
from roster.store.tables import people, provisioning_log
from roster.store.tenants import Tenant
from roster.store.types import utcnow

Severity = Literal["problem", "warning", "ok"]
RECENT = timedelta(days=30)
QUIET = timedelta(days=7)
SAMPLES = 10
_PERSON = re.compile(r"person ([0-9a-f-]{36})")
_DATE_WORDS = ("startdate", "hiredate", "terminationdate", "location")


@dataclass
class Finding:
    key: str
    title: str  # the symptom, as an admin would search for it
    severity: Severity
    summary: str
    fix: list[str] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)  # {label, detail, href}
    count: int = 0
    link: str | None = None  # where the console lists them


def _name(p: dict[str, Any]) -> str:
    full = " ".join(x for x in (p.get("given_name"), p.get("family_name")) if x)
    return f"{full} <{p['email']}>" if full and p.get("email") else str(p.get("user_name"))


async def _people(
    conn: AsyncConnection, tenant_id: int, *conditions: Any, limit: int = SAMPLES
) -> tuple[int, list[dict[str, Any]]]:
    where = [people.c.tenant_id == tenant_id, people.c.deleted_at.is_(None), *conditions]
    total = int(
        (
            await conn.execute(sa.select(sa.func.count()).select_from(people).where(*where))
        ).scalar_one()
    )
    rows = await conn.execute(
        sa.select(
            people.c.id,
            people.c.user_name,
            people.c.email,
            people.c.given_name,
            people.c.family_name,
            people.c.manager_pending,
            people.c.source,
            people.c.location,
        )
        .where(*where)
        .order_by(people.c.user_name_lower)
        .limit(limit)
    )
    return total, [dict(r._mapping) for r in rows]


async def _log(
    conn: AsyncConnection, tenant_id: int, *conditions: Any, limit: int = 200
) -> list[dict[str, Any]]:
    since = log_store.id_floor(utcnow() - RECENT)
    rows = await conn.execute(
        sa.select(provisioning_log)
        .where(
            provisioning_log.c.tenant_id == tenant_id, provisioning_log.c.id >= since, *conditions
        )
        .order_by(provisioning_log.c.id.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


async def not_linked(conn: AsyncConnection, tenant: Tenant) -> Finding:
    total, rows = await _people(
        conn, tenant.id, people.c.idp_linked_at.is_(None), people.c.active.is_(True)
    )
    f = Finding(
        "not_linked",
        "Updates or deprovisioning not working for some users",
        "ok",
        "Every active person is linked to the identity provider.",
        link="/admin/people?linked=no&status=active",
    )
    if not tenant.scim_enabled:
        f.summary = "SCIM is off, so nobody is managed by an identity provider yet."
        return f
    if total:
        f.severity = "warning"
        f.count = total
        f.summary = (
            f"{total} active {'person was' if total == 1 else 'people were'} created before "
            "SCIM (or by CSV) and never linked: the identity provider's updates and "
            "deactivations do not reach them."
        )
        f.fix = [
            "In Okta, assign each of them to the Roster app with exactly the email shown "
            "here; Okta looks them up by userName and Roster links the existing person "
            "(keep 'Link existing people' on in the SCIM settings).",
            "Already assigned? Push them again (Okta: Provisioning > Force Sync, or edit "
            "and save the user) so Okta repeats the lookup.",
            "People who should not be in Roster: deactivate them here.",
        ]
        f.examples = [
            {
                "label": _name(p),
                "detail": f"source: {p['source']}",
                "href": f"/admin/people/{p['id']}",
            }
            for p in rows
        ]
    return f


async def managers_pending(conn: AsyncConnection, tenant: Tenant) -> Finding:
    total, rows = await _people(conn, tenant.id, people.c.manager_pending.is_not(None))
    f = Finding(
        "manager",
        "Manager not syncing",
        "ok",
        "Every manager reference that was sent matched a person.",
    )
    if not tenant.setting("sync_managers"):
        f.severity = "warning"
        f.summary = (
            "Manager sync is off in the SCIM settings: managers sent by the IdP are ignored."
        )
        f.fix = ["Turn on 'Sync managers' on the SCIM 2.0 page if the IdP should own managers."]
        return f
    if total:
        f.severity = "problem"
        f.count = total
        f.summary = (
            f"{total} {'person has' if total == 1 else 'people have'} a manager reference "
            "that matches nobody in Roster."
        )
        f.fix = [
            "The manager value must be the manager's email, employee number, Roster user "
            "id or SCIM id (tried in that order). With an HRIS feeding Okta, map "
            "managerId to the manager's email or employee ID.",
            "The manager must be assigned to Roster in the IdP too: once they arrive, "
            "waiting reports are linked automatically.",
        ]
        f.examples = [
            {
                "label": _name(p),
                "detail": f"manager sent: {p['manager_pending']!r}",
                "href": f"/admin/people/{p['id']}",
            }
            for p in rows
        ]
    return f


async def dates_and_location(conn: AsyncConnection, tenant: Tenant) -> Finding:
    f = Finding(
        "dates_location",
        "Start date or location not syncing",
        "ok",
        "Start dates and locations are arriving.",
        link="/admin/log?outcome=failures&q=date",
    )
    if not tenant.scim_enabled:
        f.summary = "SCIM is off."
        return f
    linked = [people.c.idp_linked_at.is_not(None)]
    total_linked, _ = await _people(conn, tenant.id, *linked, limit=0)
    missing = {}
    for column, label in (
        (people.c.start_date, "startDate"),
        (people.c.location, "location"),
    ):
        have, _ = await _people(conn, tenant.id, *linked, column.is_not(None), limit=0)
        if total_linked and have == 0:
            missing[label] = total_linked
    rejected = [
        e
        for e in await _log(conn, tenant.id, provisioning_log.c.status == 400)
        if any(w in (e["error_detail"] or "").lower() for w in _DATE_WORDS)
    ]
    partial_total, partial = await _people(
        conn, tenant.id, people.c.location.is_not(None), ~people.c.location.contains(",")
    )
    if not missing and not rejected and not partial_total:
        return f
    f.severity = "problem" if rejected else "warning"
    parts = []
    if missing:
        parts.append(
            " and ".join(missing) + f" never received for any of the {total_linked} linked people"
        )
    if rejected:
        parts.append(f"{len(rejected)} request(s) rejected for a malformed date or location")
    if partial_total:
        parts.append(f'{partial_total} location(s) have one part only (expected "City, State, CC")')
    f.count = len(rejected) + partial_total + (1 if missing else 0)
    f.summary = "; ".join(parts) + "."
    f.fix = [
        "In Okta's Profile Editor, the attribute's External namespace must be exactly "
        "the company extension URN, and the variable name exactly startDate (case-sensitive).",
        "Check the mapping 'Okta User to Roster' exists and the source field is filled.",
        'Location: use String.join(", ", user.city, user.state, user.countryCode) and fill '
        "those three fields.",
        "Dates are YYYY-MM-DD (also accepted: ISO 8601 date-times and MM/DD/YYYY).",
    ]
    f.examples = [
        {
            "label": f"{e['method']} {unquote(e['path'])}",
            "detail": e["error_detail"],
            "href": f"/admin/log/{e['id']}",
        }
        for e in rejected[:SAMPLES]
    ] + [
        {
            "label": _name(p),
            "detail": f"location: {p['location']!r}",
            "href": f"/admin/people/{p['id']}",
        }
        for p in partial[: max(0, SAMPLES - len(rejected))]
    ]
    return f


async def custom_never_received(conn: AsyncConnection, tenant: Tenant) -> Finding:
    f = Finding(
        "custom",
        "Custom attributes not syncing",
        "ok",
        "Every custom attribute has values.",
        link="/admin/attributes",
    )
    attrs = custom_attributes(tenant)
    if not attrs:
        f.summary = "No custom attributes are defined."
        return f
    empty = []
    for attr in attrs:
        have, _ = await _people(
            conn, tenant.id, people.c.custom[attr.name].as_string().is_not(None), limit=0
        )
        # JSON null vs missing: a missing key compares as SQL NULL on both databases.
        if have == 0:
            empty.append(attr.name)
    if not empty:
        return f
    f.severity = "warning"
    f.count = len(empty)
    f.summary = f"{len(empty)} custom attribute(s) never received a value: {', '.join(empty)}."
    f.fix = [
        "In Okta's Profile Editor, name the variable exactly as here (it starts with "
        "'custom'), set External namespace to the company extension URN shown on the "
        "Custom attributes page, and map it.",
        "Make sure the source field is filled for the users, then trigger a profile "
        "update (edit and save, or Force Sync).",
    ]
    return f


async def email_conflicts(conn: AsyncConnection, tenant: Tenant) -> Finding:
    entries = await _log(conn, tenant.id, provisioning_log.c.status == 409)
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
        "userName belongs to another person."
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
                f"held by deactivated person {_name(holder)}: change that person's email to "
                "a placeholder (deactivated+name@...), then retry in Okta"
            )
        elif holder["idp_linked_at"] is None:
            detail = (
                f"held by {_name(holder)}, who existed before SCIM: assign them in Okta with "
                "exactly this email so Okta links them (Link existing people is on)"
                if tenant.setting("link_existing_people")
                else f"held by {_name(holder)}, who existed before SCIM: turn on 'Link "
                "existing people' in the SCIM settings, then retry in Okta"
            )
        else:
            detail = (
                f"held by {_name(holder)}, already provisioned by the IdP: two IdP users "
                "map to one email; fix the duplicate in Okta"
            )
        f.examples.append(
            {
                "label": sent or f"{e['method']} {e['path']}",
                "detail": detail,
                "href": f"/admin/log/{e['id']}",
            }
        )
        if len(f.examples) >= SAMPLES:
            break
    f.fix = [
        "An active person created before SCIM: assign them in Okta with an email that "
        "exactly matches; Okta's lookup links them and they show SCIM as their source.",
        "A deactivated person holds the email: change their email to a placeholder "
        "(e.g. deactivated+name@your-domain), then retry the assignment in Okta.",
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
    entries = await _log(conn, tenant.id, provisioning_log.c.status == 404)
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
        "so Okta looks them up by userName and stores Roster's id.",
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


CHECKS = (
    email_conflicts,
    unknown_ids,
    not_linked,
    managers_pending,
    dates_and_location,
    custom_never_received,
    quiet_connection,
)


async def diagnose(db: Database, tenant: Tenant) -> list[Finding]:
    async with db.read() as conn:
        fresh = await tenant_store.tenant_by_id(conn, tenant.id)
        assert fresh is not None
        findings = [await check(conn, fresh) for check in CHECKS]
    order = {"problem": 0, "warning": 1, "ok": 2}
    return sorted(findings, key=lambda f: order[f.severity])

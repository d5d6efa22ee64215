"""Troubleshooting checks on what the company's people hold: people never linked to
the identity provider, manager references that match nobody, and attributes that never
arrive (start date, location, custom attributes; a start date or location the IdP sent
malformed shows in the provisioning log).
"""

from __future__ import annotations

from urllib.parse import unquote

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.directory.tenants import custom_attributes
from roster.directory.troubleshoot_findings import (
    SAMPLES,
    Finding,
    people_sample,
    person_label,
    recent_log,
)
from roster.store.tables import people, provisioning_log
from roster.store.tenants import Tenant

_DATE_WORDS = ("startdate", "hiredate", "terminationdate", "location")


async def not_linked(conn: AsyncConnection, tenant: Tenant) -> Finding:
    total, rows = await people_sample(
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
            "here; Okta looks them up by username and Roster links the existing person "
            "(keep 'Link existing people' on in the SCIM settings).",
            "Already assigned? Push them again (Okta: Provisioning > Force Sync, or edit "
            "and save the user) so Okta repeats the lookup.",
            "People who should not be in Roster: deactivate them here.",
        ]
        f.examples = [
            {
                "label": person_label(p),
                "detail": f"source: {p['source']}",
                "href": f"/admin/people/{p['id']}",
            }
            for p in rows
        ]
    return f


async def managers_pending(conn: AsyncConnection, tenant: Tenant) -> Finding:
    total, rows = await people_sample(conn, tenant.id, people.c.manager_pending.is_not(None))
    f = Finding(
        "manager",
        "Manager not syncing",
        "ok",
        "Every manager reference that was sent matched a person.",
    )
    if not tenant.setting("sync_managers"):
        f.severity = "warning"
        f.summary = (
            "Manager sync is off in the SCIM settings: managers sent by the identity "
            "provider are ignored."
        )
        f.fix = [
            "Turn on 'Sync managers' on the SCIM 2.0 page if the identity provider should "
            "own managers."
        ]
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
            "The manager must be assigned to Roster in the identity provider too: once "
            "they arrive, waiting reports are linked automatically.",
        ]
        f.examples = [
            {
                "label": person_label(p),
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
    total_linked, _ = await people_sample(conn, tenant.id, *linked, limit=0)
    missing = {}
    for column, label in (
        (people.c.start_date, "startDate"),
        (people.c.location, "location"),
    ):
        have, _ = await people_sample(conn, tenant.id, *linked, column.is_not(None), limit=0)
        if total_linked and have == 0:
            missing[label] = total_linked
    rejected = [
        e
        for e in await recent_log(conn, tenant.id, provisioning_log.c.status == 400)
        if any(w in (e["error_detail"] or "").lower() for w in _DATE_WORDS)
    ]
    partial_total, partial = await people_sample(
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
            "label": person_label(p),
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
        have, _ = await people_sample(
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

"""Which emails must be unique (decision 0016): a person's primary email is their work
email, the address Roster signs them in by (SSO's NameID), matches them by (an IdP's
lookup before a create, linking people who existed before SCIM, CSV rows, manager
references) and sends mail to. So a primary email belongs to one live person of the
company alone: no one else may have it among their emails, primary or not. Other
addresses that are nobody's primary (a shared team mailbox as a secondary) may be
shared.

Two checks, each run only for what a write adds: the new primary email against
everyone's emails (the primary against primaries is the unique index on
`people.email_lower`, reported by `holder_of`), and each address new to the person's
other emails against everyone's primary email. A refusal is a 409 (SCIM's
`uniqueness`) naming the field, who holds the address and how, and the fix.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.directory.person_values import conflict_detail, holder_situation
from roster.model.errors import conflict
from roster.store import people as store
from roster.store.people import Person
from roster.store.tenants import Tenant


def _changed(value: str | None, current_lower: str | None) -> str | None:
    """The value if it differs (regardless of case) from what the person has now."""
    return value if value and value.lower() != current_lower else None


async def refuse_taken_keys(
    conn: AsyncConnection, tenant: Tenant, values: dict[str, Any], person: Person
) -> None:
    """An update of `person` to `values`: a new userName or primary email someone else
    has (Okta's deactivation and most updates change neither), then the email rule."""
    holders = await store.holder_of(
        conn,
        tenant.id,
        user_name=_changed(values["user_name"], person["user_name_lower"]),
        email=_changed(values["email"], person["email_lower"]),
        excluding=person["id"],
    )
    if holders:
        keys = {"user_name": values["user_name"], "email": values["email"]}
        raise conflict(conflict_detail(holders[0], **keys))
    await refuse_taken_emails(conn, tenant, values, person)


def _addresses(emails: Any) -> list[str]:
    return [str(e.get("value")) for e in emails or [] if e.get("value")]


async def refuse_taken_emails(
    conn: AsyncConnection, tenant: Tenant, values: dict[str, Any], person: Person | None
) -> None:
    """Refuses a write of `values` (a person's columns) by `person` (None: a create or
    a restore, where every address is new) that breaks the rule above."""
    if "emails" not in values and "email" not in values:
        return
    primary = values.get("email") if "email" in values else (person or {}).get("email")
    primary_lower = primary.lower() if primary else None
    emails = values["emails"] if "emails" in values else (person or {}).get("emails")
    had = set()
    if person is not None:
        had = {a.lower() for a in _addresses(person.get("emails"))}
        had.add(person.get("email_lower") or "")
    excluding = person["id"] if person is not None else None
    if primary_lower and (person is None or primary_lower != person.get("email_lower")):
        holders = await store.email_holders(
            conn, tenant.id, [primary_lower], excluding=excluding, as_primary=False
        )
        if holders:
            holder = holders[0]
            raise conflict(
                f"email {primary!r} is already one of the emails of "
                f"{holder_situation(holder)}, as an address other than their primary; "
                "a person's primary (work) email must be theirs alone, as Roster signs "
                f"people in and matches them by it. {_fix(holder)}",
                "emails",
            )
    added = [a for a in _addresses(emails) if a.lower() != primary_lower and a.lower() not in had]
    if added:
        holders = await store.email_holders(
            conn, tenant.id, added, excluding=excluding, as_primary=True
        )
        if holders:
            holder = holders[0]
            address = next(a for a in added if a.lower() == holder["email_lower"])
            raise conflict(
                f"emails: {address!r} is the primary (work) email of "
                f"{holder_situation(holder)}; it cannot also be another person's email, as "
                f"Roster signs people in and matches them by it. {_fix(holder)}",
                "emails",
            )


def _fix(holder: Person) -> str:
    if not holder["active"]:
        return (
            "Fix: in Roster, free that deactivated person's email (Free this email on their "
            "page, or `roster person free-email`; their emails become a placeholder no one "
            "can hold), then retry in the identity provider."
        )
    return (
        "Fix: the identity provider (or a CSV file) gives the address to two people; "
        "remove it from one of them there, then retry."
    )

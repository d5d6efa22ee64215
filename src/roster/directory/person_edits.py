"""An Account Admin's changes to a person, from the console and the CLI: edit the
fields, deactivate, reactivate, delete (a tombstone, restorable) and free a
deactivated person's email for someone new. Each is people.py's command (one
transaction, record_change: audit row and events, with the admin as actor), given a
PersonInput built from the person as they stand, so the rules SCIM's writes follow
(sessions ended on deactivation, reports reassigned, 409s that say who holds an
email) hold here too.

While SCIM is on, the identity provider owns what the registry says it owns
(`Attribute.owner`): an admin changes only Roster's own fields (timezone) and may free
a deactivated person's email, which is what unblocks the IdP's create of someone new
with it (docs/decisions/0013-offboarding-while-scim-is-on.md).
"""

from __future__ import annotations

from typing import Any

from roster.directory import people, tombstones
from roster.directory.audit import Actor
from roster.directory.browse import timezones
from roster.directory.people import Written
from roster.directory.tenants import custom_attributes
from roster.model.errors import DirectoryError, conflict, forbidden, not_found
from roster.model.person import UNSET, PersonInput
from roster.model.person_edit import FieldErrors, PersonEdit, freed_address
from roster.model.profile import ProfileField, profile_fields
from roster.model.registry import UserSchemas
from roster.store import people as people_store
from roster.store.db import Database
from roster.store.people import Person
from roster.store.tenants import Tenant

IDP_OWNS_OFFBOARDING = (
    "SCIM is on: your identity provider deactivates, reactivates and removes people "
    "(in Okta, deactivate the user or unassign the app). A change made here would be "
    "undone by its next update."
)


def editable_fields(tenant: Tenant) -> tuple[ProfileField, ...]:
    """The registry's fields of this company's people (custom attributes included)."""
    return profile_fields(UserSchemas("urn:roster:edit", custom_attributes(tenant)))


def changeable_now(tenant: Tenant, f: ProfileField) -> bool:
    """Whether an admin may change the field now: Roster's own always, the rest while
    SCIM is off."""
    return f.editable and (f.owner == "Roster" or not tenant.scim_enabled)


def offboarding_refusal(tenant: Tenant) -> str | None:
    """Why an admin may not deactivate, reactivate or delete people now, if not."""
    return IDP_OWNS_OFFBOARDING if tenant.scim_enabled else None


async def get_person(db: Database, tenant: Tenant, person_id: str) -> Person:
    """A person of the company, deleted or not."""
    async with db.read() as conn:
        person = await people_store.get_any_person(conn, tenant.id, person_id)
    if person is None:
        raise not_found(f"no person {person_id} in this company")
    return person


def _base(person: Person) -> PersonInput:
    """A write of nothing: the keys every write names, as they are."""
    return PersonInput(
        fields={"user_name": person["user_name"], "email": person["email"]},
        custom=dict(person["custom"] or {}),
    )


def _with_email(emails: list[dict[str, Any]] | None, old: str | None, new: str) -> list[Any]:
    """The person's emails with the primary one (or the one that was `old`) now `new`;
    the others kept."""
    out = [dict(e) for e in emails or []]
    for e in out:
        if e.get("primary") or (old and str(e.get("value", "")).lower() == old.lower()):
            e["value"] = new
            return out
    return [{"value": new, "type": "work", "primary": True}, *out]


def _refuse_idp_fields(tenant: Tenant, person: Person, edit: PersonEdit) -> None:
    if not tenant.scim_enabled:
        return
    owners = {f.field: f for f in editable_fields(tenant)}
    errors = {}
    for name, value in edit.fields.items():
        f = owners.get(name)
        if f is not None and f.owner != "Roster" and person.get(name) != value:
            errors[name] = f"{f.label} is managed by your identity provider: change it there"
    for name, value in edit.custom.items():
        if (person["custom"] or {}).get(name) != value:
            errors[f"custom:{name}"] = f"{name} is managed by your identity provider"
    if edit.manager_ref is not UNSET:
        current = {person["manager_id"], person["manager_pending"]} - {None}
        if edit.manager_ref not in current:
            errors["manager_id"] = "Manager is managed by your identity provider: change it there"
    if errors:
        raise FieldErrors(errors)


async def edit_person(
    db: Database, tenant: Tenant, person_id: str, edit: PersonEdit, *, actor: Actor
) -> Written:
    """Set the fields `edit` names; the rest stay. Refused, with every field named:
    a timezone that is no IANA name, a manager who matches nobody, is the person or
    reports to them, an email or username someone else has, and while SCIM is on any
    field the identity provider owns."""
    zone = edit.fields.get("timezone")
    if zone is not None and zone not in timezones():
        raise FieldErrors(
            {"timezone": f"Timezone: {zone!r} is not a timezone name (e.g. America/New_York)"}
        )

    async def make_input(person: Person) -> PersonInput:
        if person["deleted_at"] is not None:
            raise conflict("this person is deleted: restore them before editing")
        _refuse_idp_fields(tenant, person, edit)
        data = _base(person)
        data.manager_strict = True
        data.fields.update(edit.fields)
        custom = {**data.custom, **edit.custom}
        data.custom = {k: v for k, v in custom.items() if v is not None}
        if edit.manager_ref is not UNSET and edit.manager_ref not in (
            person["manager_id"],
            person["manager_pending"],
        ):
            data.manager_ref = edit.manager_ref
        email = data.fields.get("email")
        if email != person["email"]:
            data.fields["emails"] = (
                _with_email(person["emails"], person["email"], email) if email else []
            )
        return data

    try:
        return await people.update_person(
            db, tenant, person_id, make_input, actor=actor, action="person.update"
        )
    except FieldErrors:
        raise
    except DirectoryError as exc:
        if exc.kind == "conflict" and "already" in exc.message:
            taken = "user_name" if exc.message.startswith("userName") else "email"
            raise FieldErrors({taken: exc.message}) from None
        if exc.kind == "invalid" and exc.attribute:
            raise FieldErrors({exc.attribute: exc.message}) from None
        raise


async def set_active(
    db: Database, tenant: Tenant, person_id: str, active: bool, *, actor: Actor
) -> Written:
    """Deactivate (signed out everywhere; reports reassigned if the company says so) or
    reactivate a person. Refused while SCIM is on."""
    refusal = offboarding_refusal(tenant)
    if refusal:
        raise forbidden(refusal)

    async def make_input(person: Person) -> PersonInput:
        if person["deleted_at"] is not None:
            raise conflict("this person is deleted: restore them first")
        data = _base(person)
        data.fields["active"] = active
        return data

    return await people.update_person(
        db, tenant, person_id, make_input, actor=actor, action="person.update"
    )


async def delete_person(db: Database, tenant: Tenant, person_id: str, *, actor: Actor) -> None:
    """A tombstone, as SCIM DELETE makes: gone from SCIM (404) and the lists, restorable
    with its data. Refused while SCIM is on."""
    refusal = offboarding_refusal(tenant)
    if refusal:
        raise forbidden(refusal)
    await tombstones.delete_person(db, tenant, person_id, actor=actor)


async def free_email(db: Database, tenant: Tenant, person_id: str, *, actor: Actor) -> Written:
    """Give a deactivated person a username and email no one else can ever hold
    (`freed+<id>@roster.invalid`), so the identity provider can create someone new with
    the old ones. Their other emails go too: an address of theirs would block it as the
    new person's primary email (decision 0016). The old values stay in the audit trail.
    Allowed while SCIM is on: it is the fix for the IdP's "email already in use"."""
    placeholder = freed_address(person_id)

    async def make_input(person: Person) -> PersonInput:
        if person["active"]:
            raise conflict(
                "this person is active: only a deactivated person's email can be freed "
                "(deactivate them first)"
            )
        data = _base(person)
        data.fields.update(user_name=placeholder, email=placeholder)
        primary = _with_email(person["emails"], person["email"], placeholder)
        data.fields["emails"] = [e for e in primary if e.get("value") == placeholder][:1]
        data.notes.append("email and username freed for someone new")
        return data

    return await people.update_person(
        db, tenant, person_id, make_input, actor=actor, action="person.free_email"
    )

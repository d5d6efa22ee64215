"""Events: what downstream services hear of each change. Every event is born in
`record_change` (directory/audit.py), from the change it records, and written in the
change's own transaction (store/events.py), so a change that commits always has its
events and one that rolls back never does.

The types (docs/events.md describes each payload):

  person.created  person.updated  person.deactivated  person.reactivated
  person.deleted  person.restored  person.manager_changed
  group.created  group.updated  group.deleted  group.members_added
  group.members_removed
  scim.token_created  scim.token_revoked  sso.configured

`person.updated` carries the changed fields (old and new); deactivation, reactivation
and a new manager are also told apart as their own event. A membership change names
the ids, at most MEMBERS_PER_EVENT per event (a Push Now of 100,000 members is 100
events, not 100,000). Every event carries the resource as it stands after the change.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

from roster.model.profile import profile_fields
from roster.model.registry import UserSchemas
from roster.store.events import NewEvent
from roster.store.ids import new_id
from roster.store.types import utcnow

MEMBERS_PER_EVENT = 1000
TYPES = (
    "person.created",
    "person.updated",
    "person.deactivated",
    "person.reactivated",
    "person.deleted",
    "person.restored",
    "person.manager_changed",
    "group.created",
    "group.updated",
    "group.deleted",
    "group.members_added",
    "group.members_removed",
    "scim.token_created",
    "scim.token_revoked",
    "sso.configured",
)
# Fields a change may name that are never told downstream.
_UNTOLD = frozenset({"password", "password_hash", "version", "user_name_lower", "email_lower"})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@cache
def _person_fields() -> tuple[str, ...]:
    """Every attribute the registry stores for a person (any company URN names the same
    fields; custom attributes travel in `custom`)."""
    fields = [
        f.field for f in profile_fields(UserSchemas("urn:roster:events")) if ":" not in f.field
    ]
    return tuple(dict.fromkeys(["id", *fields]))


@cache
def _date_fields() -> tuple[str, ...]:
    every = profile_fields(UserSchemas("urn:roster:events"))
    return tuple(f.field for f in every if f.kind in ("date", "dateTime"))


def person_object(person: Mapping[str, Any]) -> dict[str, Any]:
    out = {f: person.get(f) for f in _person_fields()}
    for f in _date_fields():
        if out[f] is not None:
            out[f] = _plain(out[f])
    out["custom"] = dict(person.get("custom") or {})
    out["deleted"] = person.get("deleted_at") is not None
    out["created_at"] = _plain(person.get("created_at"))
    out["updated_at"] = _plain(person.get("updated_at"))
    return out


def group_object(group: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("id", "display_name", "external_id", "group_type", "source", "created_at")
    return {k: _plain(group.get(k)) for k in (*keys, "updated_at")}


def _told(changes: Any) -> dict[str, Any]:
    if not isinstance(changes, Mapping):
        return {}
    return {
        k: {"old": v[0], "new": v[1]}
        for k, v in changes.items()
        if k not in _UNTOLD and isinstance(v, list | tuple) and len(v) == 2
    }


def _person_types(action: str, changes: Mapping[str, Any]) -> Iterator[str]:
    if action == "person.create":
        yield "person.created"
    elif action == "person.delete":
        yield "person.deleted"
    elif action == "person.restore":
        yield "person.restored"
    elif changes:
        yield "person.updated"
        if "active" in changes:
            yield "person.reactivated" if changes["active"]["new"] else "person.deactivated"
        if "manager_id" in changes:
            yield "person.manager_changed"


def _group_types(action: str, told: Mapping[str, Any]) -> Iterator[str]:
    if action == "group.create":
        yield "group.created"
    elif action == "group.delete":
        yield "group.deleted"
    elif told:
        yield "group.updated"


def events_of(
    tenant_id: int,
    actor: str,
    action: str,
    resource_type: str,
    resource_id: str | None,
    *,
    changes: Any,
    resource: Mapping[str, Any] | None,
    members: Mapping[str, Sequence[str]] | None,
) -> list[NewEvent]:
    """The events one recorded change means (none for most of the company's own
    settings: tenants, admins, attributes)."""
    now = utcnow()

    def event(kind: str, data: dict[str, Any]) -> NewEvent:
        return NewEvent(tenant_id, new_id(), kind, now, actor, resource_type, resource_id, data)

    told = _told(changes)
    out: list[NewEvent] = []
    if resource_type == "Group":  # its changes also count members; only these are fields
        told = {k: v for k, v in told.items() if k in ("display_name", "external_id", "group_type")}
    if resource_type == "User" and resource is not None:
        obj = person_object(resource)
        if action == "person.create":
            told = {}
        out += [event(t, {"object": obj, "changes": told}) for t in _person_types(action, told)]
    elif resource_type == "Group":
        obj = group_object(resource) if resource is not None else {"id": resource_id}
        out += [event(t, {"object": obj, "changes": told}) for t in _group_types(action, told)]
        for kind, key in (("group.members_added", "added"), ("group.members_removed", "removed")):
            ids = list((members or {}).get(key, ()))
            for start in range(0, len(ids), MEMBERS_PER_EVENT):
                batch = ids[start : start + MEMBERS_PER_EVENT]
                out.append(event(kind, {"object": obj, "members": batch}))
    elif action in ("scim.token_create", "scim.token_revoke"):
        kind = "scim.token_created" if action == "scim.token_create" else "scim.token_revoked"
        out.append(event(kind, {"object": {"id": resource_id, **(resource or {})}}))
    elif action.startswith("sso.") or action == "tenant.sso":
        out.append(event("sso.configured", {"object": dict(resource or {}), "change": action}))
    return out

"""The SCIM side of a Security Event Token's payload, made from the event alone (its
object and changes, directory/events.py) by walking the attribute registry, as
scim/users.py renders a stored person: the "data" of a create event is the resource's
SCIM representation, and the "data" of a patch event is the equivalent PatchOp
(RFC 9967 §2.2 "data", §2.4.1, §2.4.2; RFC 7644 §3.5.2).

What an event does not carry is not in its data: a person's phone numbers and
secondary emails (a create event has their primary email), their groups, the
resource's version. Paths are RFC 7644 §3.10 attribute paths: core attributes by name
(`title`, `name.givenName`), extension attributes by URN and name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from roster.model.registry import (
    CORE_GROUP,
    CORE_USER,
    ENTERPRISE_USER,
    GROUP_SCHEMA,
    MULTI_VALUED,
    USER_SCHEMA,
    Stored,
    UserSchemas,
    stored_fields,
)

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"  # RFC 7644 §3.5.2
_NAME = USER_SCHEMA.attribute("name")
_NAME_FIELDS = stored_fields(_NAME.sub_attributes if _NAME else ())
_EMPTY: tuple[Any, ...] = (None, "", [], {})


def _put(into: dict[str, Any], obj: Mapping[str, Any], stored: Iterable[Stored]) -> dict[str, Any]:
    for key, field, _ in stored:
        value = obj.get(field)
        if value not in _EMPTY:
            into[key] = value
    return into


def _time(value: Any) -> Any:
    return value.replace("+00:00", "Z") if isinstance(value, str) else value


def _meta(kind: str, obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = {"resourceType": kind}
    for key, field in (("created", "created_at"), ("lastModified", "updated_at")):
        if obj.get(field):
            meta[key] = _time(obj[field])
    return meta


def user_document(obj: Mapping[str, Any], schemas: UserSchemas) -> dict[str, Any]:
    """A person's event object as a SCIM User (RFC 7643 §4.1; the enterprise and the
    company extensions when they have values)."""
    doc: dict[str, Any] = {"schemas": [CORE_USER]}
    _put(doc, obj, schemas.core.stored)
    name = _put({}, obj, _NAME_FIELDS)
    if name:
        doc["name"] = name
    doc["active"] = bool(obj.get("active", True))
    if obj.get("email"):
        doc["emails"] = [{"value": obj["email"], "primary": True}]
    enterprise = _put({}, obj, schemas.enterprise.stored)
    if obj.get("manager_id"):
        enterprise["manager"] = {"value": obj["manager_id"]}
    if enterprise:
        doc["schemas"].append(ENTERPRISE_USER)
        doc[ENTERPRISE_USER] = enterprise
    company = _put({}, obj, schemas.company.stored)
    company.update({k: v for k, v in (obj.get("custom") or {}).items() if v is not None})
    if company:
        doc["schemas"].append(schemas.company_urn)
        doc[schemas.company_urn] = company
    doc["meta"] = _meta("User", obj)
    return doc


def group_document(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A group's event object as a SCIM Group (RFC 7643 §4.2), without members: they
    follow as the group's members_added events (a patch each)."""
    doc: dict[str, Any] = {"schemas": [CORE_GROUP]}
    _put(doc, obj, GROUP_SCHEMA.stored)
    doc["meta"] = _meta("Group", obj)
    return doc


def _person_paths(schemas: UserSchemas) -> dict[str, str]:
    """Domain field -> the SCIM path of the attribute kept in it."""
    paths = {s.field: s.name for s in schemas.core.stored if s.field != "id"}
    paths.update({s.field: f"name.{s.name}" for s in _NAME_FIELDS})
    paths.update({s.field: f"{ENTERPRISE_USER}:{s.name}" for s in schemas.enterprise.stored})
    paths.update({s.field: f"{schemas.company_urn}:{s.name}" for s in schemas.company.stored})
    paths.update({"emails": "emails", "phone_numbers": "phoneNumbers"})
    return paths


def _operation(path: str, value: Any) -> dict[str, Any]:
    if value in _EMPTY:
        return {"op": "remove", "path": path}
    return {"op": "replace", "path": path, "value": value}


def patch(operations: list[dict[str, Any]]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": operations}


def person_patch(changes: Mapping[str, Any], schemas: UserSchemas) -> dict[str, Any]:
    """The PatchOp that makes a person's changes ({field: {"old", "new"}})."""
    paths = _person_paths(schemas)
    ops: list[dict[str, Any]] = []
    for field, change in changes.items():
        new = change.get("new") if isinstance(change, Mapping) else None
        if field in paths:
            ops.append(_operation(paths[field], new))
        elif field == "email" and "emails" not in changes:
            ops.append(_operation("emails", [{"value": new, "primary": True}] if new else None))
        elif field in ("manager_id", "manager_pending"):
            if field == "manager_pending" and (not new or "manager_id" in changes):
                continue  # a pending reference cleared: the manager_id change tells it
            ops.append(_operation(f"{ENTERPRISE_USER}:manager", {"value": new} if new else None))
        elif field in ("custom", MULTI_VALUED):
            # Both keep {attribute: value}: a patch per attribute that changed.
            prefix = f"{schemas.company_urn}:" if field == "custom" else ""
            old = (change.get("old") or {}) if isinstance(change, Mapping) else {}
            for key in sorted(set(old) | set(new or {})):
                value = (new or {}).get(key)
                if old.get(key) != value:
                    ops.append(_operation(f"{prefix}{key}", value))
    return patch(ops)


def group_patch(changes: Mapping[str, Any]) -> dict[str, Any]:
    """A rename (displayName, externalId); Roster's own group type is not SCIM's."""
    paths = {s.field: s.name for s in GROUP_SCHEMA.stored if s.field != "id"}
    return patch(
        [
            _operation(paths[field], change.get("new"))
            for field, change in changes.items()
            if field in paths and isinstance(change, Mapping)
        ]
    )


def members_patch(added: bool, members: Iterable[str]) -> dict[str, Any]:
    """People joining (one "add" of every member, RFC 7644 §3.5.2.1) or leaving (a
    "remove" of each, by a value filter, §3.5.2.2) a group."""
    ids = list(members)
    if added:
        return patch([{"op": "add", "path": "members", "value": [{"value": i} for i in ids]}])
    return patch([{"op": "remove", "path": f'members[value eq "{i}"]'} for i in ids])

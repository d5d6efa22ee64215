"""The Group resource: SCIM JSON <-> group changes. Only id, displayName, externalId
and members come from the IdP; a group's type is Roster's and never read from SCIM."""

from __future__ import annotations

from typing import Any

from roster.model.group import GroupChange, MembershipStep
from roster.model.person import not_kept
from roster.model.query import And, Compare, Filter, Or
from roster.model.registry import CORE_GROUP, GROUP_ATTRIBUTES
from roster.model.values import as_text
from roster.model.versions import etag
from roster.scim.errors import invalid_path, invalid_value, too_many
from roster.scim.patch import Operation

# Keys of a Group document that are not noted as not kept: its attributes, and what
# names its schema or Roster computes.
_KNOWN = frozenset(
    {"schemas", "meta", CORE_GROUP.lower()} | {a.name.lower() for a in GROUP_ATTRIBUTES}
)


def _lower(obj: dict[str, Any]) -> dict[str, Any]:
    return {k.lower(): v for k, v in obj.items() if isinstance(k, str)}


def member_ids(value: Any, where: str, limit: int) -> list[str]:
    if value is None:
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise invalid_value(f'{where} must be an array of {{"value": "<user id>"}}')
    if len(value) > limit:
        raise too_many(f"{where}: at most {limit} members per request; send them in batches")
    ids: list[str] = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            raw: Any = item
        elif isinstance(item, dict):
            entry = _lower(item)
            kind = entry.get("type")
            if isinstance(kind, str) and kind.lower() == "group":
                raise invalid_value(f"{where}[{i}]: groups cannot contain groups in Roster")
            raw = entry.get("value")
        else:
            raw = None
        if not isinstance(raw, str) or not raw.strip() or len(raw) > 64 or "\x00" in raw:
            raise invalid_value(f"{where}[{i}].value must be the SCIM id of a person")
        ids.append(raw.strip())
    return list(dict.fromkeys(ids))


def display_name(value: Any) -> str:
    name = as_text(value, "displayName", 400)
    if name is None:
        raise invalid_value("displayName is required: the group's name")
    return name


def parse_group(body: dict[str, Any], *, max_members: int) -> GroupChange:
    """POST/PUT body -> a full GroupChange (members replaced)."""
    top = _lower(body)
    change = GroupChange(display_name=display_name(top.get("displayname")))
    change.external_id = as_text(top.get("externalid"), "externalId", 320)
    change.steps.append(
        MembershipStep("replace", member_ids(top.get("members"), "members", max_members))
    )
    change.notes.extend(
        not_kept(key)
        for key, value in body.items()
        if isinstance(key, str) and key.lower() not in _KNOWN and value is not None
    )
    return change


def _eq_values(expr: Filter, where: str) -> list[str]:
    """members[value eq "a"] or members[value eq "a" or value eq "b"] -> ids."""
    if isinstance(expr, Or):
        return _eq_values(expr.left, where) + _eq_values(expr.right, where)
    if (
        isinstance(expr, Compare)
        and expr.op == "eq"
        and expr.path.attr.lower() == "value"
        and isinstance(expr.value, str)
        and "\x00" not in expr.value
    ):
        return [expr.value]
    if isinstance(expr, And):
        raise invalid_path(f'{where}: select members by value eq "<id>" (joined with or)')
    raise invalid_path(f'{where}: select members by value eq "<id>"')


def parse_group_patch(
    operations: list[Operation], *, group_id: str, max_members: int
) -> GroupChange:
    change = GroupChange()
    for i, op in enumerate(operations):
        assert op.path is not None
        attr = op.path.path.attr.lower()
        where = f"Operations[{i}] ({op.path.path.text()})"
        if op.path.path.urn and op.path.path.urn.lower() != CORE_GROUP.lower():
            change.notes.append(not_kept(op.path.path.text()))
            continue
        if attr == "id":
            # Okta's rename carries the id; it is checked, never trusted.
            if op.value not in (None, group_id):
                raise invalid_value(f"{where}: id {op.value!r} does not match the URL's {group_id}")
            continue
        if attr == "displayname":
            if op.op == "remove":
                raise invalid_value("displayName cannot be removed: a group needs a name")
            change.display_name = display_name(op.value)
            continue
        if attr == "externalid":
            change.external_id = None if op.op == "remove" else as_text(op.value, "externalId", 320)
            continue
        if attr in ("schemas", "meta"):
            continue
        if attr != "members":
            change.notes.append(not_kept(op.path.path.text()))
            continue
        if op.path.path.sub or op.path.sub:
            raise invalid_path(f"{where}: change members as a whole, not a sub-attribute")
        if op.path.filter is not None:
            if op.op != "remove":
                raise invalid_path(f"{where}: a member filter can only be used to remove")
            change.steps.append(MembershipStep("remove", _eq_values(op.path.filter, where)))
            continue
        ids = member_ids(op.value, where, max_members)
        if op.op == "add":
            change.steps.append(MembershipStep("add", ids))
        elif op.op == "replace":
            change.steps.append(MembershipStep("replace", ids))
        elif op.has_value and op.value is not None:
            change.steps.append(MembershipStep("remove", ids))  # Entra: remove by value
        else:
            change.steps.append(MembershipStep("replace", []))  # remove all members
    return change


def render_group(
    group: dict[str, Any], *, base_url: str, members: list[dict[str, Any]] | None
) -> dict[str, Any]:
    doc: dict[str, Any] = {"schemas": [CORE_GROUP], "id": group["id"]}
    if group.get("external_id"):
        doc["externalId"] = group["external_id"]
    doc["displayName"] = group["display_name"]
    if members is not None:
        doc["members"] = [
            {
                "value": m["id"],
                "$ref": f"{base_url}/Users/{m['id']}",
                "display": m["display"],
                "type": "User",
            }
            for m in members
        ]
    doc["meta"] = {
        "resourceType": "Group",
        "created": group["created_at"].isoformat().replace("+00:00", "Z"),
        "lastModified": group["updated_at"].isoformat().replace("+00:00", "Z"),
        "location": f"{base_url}/Groups/{group['id']}",
        "version": etag(group["version"]),
    }
    return doc

"""PATCH (RFC 7644 §3.5.2), with the IdP dialects normalised at the edge.

`parse_operations` turns a PatchOp body into canonical `Operation`s: each operation
first in its RFC form (scim/dialects: Entra's "Replace"), path-less value objects split
into one operation per attribute (dotted and URN-qualified keys included, as Okta and
Entra send them), paths parsed. `apply_to_document`
applies them to one resource's SCIM JSON; the result is then read like a PUT body, so
PATCH and PUT share every validation rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from roster.model.query import And, AttrPath, Compare, Filter, Not, Or, Present, ValuePath
from roster.model.registry import CORE_GROUP, CORE_USER
from roster.scim.dialects import rewrite_operation
from roster.scim.errors import (
    ScimError,
    invalid_path,
    invalid_syntax,
    invalid_value,
    no_target,
    too_many,
)
from roster.scim.filters import PatchPath, parse_patch_path
from roster.scim.schema import PATCH_OP

OPS = ("add", "replace", "remove")
PATCH_URNS = (CORE_USER, CORE_GROUP)


@dataclass(frozen=True)
class Operation:
    op: str
    path: PatchPath | None
    value: Any
    has_value: bool


def parse_operations(
    body: dict[str, Any], *, extension_urns: tuple[str, ...], max_operations: int
) -> list[Operation]:
    lower = {k.lower(): v for k, v in body.items()}
    schemas = lower.get("schemas")
    if schemas is not None and (
        not isinstance(schemas, list) or PATCH_OP.lower() not in [str(s).lower() for s in schemas]
    ):
        raise invalid_syntax(f"a PATCH body's schemas must be [{PATCH_OP!r}]")
    raw_ops = lower.get("operations")
    if not isinstance(raw_ops, list) or not raw_ops:
        raise invalid_syntax(
            'a PATCH body needs "Operations": a non-empty array of {"op", "path", "value"}'
        )
    if len(raw_ops) > max_operations:
        raise too_many(f"a PATCH may carry at most {max_operations} operations")
    out: list[Operation] = []
    for i, raw in enumerate(raw_ops):
        if not isinstance(raw, dict):
            raise invalid_syntax(f"Operations[{i}] must be an object")
        item = rewrite_operation({k.lower(): v for k, v in raw.items() if isinstance(k, str)})
        op = item.get("op")
        if op not in OPS:
            raise invalid_value(f"Operations[{i}].op must be add, replace or remove, got {op!r}")
        path = item.get("path")
        has_value = "value" in item
        value = item.get("value")
        if path is not None and not isinstance(path, str):
            raise invalid_value(f"Operations[{i}].path must be a string")
        if path and path.lower() in {u.lower() for u in (PATCH_URNS + extension_urns)}:
            # The path names a whole schema ("urn:...:enterprise:2.0:User"): its value
            # holds that schema's attributes, as in Okta's path-less form.
            if op == "remove" or not isinstance(value, dict):
                raise invalid_path(
                    f"Operations[{i}]: a schema URN as path needs add or replace with an "
                    "object of its attributes; remove attributes one by one"
                )
            out.extend(_split_value_object(op, {path: value}, (*PATCH_URNS, *extension_urns)))
            continue
        if path:
            out.append(Operation(op, parse_patch_path(path), value, has_value))
            continue
        if op == "remove":
            raise ScimError(400, f"Operations[{i}]: remove needs a path", "noTarget")
        if not isinstance(value, dict):
            raise invalid_value(
                f"Operations[{i}]: without a path, value must be an object of attributes"
            )
        out.extend(_split_value_object(op, value, extension_urns))
    return out


def _split_value_object(
    op: str, value: dict[str, Any], extension_urns: tuple[str, ...]
) -> list[Operation]:
    """Okta's {"op":"replace","value":{"active":false,"name.givenName":"A",
    "urn:...:enterprise:2.0:User":{"department":"X"}}} -> one operation per attribute."""
    ops: list[Operation] = []
    lurns = {u.lower(): u for u in extension_urns}
    for key, sub_value in value.items():
        if key.lower() in lurns and isinstance(sub_value, dict):
            for sub_key, v in sub_value.items():
                ops.append(
                    Operation(op, parse_patch_path(f"{lurns[key.lower()]}:{sub_key}"), v, True)
                )
            continue
        ops.append(Operation(op, parse_patch_path(key), sub_value, True))
    return ops


# ---------------------------------------------------------------------------
# Applying operations to a document


def matches(element: Any, expr: Filter) -> bool:
    """A value filter over one element of a multi-valued attribute."""
    if isinstance(expr, And):
        return matches(element, expr.left) and matches(element, expr.right)
    if isinstance(expr, Or):
        return matches(element, expr.left) or matches(element, expr.right)
    if isinstance(expr, Not):
        return not matches(element, expr.expr)
    if isinstance(expr, ValuePath):
        return False
    if not isinstance(element, dict):
        return False
    actual = _get_ci(element, expr.path.attr)
    if isinstance(expr, Present):
        return actual not in (None, "", [], {})
    assert isinstance(expr, Compare)
    expected = expr.value
    if isinstance(actual, str) and isinstance(expected, str):
        a, e = actual.lower(), expected.lower()
        if expr.op == "eq":
            return a == e
        if expr.op == "ne":
            return a != e
        if expr.op == "co":
            return e in a
        if expr.op == "sw":
            return a.startswith(e)
        if expr.op == "ew":
            return a.endswith(e)
        return _ordered(a, e, expr.op)
    if expr.op == "eq":
        return bool(actual == expected) or (actual is None and expected is False)
    if expr.op == "ne":
        return bool(actual != expected)
    if isinstance(actual, int | float) and isinstance(expected, int | float):
        return _ordered(actual, expected, expr.op)
    return False


def _ordered(a: Any, e: Any, op: str) -> bool:
    return bool({"gt": a > e, "ge": a >= e, "lt": a < e, "le": a <= e}.get(op, False))


def _get_ci(obj: dict[str, Any], key: str) -> Any:
    if key in obj:
        return obj[key]
    lkey = key.lower()
    for k, v in obj.items():
        if k.lower() == lkey:
            return v
    return None


def _key_ci(obj: dict[str, Any], key: str) -> str:
    lkey = key.lower()
    for k in obj:
        if k.lower() == lkey:
            return k
    return key


# The extension URN that defines a bare attribute name the core schema lacks
# (`manager` -> the enterprise URN), or None.
OwnerOf = Callable[[str], str | None]


def _container(
    doc: dict[str, Any], path: AttrPath, core_urns: tuple[str, ...], owner_of: OwnerOf | None
) -> dict[str, Any]:
    """The object that holds `path.attr`: the document, or its extension object."""
    urn = path.urn
    if urn is None and owner_of is not None:
        urn = owner_of(path.attr)  # filters resolve bare names the same way
    if urn is None or urn.lower() in {u.lower() for u in core_urns}:
        return doc
    key = _key_ci(doc, urn)
    holder = doc.get(key)
    if not isinstance(holder, dict):
        holder = {}
        doc[key] = holder
    return holder


def _equalities(expr: Filter) -> dict[str, Any]:
    """`type eq "work" and primary eq true` -> {"type": "work", "primary": True}."""
    if isinstance(expr, Compare) and expr.op == "eq":
        return {expr.path.attr: expr.value}
    if isinstance(expr, And):
        return {**_equalities(expr.left), **_equalities(expr.right)}
    return {}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def apply_to_document(
    doc: dict[str, Any],
    operations: list[Operation],
    *,
    core_urns: tuple[str, ...],
    owner_of: OwnerOf | None = None,
) -> dict[str, Any]:
    for operation in operations:
        _apply(doc, operation, core_urns, owner_of)
    return doc


def _apply(
    doc: dict[str, Any],
    operation: Operation,
    core_urns: tuple[str, ...],
    owner_of: OwnerOf | None,
) -> None:
    op, value = operation.op, operation.value
    assert operation.path is not None
    pp = operation.path
    holder = _container(doc, pp.path, core_urns, owner_of)
    key = _key_ci(holder, pp.path.attr)
    where = pp.path.text()
    if op != "remove" and not operation.has_value:
        raise invalid_value(f"{op} of {where} needs a value")

    if pp.filter is not None:
        items = holder.get(key)
        elements = [e for e in _as_list(items) if isinstance(e, dict)]
        chosen = [e for e in elements if matches(e, pp.filter)]
        if op == "remove":
            if pp.sub:
                for e in chosen:
                    e.pop(_key_ci(e, pp.sub), None)
            else:
                holder[key] = [e for e in elements if e not in chosen]
            return
        if not chosen:
            # Entra and Okta address emails[type eq "work"].value before any exists:
            # create the element the filter describes.
            new = dict(_equalities(pp.filter))
            if not new:
                raise no_target(f"no value of {where} matches the filter")
            elements.append(new)
            chosen = [new]
        for e in chosen:
            if pp.sub:
                e[_key_ci(e, pp.sub)] = value
            elif isinstance(value, dict):
                e.update(value)
            else:
                raise invalid_value(f"{where}[...] needs an object value or a sub-attribute")
        holder[key] = elements
        return

    if pp.path.sub:
        parent = holder.get(key)
        if op == "remove":
            if isinstance(parent, dict):
                parent.pop(_key_ci(parent, pp.path.sub), None)
            return
        if not isinstance(parent, dict):
            parent = {}
            holder[key] = parent
        parent[_key_ci(parent, pp.path.sub)] = value
        return

    current = holder.get(key)
    if op == "remove":
        if operation.has_value and isinstance(current, list) and value is not None:
            drop = {_identity(v) for v in _as_list(value)}
            holder[key] = [e for e in current if _identity(e) not in drop]
        else:
            holder.pop(key, None)
        return
    if isinstance(current, list) or isinstance(value, list):
        if op == "add":
            merged = list(_as_list(current))
            seen = {_identity(e) for e in merged}
            for v in _as_list(value):
                if _identity(v) not in seen:
                    merged.append(v)
                    seen.add(_identity(v))
            holder[key] = merged
        else:
            holder[key] = _as_list(value)
        return
    if isinstance(current, dict) and isinstance(value, dict):
        current.update(value)  # complex attributes merge, as RFC 7644 §3.5.2.1 says
        return
    holder[key] = value


def _identity(value: Any) -> Any:
    if isinstance(value, dict):
        v = _get_ci(value, "value")
        if v is None:
            # A value with no `value` (an address): the whole value is its identity, or
            # adding a second address would find it already there.
            return repr(sorted((str(k).lower(), repr(x)) for k, x in value.items()))
        return v.lower() if isinstance(v, str) else repr(v)
    return value.lower() if isinstance(value, str) else repr(value)

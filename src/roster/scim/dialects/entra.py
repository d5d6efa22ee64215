"""Microsoft Entra ID's dialect (recorded payloads: tests/idp/entra/).

Without the `aadOptscim062020` feature flag, and in places with it, Entra sends:
- PATCH `op` capitalised: "Replace", "Add", "Remove" (RFC 7644 §3.5.2 names them in
  lower case);
- booleans as strings: `"active": "False"`, `"primary": "True"`, and in filters
  `active eq "True"`;
- the enterprise manager as a bare string: `"manager": "<id>"` rather than
  `{"value": "<id>"}`, in PATCH values and in documents.

Dates as MM/DD/YYYY (Entra's format for 15Five's start date) are one of the formats the
model's date rule accepts for every door (`model/values.as_date`; CSV files use it too).
Removing members by value (`{"op": "Remove", "path": "members", "value": [...]}`) is
read by the group codec for every client, as RFC 7644 leaves it open.
"""

from __future__ import annotations

from typing import Any

from roster.model.registry import ENTERPRISE_USER
from roster.scim.dialects.common import Dialect, text_boolean

_ENTERPRISE = ENTERPRISE_USER.lower()


def lower_case_op(operation: dict[str, Any]) -> dict[str, Any]:
    op = operation.get("op")
    if isinstance(op, str) and op != op.lower():
        return {**operation, "op": op.lower()}
    return operation


def _quoted_primary(element: Any) -> bool:
    return isinstance(element, dict) and any(
        isinstance(k, str) and k.lower() == "primary" and isinstance(v, str)
        for k, v in element.items()
    )


def _primary_booleans(elements: Any) -> Any:
    """The same list when no element quotes its primary (the common case: no copy)."""
    if not isinstance(elements, list) or not any(_quoted_primary(e) for e in elements):
        return elements
    return [
        {
            k: text_boolean(v) if isinstance(k, str) and k.lower() == "primary" else v
            for k, v in element.items()
        }
        if _quoted_primary(element)
        else element
        for element in elements
    ]


def _enterprise(extension: Any) -> Any:
    if not isinstance(extension, dict) or not any(
        isinstance(k, str) and k.lower() == "manager" and isinstance(v, str)
        for k, v in extension.items()
    ):
        return extension
    return {
        k: {"value": v}
        if isinstance(k, str) and k.lower() == "manager" and isinstance(v, str)
        else v
        for k, v in extension.items()
    }


def quoted_booleans(document: dict[str, Any]) -> dict[str, Any]:
    """ "active": "False", emails/phoneNumbers "primary": "True", and a bare-string
    enterprise manager, in their RFC form."""
    out: dict[str, Any] | None = None
    for key, value in document.items():
        if not isinstance(key, str):
            continue
        lowered = key.lower()
        if lowered == "active" and isinstance(value, str):
            new = text_boolean(value)
        elif lowered in ("emails", "phonenumbers"):
            new = _primary_booleans(value)
        elif lowered == _ENTERPRISE:
            new = _enterprise(value)
        else:
            continue
        if new is not value:
            out = out if out is not None else dict(document)
            out[key] = new
    return document if out is None else out


def quoted_boolean_literal(kind: str, value: Any) -> Any:
    return text_boolean(value) if kind == "boolean" else value


DIALECT = Dialect(
    "Microsoft Entra ID",
    ("azure", "entra", "microsoft"),
    operation=lower_case_op,
    user=quoted_booleans,
    filter_literal=quoted_boolean_literal,
)

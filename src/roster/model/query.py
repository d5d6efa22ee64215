"""Queries in the domain's words: the filter AST a door parses (attribute paths,
comparisons, logic, value filters), and the same filter resolved against the registry
into typed comparisons on domain fields, which the store compiles to SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from roster.model.registry import Kind

Value = str | int | float | bool | None


@dataclass(frozen=True)
class AttrPath:
    urn: str | None
    attr: str
    sub: str | None = None

    def text(self) -> str:
        base = f"{self.urn}:{self.attr}" if self.urn else self.attr
        return f"{base}.{self.sub}" if self.sub else base


@dataclass(frozen=True)
class Compare:
    path: AttrPath
    op: str
    value: Value


@dataclass(frozen=True)
class Present:
    path: AttrPath


@dataclass(frozen=True)
class And:
    left: Filter
    right: Filter


@dataclass(frozen=True)
class Or:
    left: Filter
    right: Filter


@dataclass(frozen=True)
class Not:
    expr: Filter


@dataclass(frozen=True)
class ValuePath:
    """`emails[type eq "work"]`: a filter applied to the values of a multi-valued attribute."""

    path: AttrPath
    filter: Filter


Filter = Compare | Present | And | Or | Not | ValuePath


@dataclass(frozen=True)
class Field:
    """A filterable attribute: the domain field behind it and how it compares."""

    name: str  # domain field, or "custom:<name>"
    kind: Kind
    case_exact: bool
    scim_name: str


@dataclass(frozen=True)
class FieldCompare:
    field: Field
    op: str
    value: Value | date | datetime


@dataclass(frozen=True)
class FieldPresent:
    field: Field


@dataclass(frozen=True)
class FieldAnd:
    left: Resolved
    right: Resolved


@dataclass(frozen=True)
class FieldOr:
    left: Resolved
    right: Resolved


@dataclass(frozen=True)
class FieldNot:
    expr: Resolved


@dataclass(frozen=True)
class FieldAny:
    """A filter on a multi-valued attribute kept value by value (`values`: email,
    phone): true when any one value satisfies `expr`, whose fields are the
    sub-attributes (value, type, primary). `emails.value co "@x"` is one comparison;
    `emails[type eq "work" and value co "@x"]` asks both of the same value."""

    values: str
    expr: Resolved


Resolved = FieldCompare | FieldPresent | FieldAnd | FieldOr | FieldNot | FieldAny


@dataclass(frozen=True)
class Order:
    """How a listing is ordered: by a field (then by id, so pages are stable), or by id
    alone (`field` None); ascending unless `descending`."""

    field: Field | None = None
    descending: bool = False


BY_ID = Order()  # the default order of every listing

"""Resolved SCIM filters -> SQL. Typed, case-aware, escaped; never evaluated in Python."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from roster.model.query import (
    Field,
    FieldAnd,
    FieldAny,
    FieldCompare,
    FieldNot,
    FieldOr,
    FieldPresent,
    Resolved,
)

ColumnFor = Callable[[Field], ColumnElement[Any]]
# A comparison the caller compiles itself (e.g. group membership as EXISTS), or None.
Special = Callable[[FieldCompare], ColumnElement[bool] | None]
# A filter over the values of a multi-valued attribute (an EXISTS over its rows).
AnyOf = Callable[[FieldAny], ColumnElement[bool]]


def compile_filter(
    expr: Resolved,
    column_for: ColumnFor,
    special: Special | None = None,
    any_of: AnyOf | None = None,
) -> ColumnElement[bool]:
    if isinstance(expr, FieldAnd | FieldOr):
        left = compile_filter(expr.left, column_for, special, any_of)
        right = compile_filter(expr.right, column_for, special, any_of)
        return sa.and_(left, right) if isinstance(expr, FieldAnd) else sa.or_(left, right)
    if isinstance(expr, FieldAny):
        if any_of is None:
            raise ValueError(f"{expr.values} values cannot be filtered here")
        return any_of(expr)
    if isinstance(expr, FieldNot):
        inner = compile_filter(expr.expr, column_for, special, any_of)
        # SQL's NOT of a comparison with NULL is NULL; SCIM's "not" includes those rows.
        return sa.not_(sa.func.coalesce(inner, sa.false()))
    if special is not None and isinstance(expr, FieldCompare):
        custom = special(expr)
        if custom is not None:
            return custom
    column = column_for(expr.field)
    if isinstance(expr, FieldPresent):
        if expr.field.kind == "string":
            return sa.and_(column.is_not(None), column != "")
        return column.is_not(None)
    return _compare(expr, column)


def _compare(expr: FieldCompare, column: ColumnElement[Any]) -> ColumnElement[bool]:
    op, value = expr.op, expr.value
    if value is None:
        return column.is_(None) if op == "eq" else column.is_not(None)
    fold = expr.field.kind == "string" and not expr.field.case_exact
    if fold and isinstance(value, str):
        value = value.lower()
        column = sa.func.lower(column) if not _is_lowered(column) else column
    if op in ("co", "sw", "ew"):
        text = str(value)
        if isinstance(column.type, sa.Date) and not isinstance(column.type, sa.DateTime):
            column = sa.cast(column, sa.String)  # YYYY-MM-DD on both databases
        if not fold and text:
            return _case_exact(column, op, text)
        if op == "co":
            return column.contains(text, autoescape=True)
        if op == "sw":
            return column.startswith(text, autoescape=True)
        return column.endswith(text, autoescape=True)
    if (
        isinstance(value, date)
        and not isinstance(value, datetime)
        and not isinstance(column.type, sa.Date | sa.DateTime)
    ):
        value = value.isoformat()  # dates are kept as text inside JSON
    if op == "eq":
        return column == value
    if op == "ne":
        return sa.or_(column.is_(None), column != value)
    return {
        "gt": column > value,
        "ge": column >= value,
        "lt": column < value,
        "le": column <= value,
    }[op]


def _case_exact(column: ColumnElement[Any], op: str, text: str) -> ColumnElement[bool]:
    """co/sw/ew that respect case on every database: SQLite's LIKE ignores ASCII case,
    so caseExact attributes (externalId, employeeNumber, ids) compare with functions
    that behave the same on SQLite and PostgreSQL."""
    if op == "co":
        return sa.func.replace(column, text, "") != column
    if op == "sw":
        return sa.func.substr(column, 1, len(text)) == text
    return sa.func.substr(column, sa.func.length(column) - len(text) + 1) == text


def _is_lowered(column: ColumnElement[Any]) -> bool:
    return isinstance(column, sa.Column) and column.name.endswith("_lower")

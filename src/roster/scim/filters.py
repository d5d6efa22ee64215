"""SCIM filters and PATCH paths (RFC 7644 §3.4.2.2, §3.5.2): text -> AST.

A small recursive-descent parser (see docs/decisions/0001-filter-parser.md). Attribute
names are checked against the registry by `resolve`, which yields typed comparisons on
domain fields that `store.filtering` compiles to SQL.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import orjson

from roster.model.query import (
    And,
    AttrPath,
    Compare,
    Field,
    FieldAnd,
    FieldAny,
    FieldCompare,
    FieldNot,
    FieldOr,
    FieldPresent,
    Filter,
    Not,
    Or,
    Present,
    Resolved,
    Value,
    ValuePath,
)
from roster.model.registry import Attribute
from roster.scim.dialects import rewrite_filter_literal
from roster.scim.errors import ScimError, invalid_filter, invalid_path

COMPARE_OPS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})
MAX_DEPTH = 32
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<lbracket>\[)
  | (?P<rbracket>\])
  | (?P<word>[A-Za-z0-9_$:.\-+]+)
    """,
    re.VERBOSE,
)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")
_ATTR_NAME = re.compile(r"^\$?[A-Za-z][A-Za-z0-9_\-$]*$")


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    pos: int


def _tokenize(text: str, error: Callable[[str], ScimError]) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise error(f"unexpected character {text[pos]!r} at position {pos + 1}")
        kind = m.lastgroup or ""
        if kind != "ws":
            tokens.append(_Tok(kind, m.group(), pos))
        pos = m.end()
    return tokens


def parse_attr_path(word: str, error: Callable[[str], ScimError]) -> AttrPath:
    """`urn:...:User:name.givenName` -> AttrPath(urn, "name", "givenName")."""
    urn: str | None = None
    rest = word
    if ":" in word:
        urn, _, rest = word.rpartition(":")
        if not urn.lower().startswith("urn:"):
            raise error(f"{word!r} is not an attribute path")
    # a URN's version ("2.0") contains dots, so split the dotted part after the last ':'
    attr, _, sub = rest.partition(".")
    if not _ATTR_NAME.match(attr) or (sub and not _ATTR_NAME.match(sub)) or "." in sub:
        raise error(f"{word!r} is not an attribute path (expected attribute or attribute.sub)")
    return AttrPath(urn, attr, sub or None)


class _Parser:
    def __init__(self, text: str, error: Callable[[str], ScimError]) -> None:
        self.error = error
        self.tokens = _tokenize(text, error)
        self.i = 0
        self.depth = 0

    def peek(self) -> _Tok | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def next(self, what: str) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise self.error(f"the filter ends where {what} was expected")
        self.i += 1
        return tok

    def keyword(self, *words: str) -> str | None:
        tok = self.peek()
        if tok is not None and tok.kind == "word" and tok.text.lower() in words:
            self.i += 1
            return tok.text.lower()
        return None

    def parse(self) -> Filter:
        expr = self.or_expr()
        tok = self.peek()
        if tok is not None:
            raise self.error(f"unexpected {tok.text!r} at position {tok.pos + 1}")
        return expr

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"the filter is nested more than {MAX_DEPTH} levels deep")

    def or_expr(self) -> Filter:
        left = self.and_expr()
        while self.keyword("or"):
            left = Or(left, self.and_expr())
        return left

    def and_expr(self) -> Filter:
        left = self.unary()
        while self.keyword("and"):
            left = And(left, self.unary())
        return left

    def unary(self) -> Filter:
        if self.keyword("not"):
            tok = self.peek()
            if tok is None or tok.kind != "lparen":
                raise self.error("'not' must be followed by a parenthesised filter")
            return Not(self.unary())
        tok = self.next("an attribute or '('")
        if tok.kind == "lparen":
            self.enter()
            expr = self.or_expr()
            close = self.next("')'")
            if close.kind != "rparen":
                raise self.error(f"expected ')' at position {close.pos + 1}")
            self.depth -= 1
            return expr
        if tok.kind != "word":
            raise self.error(f"expected an attribute at position {tok.pos + 1}, got {tok.text!r}")
        path = parse_attr_path(tok.text, self.error)
        nxt = self.peek()
        if nxt is not None and nxt.kind == "lbracket":
            self.i += 1
            self.enter()
            inner = self.or_expr()
            close = self.next("']'")
            if close.kind != "rbracket":
                raise self.error(f"expected ']' at position {close.pos + 1}")
            self.depth -= 1
            return ValuePath(path, inner)
        return self.comparison(path)

    def comparison(self, path: AttrPath) -> Filter:
        op_tok = self.next("an operator (eq ne co sw ew gt ge lt le pr)")
        op = op_tok.text.lower()
        if op_tok.kind == "word" and op == "pr":
            return Present(path)
        if op_tok.kind != "word" or op not in COMPARE_OPS:
            raise self.error(
                f"{op_tok.text!r} is not a filter operator; use eq ne co sw ew gt ge lt le pr"
            )
        val = self.next("a value")
        return Compare(path, op, self.value(val))

    def value(self, tok: _Tok) -> Value:
        if tok.kind == "string":
            try:
                decoded = orjson.loads(tok.text)
            except orjson.JSONDecodeError:
                raise self.error(f"bad string escape in {tok.text}") from None
            assert isinstance(decoded, str)
            return decoded
        if tok.kind == "word":
            low = tok.text.lower()
            if low == "true":
                return True
            if low == "false":
                return False
            if low == "null":
                return None
            if _NUMBER.match(tok.text):
                number = float(tok.text)
                return int(number) if number.is_integer() and "." not in tok.text else number
        raise self.error(
            f'{tok.text!r} is not a value: quote strings ("..."), or use true, false, '
            "null or a number"
        )


def parse_filter(text: str, *, max_length: int = 4096) -> Filter:
    if len(text) > max_length:
        raise invalid_filter(f"the filter is longer than {max_length} characters")
    if not text.strip():
        raise invalid_filter("the filter is empty")
    return _Parser(text, invalid_filter).parse()


@dataclass(frozen=True)
class PatchPath:
    """`attr`, `attr.sub`, `attr[filter]` or `attr[filter].sub` (RFC 7644 §3.5.2)."""

    path: AttrPath
    filter: Filter | None = None
    sub: str | None = None


def parse_patch_path(text: str) -> PatchPath:
    text = text.strip()
    if not text:
        raise invalid_path("the PATCH path is empty")
    if "[" not in text:
        return PatchPath(parse_attr_path(text, invalid_path))
    head, _, rest = text.partition("[")
    inner, close, tail = rest.rpartition("]")
    if not close:
        raise invalid_path(f"PATCH path {text!r} has '[' without ']'")
    path = parse_attr_path(head, invalid_path)
    if path.sub:
        raise invalid_path(f"PATCH path {text!r}: a value filter follows the attribute itself")
    sub: str | None = None
    if tail:
        if not tail.startswith(".") or not _ATTR_NAME.match(tail[1:]):
            raise invalid_path(f"PATCH path {text!r}: expected '.subAttribute' after ']'")
        sub = tail[1:]
    try:
        inner_filter = _Parser(inner, invalid_path).parse()
    except ScimError as exc:
        raise invalid_path(f"PATCH path {text!r}: {exc.detail}") from None
    return PatchPath(path, inner_filter, sub)


# ---------------------------------------------------------------------------
# Resolution against the registry


AttributeLookup = Callable[[AttrPath], Attribute | None]


def _typed(field_: Field, op: str, value: Value) -> Value | date | datetime:
    where = field_.scim_name
    if value is None:
        if op not in ("eq", "ne"):
            raise invalid_filter(f"{where}: null can only be compared with eq or ne")
        return None
    if field_.kind == "boolean":
        if op not in ("eq", "ne"):
            raise invalid_filter(f"{where} is a boolean: compare it with eq or ne")
        value = rewrite_filter_literal("boolean", value)  # Entra quotes booleans
        if not isinstance(value, bool):
            raise invalid_filter(f"{where} is a boolean: compare it with true or false")
        return value
    if field_.kind in ("decimal", "integer"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise invalid_filter(f"{where} is a number: compare it with a number")
        if op in ("co", "sw", "ew"):
            raise invalid_filter(f"{where} is a number: compare it with eq ne gt ge lt le")
        if isinstance(value, int) and not _INT64_MIN <= value <= _INT64_MAX:
            value = float(value)  # the databases bind 64-bit integers only
        if not math.isfinite(value):
            raise invalid_filter(f"{where}: {value!r} is not a finite number")
        return value
    if not isinstance(value, str):
        raise invalid_filter(f"{where} is a {field_.kind}: compare it with a quoted string")
    if "\x00" in value:
        # No stored value holds one (input refuses them), and PostgreSQL cannot bind one.
        raise invalid_filter(f"{where}: the value must not contain NUL characters")
    if field_.kind == "dateTime":
        if op in ("co", "sw", "ew"):
            # The databases spell a timestamp differently: compare it as a time.
            raise invalid_filter(f"{where} is a date-time: compare it with eq ne gt ge lt le")
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise invalid_filter(
                f"{where}: {value!r} is not a date-time like 2026-01-31T12:00:00Z"
            ) from None
        # Without an offset ("2026-01-31", "2026-01-31T12:00:00") the time is UTC.
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        try:
            return moment.astimezone(UTC)
        except OverflowError:  # 9999-12-31T23:59:59-01:00 is past the year 9999 in UTC
            raise invalid_filter(f"{where}: {value!r} is out of range") from None
    if field_.kind == "date" and op not in ("co", "sw", "ew"):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            raise invalid_filter(f"{where}: {value!r} is not a date like 2026-01-31") from None
    return value


ValuesOf = Callable[[AttrPath], str | None]


def resolve(
    expr: Filter,
    lookup: AttributeLookup,
    parent: AttrPath | None = None,
    *,
    filterable: Sequence[str] = (),
    values_of: ValuesOf | None = None,
) -> Resolved:
    """Check every attribute of a filter against the registry and type its values.
    `filterable` names what the registry lets a filter use, for the refusal.
    `values_of` says which multi-valued attributes are kept value by value: a filter on
    one (`emails.value eq`, `emails[type eq "work"]`) becomes a FieldAny, true when any
    value matches (RFC 7644 §3.4.2.2)."""
    return _Resolver(lookup, filterable, values_of).resolve(expr, parent, by_value=False)


@dataclass(frozen=True)
class _Resolver:
    lookup: AttributeLookup
    filterable: Sequence[str]
    values_of: ValuesOf | None

    def refuse(self, full: AttrPath, attr: Attribute | None = None) -> ScimError:
        # An attribute Roster keeps but does not filter on (addresses.locality, the
        # other complex multi-valued ones): said so, lest it read as unknown.
        kept = (
            " (Roster keeps and returns it, but does not filter on it)"
            if attr is not None and attr.returned != "never"
            else ""
        )
        return invalid_filter(
            f"{full.text()} cannot be used in a filter{kept}; the attributes that can be "
            f"filtered are: {', '.join(self.filterable)}"
            if self.filterable
            else f"{full.text()} cannot be used in a filter{kept}"
        )

    def field_for(self, path: AttrPath, parent: AttrPath | None, by_value: bool) -> Field:
        full = path
        if parent is not None:
            if path.urn or path.sub:
                raise invalid_filter(
                    f"inside [...] use sub-attribute names only, not {path.text()}"
                )
            full = AttrPath(parent.urn, parent.attr, path.attr)
        attr = self.lookup(full)
        if by_value:
            # A value's own sub-attribute (value, type, primary), compared row by row.
            if attr is None or not attr.filterable:
                raise self.refuse(full, attr)
            return Field(attr.name, attr.kind, attr.case_exact, full.text())
        if attr is None or not attr.filterable or attr.field is None:
            raise self.refuse(full, attr)
        return Field(attr.field, attr.kind, attr.case_exact, full.text())

    def kept_values(self, path: AttrPath) -> str | None:
        return self.values_of(path) if self.values_of is not None else None

    def resolve(self, expr: Filter, parent: AttrPath | None, *, by_value: bool) -> Resolved:
        if isinstance(expr, Compare | Present):
            kind = None if parent is not None else self.kept_values(expr.path)
            f = self.field_for(expr.path, parent, by_value or kind is not None)
            leaf: Resolved = (
                FieldCompare(f, expr.op, _typed(f, expr.op, expr.value))
                if isinstance(expr, Compare)
                else FieldPresent(f)
            )
            return FieldAny(kind, leaf) if kind else leaf
        if isinstance(expr, And | Or):
            left = self.resolve(expr.left, parent, by_value=by_value)
            right = self.resolve(expr.right, parent, by_value=by_value)
            return FieldAnd(left, right) if isinstance(expr, And) else FieldOr(left, right)
        if isinstance(expr, Not):
            return FieldNot(self.resolve(expr.expr, parent, by_value=by_value))
        if parent is not None:
            raise invalid_filter("a value filter [...] cannot be nested in another")
        if expr.path.sub:
            raise invalid_filter(
                f"{expr.path.text()}[...]: the filter follows the attribute itself"
            )
        kind = self.kept_values(expr.path)
        inner = self.resolve(expr.filter, expr.path, by_value=kind is not None)
        return FieldAny(kind, inner) if kind else inner

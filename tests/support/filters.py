"""Random SCIM filters for property tests: the attributes a test company's people
carry (with small value pools of case and accent variants), a hypothesis strategy of
filter trees over them, and the filter text of a tree. Used by the differential filter
test (tests/e2e/scim/test_filter_differential.py) and the bad-input fuzzing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
from hypothesis import strategies as st

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
COMPANY = "urn:ietf:params:scim:schemas:extension:15Five:2.0:User"


@dataclass(frozen=True)
class Attr:
    path: str  # as written in a filter
    kind: str  # string, boolean, number, date
    case_exact: bool
    pool: tuple[Any, ...]  # values people get (None: absent)


# Small pools with case and accent variants, so that random filters match often and
# every comparison rule is exercised.
ATTRS = (
    Attr("userName", "string", False, ()),  # unique: filled per person
    Attr("name.givenName", "string", False, ("Alice", "alice", "ÉLODIE", "élodie", "Bo", None)),
    Attr("name.familyName", "string", False, ("Zephyr", "o'Neil", "Ünal", "ünal", None)),
    Attr("displayName", "string", False, ("Ana Lee", "ANA LEE", "Ödön", "50% Off", "a_b", None)),
    Attr("title", "string", False, ("Engineer", "engineer", "Señor Dev", "SEÑOR DEV", None)),
    Attr("externalId", "string", True, ("ab", "AB", "Ab-1", "ab%", "x_y", None)),
    Attr("active", "boolean", True, (True, False)),
    Attr(f"{ENTERPRISE}:employeeNumber", "string", True, ("E-1", "e-1", "E-10", "Ü-2", None)),
    Attr("department", "string", False, ("Sales", "SALES", "Ops", "Straße", None)),
    Attr(f"{COMPANY}:startDate", "date", True, ("2024-01-15", "2025-06-01", "2023-03-03", None)),
    Attr("customLevel", "number", True, (1, 2, 2.5, -3, 10, 0, None)),
    Attr("customFlag", "boolean", True, (True, False, None)),
    Attr("customCode", "string", False, ("x", "X", "xy", "Ünï", "ünï", "%", None)),
    Attr("customSince", "date", True, ("2020-02-29", "2021-12-31", "2019-01-01", None)),
)
BY_PATH = {a.path: a for a in ATTRS}
OPS = {
    "string": ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"),
    "boolean": ("eq", "ne"),
    "number": ("eq", "ne", "gt", "ge", "lt", "le"),
    "date": ("eq", "ne", "gt", "ge", "lt", "le", "co", "sw", "ew"),
}


Leaf = tuple[str, str, Any]  # (path, op, value); op "pr" has no value
Node = Leaf | tuple[str, Any, Any] | tuple[str, Any]


def _values_for(attr: Attr) -> st.SearchStrategy[Any]:
    present = [v for v in attr.pool if v is not None]
    if attr.kind == "boolean":
        return st.sampled_from([True, False])
    if attr.kind == "number":
        return st.one_of(
            st.sampled_from(present),
            st.integers(-5, 12),
            st.floats(-5, 12, allow_nan=False).map(lambda f: round(f, 2)),
        )
    if attr.kind == "date":
        return st.one_of(
            st.sampled_from(present),
            st.dates(date(2018, 1, 1), date(2027, 1, 1)).map(date.isoformat),
            st.sampled_from(present).map(lambda d: d[:7]),  # a prefix, for sw/co
        )
    base = st.sampled_from(present or ["alice", "ex.org", "@", "50%", "_"])
    return st.one_of(
        base,
        base.map(str.upper),
        base.map(str.lower),
        base.flatmap(lambda s: st.integers(0, len(s)).map(lambda n: s[n:])),
        base.flatmap(lambda s: st.integers(0, len(s)).map(lambda n: s[:n])),
        st.sampled_from(["%", "_", "'", "É", "é", "ß", "SS", "\\", '"', " ", "1@"]),
        st.text(alphabet="aAéÉbß%_@.-1", max_size=4),
    )


@st.composite
def leaves(draw: st.DrawFn) -> Leaf:
    attr = draw(st.sampled_from(ATTRS))
    if draw(st.integers(0, 9)) == 0:
        return (attr.path, "pr", None)
    if draw(st.integers(0, 14)) == 0:
        return (attr.path, draw(st.sampled_from(["eq", "ne"])), None)  # null
    op = draw(st.sampled_from(OPS[attr.kind]))
    if attr.path == "userName":
        value = draw(
            st.one_of(
                st.sampled_from(["alice", "ÉLODIE", "example.com", "EX.ORG", "50%", "a_b", "@"]),
                st.text(alphabet="aAélo1@.%_", max_size=4),
            )
        )
    else:
        value = draw(_values_for(attr))
    return (attr.path, op, value)


def filters() -> st.SearchStrategy[Node]:
    return st.recursive(
        leaves(),
        lambda inner: st.one_of(
            st.tuples(st.just("and"), inner, inner),
            st.tuples(st.just("or"), inner, inner),
            st.tuples(st.just("not"), inner),
        ),
        max_leaves=5,
    )


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return orjson.dumps(value).decode()


def render(node: Node) -> str:
    if node[0] in ("and", "or"):
        return f"({render(node[1])} {node[0]} {render(node[2])})"
    if node[0] == "not":
        return f"not ({render(node[1])})"
    path, op, value = node
    if op == "pr":
        return f"{path} pr"
    return f"{path} {op} {_literal(value)}"

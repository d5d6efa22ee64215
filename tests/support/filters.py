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


@dataclass(frozen=True)
class Multi:
    """A multi-valued attribute kept value by value: filters match when any value does."""

    name: str  # emails, phoneNumbers
    values: tuple[str, ...]  # filter values for `value` (people get addresses built apart)
    types: tuple[str | None, ...]


# Emails: each person's are their own (`<local>.<i>.<k>@<domain>`, see the differential
# test), so filter values are pieces of them in several cases; phone numbers are shared
# from a small pool, with a letter in one so that case matters.
EMAIL_LOCALS = ("alice", "ALICE", "élodie", "Élodie", "bob", "o'neil", "50%off", "a_b")
EMAIL_DOMAINS = ("example.com", "Example.COM", "ex.org")
PHONES = ("+1 555 0100", "+1 555 0101", "555-0199", "(555) 0100 x1", "555 0100 X1")
MULTI = (
    Multi(
        "emails",
        ("alice", "ÉLODIE", "example.com", "EX.ORG", "50%", "a_b", "@", ".1.", ".0@", "o'n"),
        ("work", "Work", "home", "other", None),
    ),
    Multi("phoneNumbers", (*PHONES, "555", "X1", "+1", "0100"), ("work", "mobile", "MOBILE", None)),
)
MULTI_BY_NAME = {m.name: m for m in MULTI}
SUBS = {"value": "string", "type": "string", "primary": "boolean"}
OPS = {
    "string": ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"),
    "boolean": ("eq", "ne"),
    "number": ("eq", "ne", "gt", "ge", "lt", "le"),
    "date": ("eq", "ne", "gt", "ge", "lt", "le", "co", "sw", "ew"),
}


Leaf = tuple[str, str, Any]  # (path, op, value); op "pr" has no value
# ("[]", attribute, inner): a value filter, `emails[type eq "work" and value co "@"]`,
# whose inner leaves name sub-attributes only.
Node = Leaf | tuple[str, Any, Any] | tuple[str, Any]


def _multi_values(multi: Multi, sub: str, i_max: int = 48) -> st.SearchStrategy[Any]:
    if sub == "primary":
        return st.sampled_from([True, False])
    if sub == "type":
        present = [t for t in multi.types if t]
        return st.one_of(st.sampled_from(present), st.sampled_from(present).map(str.upper))
    pieces = st.sampled_from(multi.values)
    if multi.name != "emails":
        return st.one_of(pieces, st.sampled_from(PHONES).map(str.lower))
    whole = st.builds(
        lambda local, i, k, domain: f"{local}.{i}.{k}@{domain}",
        st.sampled_from(EMAIL_LOCALS),
        st.integers(0, i_max - 1),
        st.integers(0, 2),
        st.sampled_from(EMAIL_DOMAINS),
    )
    return st.one_of(pieces, whole, whole.map(str.upper))


@st.composite
def multi_leaves(draw: st.DrawFn, inside: Multi | None = None) -> Leaf:
    """`emails.value co "x"`, `phoneNumbers.type eq "work"`, `emails pr` (a leaf on a
    multi-valued attribute), or, `inside` a value filter, `type eq "work"`."""
    multi = inside or draw(st.sampled_from(MULTI))
    sub = draw(st.sampled_from(tuple(SUBS)))
    if inside is not None:
        path = sub
    elif sub == "value" and draw(st.booleans()):
        path = multi.name  # `emails co "x"` stands for emails.value
    else:
        path = f"{multi.name}.{sub}"
    if draw(st.integers(0, 9)) == 0:
        return (path, "pr", None)
    if draw(st.integers(0, 14)) == 0:
        return (path, draw(st.sampled_from(["eq", "ne"])), None)  # null
    op = draw(st.sampled_from(OPS[SUBS[sub]]))
    return (path, op, draw(_multi_values(multi, sub)))


@st.composite
def value_filters(draw: st.DrawFn) -> Node:
    multi = draw(st.sampled_from(MULTI))
    inner = draw(
        st.recursive(
            multi_leaves(multi),
            lambda sub: st.one_of(
                st.tuples(st.just("and"), sub, sub),
                st.tuples(st.just("or"), sub, sub),
                st.tuples(st.just("not"), sub),
            ),
            max_leaves=3,
        )
    )
    return ("[]", multi.name, inner)


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


def filters(*, multi_valued: bool = True) -> st.SearchStrategy[Node]:
    base = st.one_of(leaves(), multi_leaves(), value_filters()) if multi_valued else leaves()
    return st.recursive(
        base,
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
    if node[0] == "[]":
        return f"{node[1]}[{render(node[2])}]"
    path, op, value = node
    if op == "pr":
        return f"{path} pr"
    return f"{path} {op} {_literal(value)}"

"""The filter compiler, checked differentially: for random filters over random people,
the rows Roster's SQL returns are exactly the rows a reference evaluator written here,
in plain Python, selects from the same people.

The reference follows RFC 7644 §3.4.2.2 with Roster's documented choices: attributes
with caseExact false compare without regard to case (Unicode, not just ASCII); a
missing value is never equal, greater or less than anything, `ne` and `not` include
it; `pr` means present and not empty; dates compare as dates and, for co/sw/ew, as
their YYYY-MM-DD text; numbers as numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from roster.directory import tenants
from roster.store.db import Database
from tests.support.harness import Company, LiveServer, make_company

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
PEOPLE = 48


def _person(i: int, rnd: Any) -> dict[str, Any]:
    """A person as the reference sees it: attribute path -> value (None: absent)."""
    values: dict[str, Any] = {}
    for attr in ATTRS:
        values[attr.path] = rnd.choice(attr.pool) if attr.pool else None
    local = rnd.choice(("alice", "ALICE", "élodie", "Élodie", "bob", "o'neil", "50%off", "a_b"))
    domain = rnd.choice(("example.com", "Example.COM", "ex.org"))
    values["userName"] = f"{local}{i}@{domain}"
    return values


def _scim_body(values: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"userName": values["userName"], "active": values["active"]}
    name = {k: values[f"name.{k}"] for k in ("givenName", "familyName") if values[f"name.{k}"]}
    if name:
        body["name"] = name
    for key in ("displayName", "title", "externalId"):
        if values[key] is not None:
            body[key] = values[key]
    enterprise = {}
    if values[f"{ENTERPRISE}:employeeNumber"] is not None:
        enterprise["employeeNumber"] = values[f"{ENTERPRISE}:employeeNumber"]
    if values["department"] is not None:
        enterprise["department"] = values["department"]
    if enterprise:
        body[ENTERPRISE] = enterprise
    company = {
        k: values[p]
        for k, p in (
            ("startDate", f"{COMPANY}:startDate"),
            ("customLevel", "customLevel"),
            ("customFlag", "customFlag"),
            ("customCode", "customCode"),
            ("customSince", "customSince"),
        )
        if values[p] is not None
    }
    if company:
        body[COMPANY] = company
    return body


@pytest.fixture(scope="module")
def people(server: LiveServer) -> Iterator[tuple[Company, list[dict[str, Any]]]]:
    import random

    company = make_company(server)

    async def define(db: Database) -> None:
        for name, kind in (
            ("customLevel", "number"),
            ("customFlag", "boolean"),
            ("customCode", "string"),
            ("customSince", "date"),
        ):
            await tenants.add_custom_attribute(db, company.subdomain, name, kind)

    server.call(define)
    rnd = random.Random(20260131)  # the same people every run: failures reproduce
    crowd = [_person(i, rnd) for i in range(PEOPLE)]
    for values in crowd:
        r = company.client.post("/Users", json=_scim_body(values))
        assert r.status_code == 201, r.text
        values["id"] = r.json()["id"]
    yield company, crowd
    company.client.close()


# ---------------------------------------------------------------------------
# Filters as data: rendered to text for Roster, evaluated here for the reference.

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


def _fold(attr: Attr, value: Any) -> Any:
    if attr.kind == "string" and not attr.case_exact and isinstance(value, str):
        return value.lower()
    return value


def evaluate(node: Node, person: dict[str, Any]) -> bool:
    if node[0] == "and":
        return evaluate(node[1], person) and evaluate(node[2], person)
    if node[0] == "or":
        return evaluate(node[1], person) or evaluate(node[2], person)
    if node[0] == "not":
        return not evaluate(node[1], person)
    path, op, expected = node
    attr = BY_PATH[path]
    actual = person[path]
    if op == "pr":
        return actual is not None and actual != ""
    if expected is None:
        return (actual is None) == (op == "eq")
    if actual is None:
        return op == "ne"
    a, e = _fold(attr, actual), _fold(attr, expected)
    if attr.kind == "number":
        a, e = float(a), float(e)
    if op == "eq":
        return bool(a == e)
    if op == "ne":
        return bool(a != e)
    if op in ("co", "sw", "ew"):
        a, e = str(a), str(e)
        return {"co": e in a, "sw": a.startswith(e), "ew": a.endswith(e)}[op]
    if attr.kind == "date":
        a, e = date.fromisoformat(a), date.fromisoformat(e)
    return bool({"gt": a > e, "ge": a >= e, "lt": a < e, "le": a <= e}[op])


def _valid_for_roster(node: Node) -> bool:
    """Filters whose values Roster must accept (dates must be whole dates outside co/sw/ew)."""
    if node[0] in ("and", "or"):
        return _valid_for_roster(node[1]) and _valid_for_roster(node[2])
    if node[0] == "not":
        return _valid_for_roster(node[1])
    path, op, value = node
    attr = BY_PATH[path]
    if attr.kind == "date" and op not in ("co", "sw", "ew", "pr") and value is not None:
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
    return True


@given(node=filters())
def test_sql_selects_the_rows_the_reference_selects(
    people: tuple[Company, list[dict[str, Any]]], node: Node
) -> None:
    company, crowd = people
    text = render(node)
    r = company.client.get(
        "/Users", params={"filter": text, "count": "1000", "attributes": "userName"}
    )
    if not _valid_for_roster(node):
        assert r.status_code == 400 and r.json()["scimType"] == "invalidFilter", (text, r.text)
        return
    assert r.status_code == 200, (text, r.text)
    got = sorted(u["userName"] for u in r.json()["Resources"])
    expected = sorted(p["userName"] for p in crowd if evaluate(node, p))
    assert got == expected, text
    assert r.json()["totalResults"] == len(expected)


@pytest.mark.parametrize(
    "text",
    [
        'displayName eq "ödön"',
        'title eq "señor dev"',
        'userName sw "élodie"',
        'department eq "STRASSE"',
        'customCode co "ÜN"',
        'externalId co "b%"',
        'name.familyName gt "zephyr"',
        "customLevel ge 2 and not (customFlag eq true)",
        f'{COMPANY}:startDate sw "2024"',
        'customSince lt "2020-03-01"',
    ],
)
def test_known_edges_agree_with_the_reference(
    people: tuple[Company, list[dict[str, Any]]], text: str
) -> None:
    """Hand-picked cases of the rules above (accents, ß, LIKE wildcards, null), checked
    through the same reference (the parser here is Roster's own, only to read the text)."""
    company, crowd = people
    from roster.model.query import And, Compare, Not, Or, Present
    from roster.scim.filters import parse_filter

    def to_node(expr: Any) -> Node:
        if isinstance(expr, And | Or):
            return (
                "and" if isinstance(expr, And) else "or",
                to_node(expr.left),
                to_node(expr.right),
            )
        if isinstance(expr, Not):
            return ("not", to_node(expr.expr))
        path = expr.path.text()
        path = f"{path}" if path in BY_PATH else next(p for p in BY_PATH if p.endswith(path))
        if isinstance(expr, Present):
            return (path, "pr", None)
        assert isinstance(expr, Compare)
        return (path, expr.op, expr.value)

    node = to_node(parse_filter(text))
    r = company.client.get("/Users", params={"filter": text, "count": "1000"})
    assert r.status_code == 200, r.text
    got = sorted(u["userName"] for u in r.json()["Resources"])
    assert got == sorted(p["userName"] for p in crowd if evaluate(node, p)), text

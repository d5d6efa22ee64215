"""The filter compiler, checked differentially: for random filters over random people,
the rows Roster's SQL returns are exactly the rows a reference evaluator written here,
in plain Python, selects from the same people.

The reference follows RFC 7644 §3.4.2.2 with Roster's documented choices: attributes
with caseExact false compare without regard to case (Unicode, not just ASCII); a
missing value is never equal, greater or less than anything, `ne` and `not` include
it; `pr` means present and not empty; dates compare as dates and, for co/sw/ew, as
their YYYY-MM-DD text; numbers as numbers. A multi-valued attribute (emails,
phoneNumbers; each person has none to three of each) matches when any one value
matches by those rules, so a person with none matches no comparison (and `not` of
one); a value filter `emails[type eq "work" and value co "@"]` asks it all of one
value; `primary` is false on every value but the primary one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from hypothesis import given

from roster.directory import tenants
from roster.store.db import Database
from tests.support.filters import (
    ATTRS,
    BY_PATH,
    COMPANY,
    EMAIL_DOMAINS,
    EMAIL_LOCALS,
    ENTERPRISE,
    MULTI_BY_NAME,
    PHONES,
    SUBS,
    Attr,
    Node,
    filters,
    render,
)
from tests.support.harness import Company, LiveServer, make_company

PEOPLE = 48


def _person(i: int, rnd: Any) -> dict[str, Any]:
    """A person as the reference sees it: attribute path -> value (None: absent)."""
    values: dict[str, Any] = {}
    for attr in ATTRS:
        values[attr.path] = rnd.choice(attr.pool) if attr.pool else None
    local = rnd.choice(("alice", "ALICE", "élodie", "Élodie", "bob", "o'neil", "50%off", "a_b"))
    domain = rnd.choice(("example.com", "Example.COM", "ex.org"))
    values["userName"] = f"{local}{i}@{domain}"
    emails = []
    for k in range(rnd.choice((0, 1, 1, 2, 3))):
        address = f"{rnd.choice(EMAIL_LOCALS)}.{i}.{k}@{rnd.choice(EMAIL_DOMAINS)}"
        email: dict[str, Any] = {"value": address}
        kind = rnd.choice(MULTI_BY_NAME["emails"].types)
        if kind:
            email["type"] = kind
        emails.append(email)
    if emails:
        emails[rnd.randrange(len(emails))]["primary"] = True  # what the codec keeps
    phones = []
    for _ in range(rnd.choice((0, 1, 2, 2))):
        phone: dict[str, Any] = {"value": rnd.choice(PHONES)}
        kind = rnd.choice(MULTI_BY_NAME["phoneNumbers"].types)
        if kind:
            phone["type"] = kind
        phones.append(phone)
    if phones and rnd.random() < 0.5:
        phones[rnd.randrange(len(phones))]["primary"] = True
    values["emails"], values["phoneNumbers"] = emails, phones
    return values


def _scim_body(values: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"userName": values["userName"], "active": values["active"]}
    for key in ("emails", "phoneNumbers"):
        if values[key]:
            body[key] = values[key]
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
        for key in ("emails", "phoneNumbers"):  # kept as sent, order too
            assert r.json().get(key, []) == values[key], r.text
    yield company, crowd
    company.client.close()


# ---------------------------------------------------------------------------
# Filters as data: rendered to text for Roster, evaluated here for the reference.


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
    if node[0] == "[]":
        return any(_evaluate_value(node[2], value) for value in person[node[1]])
    path, op, expected = node
    head, _, sub = path.partition(".")
    if head in MULTI_BY_NAME:
        leaf = (sub or "value", op, expected)
        return any(_evaluate_value(leaf, value) for value in person[head])
    return _compare(BY_PATH[path], person[path], op, expected)


def _evaluate_value(node: Node, value: dict[str, Any]) -> bool:
    """A filter over one value of a multi-valued attribute (its sub-attributes)."""
    if node[0] == "and":
        return _evaluate_value(node[1], value) and _evaluate_value(node[2], value)
    if node[0] == "or":
        return _evaluate_value(node[1], value) or _evaluate_value(node[2], value)
    if node[0] == "not":
        return not _evaluate_value(node[1], value)
    sub, op, expected = node
    actual = bool(value.get("primary")) if sub == "primary" else value.get(sub)
    return _compare(Attr(sub, SUBS[sub], False, ()), actual, op, expected)


def _compare(attr: Attr, actual: Any, op: str, expected: Any) -> bool:
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
    if node[0] == "[]":
        return True
    path, op, value = node
    if path not in BY_PATH:
        return True  # emails, phoneNumbers: strings and booleans
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

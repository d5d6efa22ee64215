"""Manage People's search box on SQLite and PostgreSQL: what it finds (any part of the
username, email, "given family" name, display name or employee number, in any case; the
new name after a rename, not the old; never another company's people; wildcards and
quotes taken literally) and that an index serves it (store/people_search.py): the query
plan of the page and of its count, in a company of 6,000 people beside another
company's 6,000."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest
import sqlalchemy as sa

from roster.store import people_search
from roster.store.db import Database
from tests.support.console import signed_in
from tests.support.harness import Company
from tests.support.helpers import recorded_statements
from tests.support.people import listed, seed
from tests.support.users import okta_user

migration = importlib.import_module("roster.store.migrations.versions.0013_name_search")


def _searcher(company: Company) -> Callable[..., set[str]]:
    """Manage People's search as one signed-in admin (one sign-in per test: signing in
    again and again is what the console's sign-in limit is for)."""
    client = signed_in(company)

    def found(q: str, status: str = "") -> set[str]:
        query = urlencode({"q": q, "size": 100, **({"status": status} if status else {})})
        return set(listed(client, f"/admin/people?{query}"))

    return found


def test_search_finds_any_part_of_each_field_in_any_case(
    company: Company, other_company: Company
) -> None:
    ana, bo, cy = seed(
        company,
        [
            {"email": "ana.lima@example.com", "given_name": "Ana", "family_name": "Lima"},
            {
                "email": "bo@example.com",
                "display_name": "Bö Öhman",
                "employee_number": "E-77_31%",
            },
            {"email": "cy@example.com", "given_name": "Cyrus", "family_name": 'O"Neil'},
        ],
    )
    seed(other_company, [{"email": "ana.lima@other.example", "given_name": "Ana"}])
    _found = _searcher(company)
    assert _found("ANA.LI") == {ana}  # email / username, any case
    assert _found("a lima") == {ana}  # "given family"
    assert _found("öhm") == {bo}  # display name, beyond ASCII
    assert _found("77_31%") == {bo}  # employee number; _ and % are literal
    assert _found("7_3") == {bo}
    assert _found("7x3") == set()
    assert _found('o"neil') == {cy}  # a quote is literal too
    assert _found("example.com") == {ana, bo, cy}
    assert _found("li") == {ana}  # shorter than a trigram: compared column by column
    assert _found("nobody") == set()
    # The field separator never joins two fields into one match.
    assert _found("comana") == set()


def test_search_follows_renames_and_deletes(company: Company) -> None:
    _found = _searcher(company)
    created = company.client.post(
        "/Users", json=okta_user("searchme@example.com", "Zed", "Oldname")
    )
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    assert _found("searchme") == {pid}
    renamed = company.client.patch(
        f"/Users/{pid}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "replace", "path": "userName", "value": "renamed@example.com"},
                {"op": "replace", "path": "name.familyName", "value": "Quixotic"},
                {"op": "replace", "path": "displayName", "value": "Zed Quixotic"},
            ],
        },
    )
    assert renamed.status_code == 200, renamed.text
    assert _found("renamed") == {pid}
    assert _found("quixot") == {pid}
    assert _found("oldname") == set()
    assert _found("searchme") == {pid}  # the email is unchanged
    assert company.client.delete(f"/Users/{pid}").status_code == 204
    assert _found("renamed") == set()
    assert _found("renamed", status="deleted") == {pid}


def test_the_frozen_index_text_is_the_text_searched() -> None:
    """The migration keeps its own copy of the indexed text; the query must spell the
    same text or PostgreSQL cannot use the index."""
    assert people_search.search_text("postgresql") == migration.PG_TEXT
    assert people_search.search_text("sqlite", "new") == migration.SQLITE_NEW_TEXT


BIG = 6_000


def _bulk(company: Company, prefix: str) -> None:
    seed(
        company,
        [
            {
                "email": f"{prefix}{i}@example.com",
                "given_name": f"Given{i}",
                "family_name": f"Family{i}",
            }
            for i in range(BIG)
        ],
    )


async def _plans(db: Database, statements: list[tuple[str, Any]]) -> list[str]:
    out: list[str] = []
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        for sql, args in statements:
            if db.engine.dialect.name == "postgresql":
                rows = await driver.fetch(f"EXPLAIN (FORMAT JSON) {sql}", *args)
                plan = rows[0][0]
                out.append(plan if isinstance(plan, str) else orjson.dumps(plan).decode())
            else:
                cursor = await driver.execute(f"EXPLAIN QUERY PLAN {sql}", args)
                out.append(" | ".join(str(r[3]) for r in await cursor.fetchall()))
    return out


@pytest.mark.timeout(600)
def test_an_index_serves_the_search_in_a_big_company(
    company: Company, other_company: Company
) -> None:
    _bulk(company, "worker")
    _bulk(other_company, "worker")
    db = company.server.db
    assert db is not None
    if db.engine.dialect.name == "postgresql":
        # As a deployment that has run for a while: statistics on every table.
        async def analyze(db: Database) -> None:
            async with db.engine.begin() as conn:  # committed: a rolled-back ANALYZE is lost
                await conn.execute(sa.text("ANALYZE people"))

        company.call(analyze)
    client = signed_in(company)
    with recorded_statements(company) as recorded:
        assert len(listed(client, "/admin/people?q=family4321")) == 1
        assert len(listed(client, "/admin/people?q=given12&sort=name")) == 50
    searches = [
        (sql, args)
        for sql, args in recorded
        if any(isinstance(a, str) and ("family4321" in a or "given12" in a) for a in args)
    ]
    # Two pages, and the count of the one that is full (a page that is not full is its
    # own count).
    assert len(searches) >= 3, [sql for sql, _ in recorded]
    for plan in company.call(lambda db: _plans(db, searches)):
        if db.engine.dialect.name == "postgresql":
            assert "ix_people_search" in plan, plan
            assert '"Seq Scan"' not in plan, plan
        else:
            assert "people_search VIRTUAL TABLE INDEX 0:M" in plan, plan
            assert "SCAN people" not in plan.replace("SCAN people_search", ""), plan
            # Nor a search of the company alone (every person of it read).
            assert not re.search(r"SEARCH people USING \S* ?INDEX \S+ \(tenant_id=\?\)", plan), plan

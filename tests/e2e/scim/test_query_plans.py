"""The plans Okta's requests get on a database nobody has analyzed, on both databases.

A fresh database of its own (the shared test database has other companies' rows and
whatever statistics earlier tests left), people and a group created over SCIM with
Okta's bodies, as a new deployment gets them. Then each operation of Okta's mix is
sent once, every statement it ran is recorded with its parameters and explained:

- PostgreSQL: `EXPLAIN (ANALYZE)` in a transaction that is rolled back. No statement
  may read rows only to throw them away (rows removed by a filter or a join filter):
  that is the mark of an index matched on the company alone, which reads every person
  of the company per lookup (and, for an import page, per person on the page). With no
  statistics that is what PostgreSQL chooses; Roster's statistics keeper
  (store/statistics.py) is what makes these pass. Autovacuum is off on these machines,
  as it is on a new deployment until its first pass.
- SQLite: `EXPLAIN QUERY PLAN`. No full scan of people, groups or memberships, and no
  search of them by the company alone except for the statements that read a page or
  count (where the company's rows are what is asked for).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from roster.store import statistics
from roster.store.db import Database
from roster.store.ids import new_id
from roster.store.tables import groups
from roster.store.types import utcnow
from tests.support.harness import (
    BACKENDS,
    Company,
    LiveServer,
    make_company,
    own_server,
)
from tests.support.helpers import bulk_people, recorded_statements
from tests.support.users import PATCH_OP, okta_user

PEOPLE = 300  # created over SCIM, one by one, as Okta creates them
OTHERS = 20_000  # bulk-loaded: the other companies of the deployment
WASTE = 5  # rows a statement may read and throw away (an UPDATE's stale version check)
BIG_TABLES = ("people", "groups", "group_members", "person_values")


@pytest.fixture(scope="module", params=BACKENDS)
def fresh(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    with own_server(
        request.param, tmp_path_factory.mktemp("plans"), statistics_seconds=0.2
    ) as live:
        yield live


def _group_of(company: Company, name: str, members: list[str]) -> str:
    r = company.client.post(
        "/Groups",
        json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name},
    )
    assert r.status_code == 201, r.text
    group_id: str = r.json()["id"]
    r = company.client.patch(
        f"/Groups/{group_id}",
        json={
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "add", "path": "members", "value": [{"value": i} for i in members]}
            ],
        },
    )
    assert r.status_code in (200, 204), r.text
    return group_id


def _bulk_groups(company: Company, count: int) -> None:
    async def insert(db: Database) -> None:
        now = utcnow()
        rows = [
            {
                "tenant_id": company.tenant.id,
                "id": new_id(),
                "display_name": f"Team {i}",
                "display_name_lower": f"team {i}",
                "group_type": "Groups",
                "source": "idp",
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(count)
        ]
        async with db.write() as conn:
            await conn.execute(sa.insert(groups), rows)

    company.call(insert)


@pytest.fixture(scope="module")
def seeded(fresh: LiveServer) -> tuple[Company, list[str], str]:
    # The rest of the deployment: a larger company, so that an index is the right plan
    # (on a few hundred rows a sequential scan is, and PostgreSQL rightly takes it).
    others = make_company(fresh)
    _group_of(others, "Everyone", bulk_people(others, OTHERS)[: OTHERS // 2])
    _bulk_groups(others, OTHERS // 10)
    company = make_company(fresh)
    ids = []
    for i in range(PEOPLE):
        r = company.client.post("/Users", json=okta_user(f"plan.{i}@co.example"))
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    group_id = _group_of(company, "All", ids[: PEOPLE // 2])
    _settle(fresh)
    return company, ids, group_id


def _settle(live: LiveServer) -> None:
    """Until the keeper has caught up (PostgreSQL's activity counters are flushed by
    each backend within a second of its transaction)."""
    if live.backend == "sqlite":
        return

    async def stale(db: Database) -> list[str]:
        async with db.read() as conn:
            return await statistics.stale_tables(conn, BIG_TABLES)

    deadline = time.monotonic() + 30
    while (left := live.call(stale)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"the statistics keeper left {left} stale"


def _operations(ids: list[str], group_id: str, run: str) -> dict[str, tuple[str, str, Any]]:
    someone, other = ids[PEOPLE // 3], ids[PEOPLE // 2 + 7]
    return {
        "GET a person": ("GET", f"/Users/{someone}", None),
        "look up by userName": (
            "GET",
            '/Users?filter=userName eq "plan.200@co.example"&startIndex=1&count=100',
            None,
        ),
        # Ping's lookup, and any filter on emails: over every email, not just the primary.
        "look up by email": (
            "GET",
            '/Users?filter=emails.value eq "plan.201@co.example"&startIndex=1&count=100',
            None,
        ),
        "look up by work email": (
            "GET",
            '/Users?filter=emails[type eq "work" and value eq "plan.202@co.example"]',
            None,
        ),
        "import, first page": ("GET", "/Users?startIndex=1&count=100", None),
        "import, a later page": ("GET", "/Users?startIndex=101&count=100", None),
        "PATCH a person": (
            "PATCH",
            f"/Users/{someone}",
            {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"title": "Lead"}}]},
        ),
        "PUT a person": ("PUT", f"/Users/{other}", {**okta_user(f"plan.renamed.{run}@co.example")}),
        "create a person": ("POST", "/Users", okta_user(f"plan.new.{run}@co.example")),
        "add a member": (
            "PATCH",
            f"/Groups/{group_id}",
            {
                "schemas": [PATCH_OP],
                "Operations": [{"op": "add", "path": "members", "value": [{"value": other}]}],
            },
        ),
        "remove a member": (
            "PATCH",
            f"/Groups/{group_id}",
            {
                "schemas": [PATCH_OP],
                "Operations": [{"op": "remove", "path": f'members[value eq "{ids[3]}"]'}],
            },
        ),
        "GET a group": ("GET", f"/Groups/{group_id}", None),
        "look up a group": ("GET", '/Groups?filter=displayName eq "All"', None),
        "deactivate a person": (
            "PATCH",
            f"/Users/{ids[5]}",
            {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]},
        ),
    }


async def _explain_pg(db: Database, sql: str, args: Any) -> list[dict[str, Any]]:
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        transaction = driver.transaction()
        await transaction.start()
        try:
            text = await driver.fetchval("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, *(args or ()))
        finally:
            await transaction.rollback()
    plan: list[dict[str, Any]] = orjson.loads(text) if isinstance(text, str | bytes) else text
    return plan


def _wasted(node: dict[str, Any]) -> list[str]:
    """Rows a node read and threw away, with where: (table, index, rows)."""
    loops = node.get("Actual Loops", 1)
    removed = (
        node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Join Filter", 0)
    ) * loops
    found = []
    if removed > WASTE:
        found.append(
            f"{node['Node Type']} on {node.get('Relation Name', '-')} "
            f"using {node.get('Index Name', '-')}: {removed:.0f} rows read and thrown away"
        )
    if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in BIG_TABLES:
        found.append(f"Seq Scan on {node['Relation Name']}")
    for child in node.get("Plans", []):
        found.extend(_wasted(child))
    return found


def _sqlite_problems(sql: str, details: list[str]) -> list[str]:
    paged = " LIMIT " in sql or "count(" in sql.lower()
    found = []
    for detail in details:
        words = detail.split()
        if len(words) < 2 or words[1] not in BIG_TABLES:
            continue
        if words[0] == "SCAN" or (detail.endswith("(tenant_id=?)") and not paged):
            found.append(detail)
    return found


@pytest.mark.parametrize("state", ["as Roster keeps them", "after ANALYZE"])
def test_every_statement_of_oktas_mix_uses_its_index(
    seeded: tuple[Company, list[str], str], state: str
) -> None:
    company, ids, group_id = seeded
    if state == "after ANALYZE":  # as autovacuum leaves them, eventually
        company.call(_analyze_everything)
    server = company.server
    db = server.db
    assert db is not None
    problems: dict[str, list[str]] = {}
    explained = 0
    for name, (method, path, body) in _operations(ids, group_id, secrets.token_hex(3)).items():
        with recorded_statements(company) as recorded:
            r = company.client.request(method, path, json=body)
        assert r.status_code < 300, (name, r.status_code, r.text)
        for sql, args in recorded:
            if not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "WITH")):
                continue  # inserts probe unique indexes only; BEGIN, COMMIT
            explained += 1
            if server.backend == "sqlite":
                details = server.call(lambda d, s=sql, a=args: _sqlite_plan(d, s, a))
                found = _sqlite_problems(sql, details)
            else:
                plan = server.call(lambda d, s=sql, a=args: _explain_pg(d, s, a))
                found = _wasted(plan[0]["Plan"])
            if found:
                problems.setdefault(name, []).extend(
                    [*found, "  in: " + " ".join(sql.split())[:300]]
                )
    assert explained >= 20
    assert not problems, "\n".join(f"{k}:\n  " + "\n  ".join(v) for k, v in problems.items())


async def _analyze_everything(db: Database) -> None:
    async with db.read() as conn:
        await conn.execute(sa.text("ANALYZE"))


async def _sqlite_plan(db: Database, sql: str, args: Any) -> list[str]:
    async with db.read() as conn:
        rows = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, tuple(args or ()))
        return [str(r[-1]) for r in rows]


def test_the_keeper_analyzes_only_what_autovacuums_rule_calls_stale(
    seeded: tuple[Company, list[str], str],
) -> None:
    company, _ids, _group = seeded
    if company.server.backend == "sqlite":
        pytest.skip("SQLite's planner needs no statistics for these statements")

    async def last_analyzed(db: Database) -> dict[str, Any]:
        async with db.read() as conn:
            rows = await conn.execute(
                sa.text(
                    "SELECT relname, analyze_count FROM pg_stat_user_tables WHERE relname = ANY(:t)"
                ),
                {"t": list(BIG_TABLES)},
            )
            return {r[0]: r[1] for r in rows}

    before = company.call(last_analyzed)
    assert all(before[t] >= 1 for t in BIG_TABLES), before
    company.client.patch(
        f"/Users/{_ids[9]}",
        json={"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"title": "X"}}]},
    )
    time.sleep(1.5)  # several of the keeper's passes: one changed row is not 50 + 10 %
    assert company.call(last_analyzed)["people"] == before["people"]


def test_connections_price_random_reads_as_memory_and_ssd_do(
    seeded: tuple[Company, list[str], str],
) -> None:
    """With PostgreSQL's default random_page_cost (4, for spinning disks), an import
    page of a company of a few thousand people is a hash join over all of them."""
    company, _ids, _group = seeded
    if company.server.backend == "sqlite":
        pytest.skip("PostgreSQL's cost setting")

    async def show(db: Database) -> list[str]:
        found = []
        for connect in (db.read, db.write):
            async with connect() as conn:
                found.append(str(await conn.scalar(sa.text("SHOW random_page_cost"))))
        return found

    assert company.call(show) == ["1.1", "1.1"]

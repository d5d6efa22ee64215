"""The SCIM activity chart on the Overview and the provisioning log, on both databases:
its hourly counts are the log's own (kept in the writer's transaction, never read from
the log), its failure links open the log filtered to that hour's failures, bad chart or
time parameters are a 400 page naming the fix, and the counts go with purged rows."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from roster.directory import provisioning_log
from roster.store import provisioning_log as log_store
from roster.store.db import Database
from roster.store.ids import new_id
from roster.store.tables import provisioning_hours
from roster.store.tables import provisioning_log as log_table
from roster.store.types import utcnow
from tests.support.console import signed_in
from tests.support.harness import Company

MISSING = "/Users/00000000-0000-7000-8000-000000000000"


def _counts(company: Company) -> tuple[dict[int, tuple[int, int]], dict[int, tuple[int, int]]]:
    """(the hours table, the same counted from the log rows) for the company."""

    async def go(db: Database) -> Any:
        async with db.read() as conn:
            kept = await log_store.hourly_counts(conn, company.tenant.id, 0)
            rows = await conn.execute(
                sa.select(log_table.c.at, log_table.c.status).where(
                    log_table.c.tenant_id == company.tenant.id
                )
            )
            counted: dict[int, list[int]] = {}
            for at, status in rows:
                c = counted.setdefault(log_store.hour_of(at), [0, 0])
                c[0] += 1
                c[1] += status >= 400
        return kept, {h: (n, f) for h, (n, f) in counted.items()}

    return company.call(go)  # type: ignore[no-any-return]


def test_the_chart_counts_what_the_log_holds_and_links_to_the_failures(
    company: Company,
) -> None:
    for _ in range(5):
        assert company.client.get("/Users?count=1").status_code == 200
    for _ in range(3):
        assert company.client.get(MISSING).status_code == 404
    client = signed_in(company)
    overview = client.get("/admin")
    assert overview.status_code == 200
    assert 'class="chart-bars"' in overview.text
    kept, counted = _counts(company)
    assert kept == counted and sum(f for _, f in kept.values()) == 3
    total = sum(n for n, _ in kept.values())
    assert f"{total:,} requests, 3 failed" in html.unescape(overview.text)
    assert overview.text.count('class="bar-failed"') == 1  # one hour holds all three
    # The latest hour with failures, as text, opens the log filtered to it.
    latest = re.search(r'Latest failures:\s*<a href="([^"]+)">', overview.text)
    assert latest, overview.text[-3000:]
    filtered = client.get(html.unescape(latest.group(1)))
    assert filtered.status_code == 200
    assert ">3 requests</h2>" in filtered.text
    assert filtered.text.count('<tr class="failed">') == 3
    assert 'name="since"' in filtered.text  # the time range survives the filter form
    # The log's own chart, by day.
    daily = client.get("/admin/log?chart=30d")
    assert daily.status_code == 200
    assert 'aria-current="true">30 days, per day' in daily.text
    assert "SCIM requests per day, last 30 days" in daily.text


def test_bad_chart_and_time_parameters_are_a_page_naming_the_fix(company: Company) -> None:
    client = signed_in(company)
    for url, words in (
        ("/admin?chart=week", "chart must be one of 7d, 30d"),
        ("/admin/log?chart=1y", "chart must be one of 7d, 30d"),
        ("/admin/log?since=yesterday", "since must be a UTC time such as 2026-12-04T13:00Z"),
        ("/admin/log?until=2026-12-04T13:00", "until must be a UTC time"),  # no zone
        ("/admin/log?since=0001-01-01T00:00Z", "since must be a UTC time"),
    ):
        page = client.get(url)
        assert page.status_code == 400, (url, page.status_code)
        assert page.headers["content-type"].startswith("text/html")
        assert words in html.unescape(page.text), url


def test_an_hours_counts_go_with_its_purged_rows(company: Company) -> None:
    old = utcnow() - timedelta(days=400)  # past every retention choice
    entry = {
        "tenant_id": company.tenant.id,
        "id": log_store.id_floor(old)[:-12] + new_id()[-12:],
        "at": old,
        "method": "GET",
        "path": "/scim/v2/Users",
        "status": 500,
        "duration_ms": 1.0,
    }

    now = utcnow()
    recent = {**entry, "id": new_id(), "at": now, "status": 200}

    async def seed(db: Database) -> None:
        async with db.write() as conn:
            await log_store.insert_entries(conn, [entry, recent])
            await log_store.add_to_hours(conn, [entry, recent])

    company.call(seed)
    kept, counted = _counts(company)
    assert kept == counted
    assert kept[log_store.hour_of(old)] == (1, 1)
    assert company.call(lambda db: provisioning_log.purge(db, company.tenant.id)) == 1
    kept, counted = _counts(company)
    assert log_store.hour_of(old) not in kept
    assert kept == counted and kept  # today's hour stays

    async def rows(db: Database) -> int:
        async with db.read() as conn:
            query = sa.select(sa.func.count()).where(
                provisioning_hours.c.tenant_id == company.tenant.id
            )
            return int((await conn.execute(query)).scalar_one())

    assert company.call(rows) == len(kept)

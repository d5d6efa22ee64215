"""The events feed (GET /api/v1/events) read the way a downstream service reads it:
an API token, page after page from its cursor, stopping and resuming while changes go
on; no gap, no repeat. Through the real HTTP stack, on both databases."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import httpx

from roster.directory import api_tokens
from roster.store.db import Database
from roster.store.tables import events as events_table
from tests.support.harness import Company
from tests.support.helpers import roster_cli
from tests.support.users import create, okta_user, patch


def _reader(company: Company) -> httpx.Client:
    _, secret = company.call(lambda db: api_tokens.create_api_token(db, company.subdomain, "feed"))
    return httpx.Client(
        base_url=company.server.url, headers={"Authorization": f"Bearer {secret}"}, timeout=30
    )


def _page(reader: httpx.Client, **params: Any) -> dict[str, Any]:
    r = reader.get("/api/v1/events", params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _read_all(
    reader: httpx.Client, after: str = "0", limit: int = 3
) -> tuple[list[dict[str, Any]], str]:
    seen: list[dict[str, Any]] = []
    while True:
        body = _page(reader, after=after, limit=limit)
        seen += body["data"]
        after = body["next"]
        if not body["has_more"]:
            return seen, after


def test_a_reader_pages_through_every_event_once(company: Company) -> None:
    ids = [create(company, okta_user(f"r{i}@acme.example"))["id"] for i in range(4)]
    patch(company, ids[0], {"op": "replace", "value": {"active": False}})
    with _reader(company) as reader:
        events, cursor = _read_all(reader)
        assert [e["type"] for e in events] == [
            "scim.token_created",
            *["person.created"] * 4,
            "person.updated",
            "person.deactivated",
        ]
        assert [e["sequence"] for e in events] == list(range(1, 8))
        assert cursor == "7"
        first = events[1]
        assert first["company"] == company.subdomain and first["resource"]["type"] == "User"
        assert first["data"]["object"]["id"] == ids[0] and first["id"]
        # Nothing new: the same cursor comes back and nothing is repeated.
        assert _page(reader, after=cursor) == {"data": [], "next": cursor, "has_more": False}


def test_stop_and_resume_while_changes_go_on(company: Company) -> None:
    people = [create(company, okta_user(f"w{i}@acme.example"))["id"] for i in range(5)]
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set() and i < 60:
            patch(company, people[i % 5], {"op": "replace", "value": {"title": f"T{i}"}})
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    seen: list[int] = []
    cursor = "0"
    try:
        with _reader(company) as reader:
            for _ in range(30):  # a reader that stops after every page and comes back
                body = _page(reader, after=cursor, limit=4)
                seen += [e["sequence"] for e in body["data"]]
                cursor = body["next"]
    finally:
        stop.set()
        thread.join()
    with _reader(company) as reader:
        rest, _ = _read_all(reader, after=cursor, limit=50)
    seen += [e["sequence"] for e in rest]
    assert seen == list(range(1, len(seen) + 1))  # in order, no gap, no repeat


def test_types_filter_and_bad_parameters(company: Company) -> None:
    person = create(company, okta_user("t@acme.example"))
    patch(company, person["id"], {"op": "replace", "value": {"active": False}})
    with _reader(company) as reader:
        body = _page(reader, types="person.deactivated,person.created")
        assert [e["type"] for e in body["data"]] == ["person.created", "person.deactivated"]
        for params, word in (
            ({"types": "person.fired"}, "person.fired"),
            ({"after": "abc"}, "after"),
            ({"after": "-1"}, "after"),
            ({"limit": "0"}, "limit"),
            ({"limit": "5000"}, "limit"),
        ):
            r = reader.get("/api/v1/events", params=params)
            assert r.status_code == 400, (params, r.text)
            assert word in r.json()["error"]["message"]


def test_only_a_live_api_token_of_the_company_reads_it(
    company: Company, other_company: Company
) -> None:
    create(other_company, okta_user("theirs@acme.example"))
    url = f"{company.server.url}/api/v1/events"
    for headers in (
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": f"Bearer {company.token}"},
    ):
        r = httpx.get(url, headers=headers)
        assert r.status_code == 401 and "roster api-token create" in r.json()["error"]["message"]
    with _reader(company) as reader:
        assert all(e["company"] == company.subdomain for e in _page(reader)["data"])
    token_id, secret = company.call(
        lambda db: api_tokens.create_api_token(db, company.subdomain, "gone")
    )
    company.call(lambda db: api_tokens.revoke_api_token(db, company.subdomain, token_id))
    assert httpx.get(url, headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_a_cursor_older_than_the_kept_events_is_told_so(company: Company) -> None:
    for i in range(3):
        create(company, okta_user(f"old{i}@acme.example"))

    async def age_and_purge(db: Database) -> int:
        from roster.directory.events_feed import purge_expired

        async with db.write() as conn:  # the first three events, 26 years old
            await conn.execute(
                events_table.update()
                .where(events_table.c.tenant_id == company.tenant.id, events_table.c.seq <= 3)
                .values(occurred_at=datetime(2000, 1, 1, tzinfo=UTC))
            )
        return await purge_expired(db, retention_days=30)

    assert company.call(age_and_purge) >= 3
    with _reader(company) as reader:
        r = reader.get("/api/v1/events", params={"after": "1"})
        assert r.status_code == 410, r.text
        assert "?after=3" in r.json()["error"]["message"]
        assert [e["sequence"] for e in _page(reader, after="3")["data"]] == [4]
        assert _page(reader)["data"][0]["sequence"] == 4  # from the start: what is kept


def test_the_cli_prints_the_secret_alone_on_its_last_line(company: Company) -> None:
    made = roster_cli(
        company.server, "api-token", "create", company.subdomain, "--label", "Reviews"
    )
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("rstr_api_")
    r = httpx.get(
        f"{company.server.url}/api/v1/events", headers={"Authorization": f"Bearer {secret}"}
    )
    assert r.status_code == 200
    listed = roster_cli(company.server, "api-token", "list", company.subdomain)
    assert "Reviews" in listed.stdout and secret not in listed.stdout

"""The events outbox: every change's events written in the change's own transaction,
numbered per company in commit order; none for a change that rolls back. Replayed
through the real HTTP stack as Okta sends it, on both databases."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from roster.directory import tenants, tokens
from roster.directory.audit import SYSTEM, record_change
from roster.store import events as event_store
from roster.store.db import Database
from tests.support.harness import Company
from tests.support.users import create, okta_user, patch

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _events(company: Company, after: int = 0) -> list[dict[str, Any]]:
    async def read(db: Database) -> list[dict[str, Any]]:
        async with db.read() as conn:
            return await event_store.read_events(conn, company.tenant.id, after=after, limit=10_000)

    return company.call(read)


def _last(company: Company) -> int:
    """The company's last event number (its SCIM token's creation is one)."""
    events = _events(company)
    return int(events[-1]["seq"]) if events else 0


def _types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def _group_patch(company: Company, group_id: str, *operations: dict[str, Any]) -> None:
    r = company.client.patch(
        f"/Groups/{group_id}", json={"schemas": [PATCH_OP], "Operations": list(operations)}
    )
    assert r.status_code in (200, 204), r.text


def test_an_okta_lifecycle_is_told_in_order(company: Company) -> None:
    start = _last(company)
    boss = create(company, okta_user("boss@acme.example"))
    ada = create(company, okta_user("ada@acme.example"))
    r = patch(company, ada["id"], {"op": "replace", "value": {"title": "Lead"}})
    assert r.status_code == 200, r.text
    r = patch(
        company,
        ada["id"],
        {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": {"value": boss["id"]}},
    )
    assert r.status_code == 200, r.text
    patch(company, ada["id"], {"op": "replace", "value": {"active": False}})
    patch(company, ada["id"], {"op": "replace", "value": {"active": True}})
    patch(company, ada["id"], {"op": "replace", "value": {"active": True}})  # no change: no event
    events = _events(company, after=start)
    assert _types(events) == [
        "person.created",
        "person.created",
        "person.updated",
        "person.updated",
        "person.manager_changed",
        "person.updated",
        "person.deactivated",
        "person.updated",
        "person.reactivated",
    ]
    assert [e["seq"] for e in events] == list(range(start + 1, start + len(events) + 1))
    assert len({e["id"] for e in events}) == len(events)
    title = events[2]["data"]
    assert title["changes"] == {"title": {"old": None, "new": "Lead"}}
    assert title["object"]["title"] == "Lead" and title["object"]["id"] == ada["id"]
    assert events[4]["data"]["object"]["manager_id"] == boss["id"]
    assert events[6]["data"]["object"]["active"] is False
    assert all(e["actor"] == f"token:{company.token_id}" for e in events)
    assert "password" not in str([e["data"] for e in events]).lower().replace("_", "")


def test_groups_members_in_batches(company: Company) -> None:
    people = [create(company, okta_user(f"p{i}@acme.example"))["id"] for i in range(3)]
    r = company.client.post(
        "/Groups", json={"schemas": [GROUP], "displayName": "Eng", "members": []}
    )
    assert r.status_code == 201, r.text
    group_id = r.json()["id"]
    start = _events(company)[-1]["seq"]
    _group_patch(
        company, group_id, {"op": "add", "path": "members", "value": [{"value": p} for p in people]}
    )
    _group_patch(company, group_id, {"op": "remove", "path": f'members[value eq "{people[0]}"]'})
    _group_patch(
        company,
        group_id,
        {"op": "replace", "value": {"id": group_id, "displayName": "Engineering"}},
    )
    assert company.client.delete(f"/Groups/{group_id}").status_code == 204
    events = _events(company, after=start)
    assert _types(events) == [
        "group.members_added",
        "group.members_removed",
        "group.updated",
        "group.deleted",
    ]
    assert sorted(events[0]["data"]["members"]) == sorted(people)
    assert events[1]["data"]["members"] == [people[0]]
    assert events[2]["data"]["changes"] == {"display_name": {"old": "Eng", "new": "Engineering"}}
    assert events[2]["data"]["object"]["display_name"] == "Engineering"


def test_a_push_of_many_members_is_a_few_events(company: Company) -> None:
    async def people(db: Database) -> list[str]:
        from roster.directory import people as directory_people
        from roster.directory.tenants import get_tenant
        from roster.model.person import new_person

        tenant = await get_tenant(db, company.subdomain)
        ids = []
        for i in range(2500):
            written = await directory_people.create_person(
                db, tenant, new_person(f"m{i}@acme.example"), actor=SYSTEM, source="scim"
            )
            ids.append(written.person["id"])
        return ids

    ids = company.call(people)
    start = _events(company)[-1]["seq"]
    r = company.client.post(
        "/Groups",
        json={"schemas": [GROUP], "displayName": "All", "members": [{"value": i} for i in ids]},
    )
    assert r.status_code == 201, r.text
    events = _events(company, after=start)
    assert _types(events) == ["group.created"] + ["group.members_added"] * 3
    told = [m for e in events[1:] for m in e["data"]["members"]]
    assert sorted(told) == sorted(ids) and len(events[1]["data"]["members"]) == 1000


def test_a_refused_change_and_a_rolled_back_one_have_no_events(company: Company) -> None:
    create(company, okta_user("taken@acme.example"))
    before = _events(company)
    r = company.client.post("/Users", json=okta_user("taken@acme.example"))
    assert r.status_code == 409

    async def rolled_back(db: Database) -> None:
        with pytest.raises(RuntimeError):
            async with db.write() as conn:
                await record_change(
                    conn,
                    company.tenant.id,
                    SYSTEM,
                    "scim.token_create",
                    "Token",
                    "t1",
                    resource={"label": "x"},
                )
                raise RuntimeError("the change fails after it was recorded")

    company.call(rolled_back)
    assert _events(company) == before
    # The next change continues the numbering with no gap.
    company.call(lambda db: tokens.create_token(db, company.subdomain, "second"))
    after = _events(company)
    assert _types(after[len(before) :]) == ["scim.token_created"]
    assert after[-1]["seq"] == before[-1]["seq"] + 1


def test_concurrent_writes_are_numbered_without_gaps_or_repeats(company: Company) -> None:
    ids = [create(company, okta_user(f"c{i}@acme.example"))["id"] for i in range(8)]

    def retitle(i: int) -> int:
        r = patch(company, ids[i % len(ids)], {"op": "replace", "value": {"title": f"T{i}"}})
        return r.status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(retitle, range(40)))
    assert set(statuses) <= {200, 503}, statuses
    events = _events(company)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    # Every title differs from the one before it: each accepted PATCH is one event.
    assert _types(events).count("person.updated") == statuses.count(200)


def test_companies_are_numbered_apart(company: Company, other_company: Company) -> None:
    create(company, okta_user("a@acme.example"))
    create(other_company, okta_user("a@acme.example"))
    ours, theirs = _events(company), _events(other_company)
    assert _types(ours) == _types(theirs) == ["scim.token_created", "person.created"]
    assert [e["seq"] for e in ours] == [e["seq"] for e in theirs] == [1, 2]
    assert {e["id"] for e in ours}.isdisjoint(e["id"] for e in theirs)


def test_reports_moved_off_a_leaving_manager_are_told(company: Company) -> None:
    """A manager deactivated (reassign reporters on) or deleted moves their reports:
    each report's move is a change of its own, heard downstream like any other."""
    top = create(company, okta_user("top@acme.example"))
    middle = create(company, okta_user("middle@acme.example"))
    lows = [create(company, okta_user(f"low{i}@acme.example")) for i in range(2)]
    for person, manager in ((middle, top), *((low, middle) for low in lows)):
        r = patch(
            company,
            person["id"],
            {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": {"value": manager["id"]}},
        )
        assert r.status_code == 200, r.text
    company.call(lambda db: tenants.update_settings(db, company.subdomain, reassign_reporters=True))
    start = _last(company)
    patch(company, middle["id"], {"op": "replace", "value": {"active": False}})
    moved = [e for e in _events(company, after=start) if e["resource_id"] != middle["id"]]
    changed = [e for e in moved if e["type"] == "person.manager_changed"]
    assert sorted(e["resource_id"] for e in changed) == sorted(low["id"] for low in lows)
    assert all(e["data"]["object"]["manager_id"] == top["id"] for e in changed)
    assert {e["type"] for e in moved} == {"person.updated", "person.manager_changed"}
    start = _last(company)
    assert company.client.delete(f"/Users/{top['id']}").status_code == 204
    # top's reports: middle (deactivated, still a person) and the two moved to top
    told = {
        e["resource_id"]
        for e in _events(company, after=start)
        if e["type"] == "person.manager_changed"
    }
    assert told == {middle["id"], *(low["id"] for low in lows)}


def test_a_deleted_person_leaves_their_groups_and_says_so(company: Company) -> None:
    person = create(company, okta_user("leaving@acme.example"))["id"]
    stays = create(company, okta_user("stays@acme.example"))["id"]
    group_ids = []
    for name in ("Eng", "All"):
        r = company.client.post(
            "/Groups",
            json={"schemas": [GROUP], "displayName": name, "members": [{"value": person}]},
        )
        assert r.status_code == 201, r.text
        group_ids.append(r.json()["id"])
    _group_patch(
        company, group_ids[1], {"op": "add", "path": "members", "value": [{"value": stays}]}
    )
    etags = [company.client.get(f"/Groups/{g}").headers["ETag"] for g in group_ids]
    start = _last(company)
    assert company.client.delete(f"/Users/{person}").status_code == 204
    events = _events(company, after=start)
    # One transaction: the person's event, then each group they were taken out of.
    assert sorted(_types(events)) == [
        "group.members_removed",
        "group.members_removed",
        "person.deleted",
    ]
    removed = [e for e in events if e["type"] == "group.members_removed"]
    assert sorted(e["resource_id"] for e in removed) == sorted(group_ids)
    assert all(e["data"]["members"] == [person] for e in removed)
    for group_id, etag in zip(group_ids, etags, strict=True):
        r = company.client.get(f"/Groups/{group_id}")
        assert r.headers["ETag"] != etag  # a cached copy of the group is stale: it says so
        assert person not in [m["value"] for m in r.json().get("members", [])]
    assert [
        m["value"] for m in company.client.get(f"/Groups/{group_ids[1]}").json()["members"]
    ] == [stays]

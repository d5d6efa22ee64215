"""Signed webhooks, end to end on both databases: an Okta session against the live
server, the server's own deliverer posting to a real HTTP receiver on 127.0.0.1, every
signature checked with the Standard Webhooks reference library (standardwebhooks).
Type filters, secret rotation and replay too; retries, dead letters, slow endpoints
and several deliverers are test_webhooks_delivery.py, URL checks test_webhooks_urls.py."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from standardwebhooks import WebhookVerificationError

from roster.store import delivery_outcomes as delivery_store
from roster.store.db import Database
from roster.store.tables import webhook_endpoints
from roster.store.types import utcnow
from tests.support.harness import Company
from tests.support.helpers import roster_cli
from tests.support.users import ENTERPRISE, PATCH_OP, create, okta_user, patch, patched
from tests.support.webhook_receiver import Answer, Receiver, eventually, receiving
from tests.support.webhooks import add_endpoint, company_events, deliveries, last_seq, settled

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
BODY_KEYS = {"id", "type", "company", "sequence", "occurred_at", "actor", "resource", "data"}


def _group_patch(company: Company, group_id: str, *operations: dict[str, Any]) -> None:
    r = company.client.patch(
        f"/Groups/{group_id}", json={"schemas": [PATCH_OP], "Operations": list(operations)}
    )
    assert r.status_code in (200, 204), r.text


def okta_session(company: Company) -> None:
    """What Okta sends in a day: people created, edited, a manager set, one deactivated
    and renamed, a group pushed with members, its members changed, the group renamed."""
    boss = create(company, okta_user("boss@acme.example"))
    ada = create(company, okta_user("ada@acme.example", "Ada"))
    bob = create(company, okta_user("bob@acme.example", "Bob"))
    patched(company, ada["id"], {"op": "replace", "value": {"title": "Lead"}})
    patched(
        company,
        ada["id"],
        {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": {"value": boss["id"]}},
    )
    patched(company, bob["id"], {"op": "replace", "value": {"active": False}})
    patched(company, ada["id"], {"op": "replace", "path": "name.givenName", "value": "Adah"})
    r = company.client.post(
        "/Groups",
        json={
            "schemas": [GROUP],
            "displayName": "Eng",
            "members": [{"value": ada["id"]}, {"value": boss["id"]}],
        },
    )
    assert r.status_code == 201, r.text
    group_id = r.json()["id"]
    _group_patch(
        company, group_id, {"op": "add", "path": "members", "value": [{"value": bob["id"]}]}
    )
    _group_patch(company, group_id, {"op": "remove", "path": f'members[value eq "{boss["id"]}"]'})
    _group_patch(
        company,
        group_id,
        {"op": "replace", "value": {"id": group_id, "displayName": "Engineering"}},
    )
    assert (
        patch(company, bob["id"], {"op": "replace", "value": {"active": True}}).status_code == 200
    )


def _resource(event: dict[str, Any]) -> str:
    return f"{event['resource_type']}:{event['resource_id']}"


def _arrived(receiver: Receiver, count: int) -> bool:
    return len(receiver.received) >= count


def test_an_okta_session_arrives_once_signed_and_in_order(company: Company) -> None:
    with receiving() as receiver:
        endpoint_id, secret = add_endpoint(company, receiver.url)
        start = last_seq(company)
        okta_session(company)
        expected = company_events(company, after=start)
        assert len(expected) >= 15
        delivered = eventually(
            lambda: settled(company, endpoint_id, len(expected)), what="all delivered"
        )
    assert all(d.status == "delivered" and d.attempts == 1 for d in delivered)
    assert all(d.last_status == 200 for d in delivered)
    # Exactly once per event id, and nothing else.
    assert receiver.counts() == {e["id"]: 1 for e in expected}
    by_id = {r.id: r for r in receiver.received}
    for event in expected:
        request = by_id[event["id"]]
        body = request.verify(secret)  # raises unless the signature is right
        assert request.headers["content-type"] == "application/json"
        assert request.path == "/hooks/roster"
        assert set(body) == BODY_KEYS
        assert body["id"] == event["id"] and body["type"] == event["type"]
        assert body["company"] == company.subdomain
        assert body["sequence"] == event["seq"]
        assert datetime.fromisoformat(body["occurred_at"]) == event["occurred_at"]
        assert body["actor"] == f"token:{company.token_id}"
        assert body["resource"] == {"type": event["resource_type"], "id": event["resource_id"]}
        assert body["data"] == json.loads(json.dumps(event["data"]))
    # In order per resource: a resource's events arrive in their sequence.
    arrivals: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for event in expected:
        arrivals[_resource(event)].append((by_id[event["id"]].number, event["seq"]))
    for resource, pairs in arrivals.items():
        assert [seq for _, seq in sorted(pairs)] == sorted(seq for _, seq in pairs), resource
    types = [e["type"] for e in expected]
    assert {"person.created", "person.manager_changed", "person.deactivated"} <= set(types)
    assert {"group.created", "group.members_added", "group.members_removed"} <= set(types)
    renamed = next(e for e in expected if e["type"] == "group.updated")
    assert by_id[renamed["id"]].json["data"]["changes"]["display_name"] == {
        "old": "Eng",
        "new": "Engineering",
    }


def test_an_endpoint_takes_only_the_types_it_names(company: Company) -> None:
    with receiving() as everything, receiving() as some:
        all_id, _ = add_endpoint(company, everything.url)
        some_id, secret = add_endpoint(
            company, some.url, ["person.deactivated", "person.reactivated"]
        )
        start = last_seq(company)
        okta_session(company)
        expected = company_events(company, after=start)
        wanted = [e for e in expected if e["type"] in ("person.deactivated", "person.reactivated")]
        assert len(wanted) == 2
        eventually(lambda: settled(company, all_id, len(expected)), what="the unfiltered one")
        eventually(lambda: settled(company, some_id, len(wanted)), what="the filtered one")
    assert [r.verify(secret)["type"] for r in some.received] == [
        "person.deactivated",
        "person.reactivated",
    ]
    assert some.counts() == {e["id"]: 1 for e in wanted}


def _expire_previous_secret(company: Company, endpoint_id: str) -> None:
    """The rotation's 24 hours over (the clock moved, as far as the endpoint knows)."""

    async def expire(db: Database) -> None:
        async with db.write() as conn:
            await conn.execute(
                webhook_endpoints.update()
                .where(
                    webhook_endpoints.c.tenant_id == company.tenant.id,
                    webhook_endpoints.c.id == endpoint_id,
                )
                .values(previous_secret_until=utcnow() - timedelta(seconds=1))
            )

    company.call(expire)


def test_rotation_signs_with_both_secrets_for_the_grace_period(company: Company) -> None:
    with receiving() as receiver:
        endpoint_id, old = add_endpoint(company, receiver.url, ["person.created"])
        rotated = roster_cli(
            company.server, "webhook", "rotate-secret", company.subdomain, endpoint_id
        )
        assert rotated.returncode == 0, rotated.stderr
        new = rotated.stdout.strip().splitlines()[-1]
        assert new.startswith("whsec_") and new != old
        assert "also signs until" in rotated.stderr
        create(company, okta_user("during@acme.example"))
        first = eventually(lambda: receiver.received[:1], what="a delivery")[0]
        _expire_previous_secret(company, endpoint_id)
        create(company, okta_user("after@acme.example"))
        second = eventually(lambda: receiver.received[1:2], what="a second delivery")[0]
    assert len(first.headers["webhook-signature"].split(" ")) == 2
    assert first.verify(old)["type"] == first.verify(new)["type"] == "person.created"
    assert len(second.headers["webhook-signature"].split(" ")) == 1
    assert second.verify(new)["data"]["object"]["user_name"] == "after@acme.example"
    with pytest.raises(WebhookVerificationError):
        second.verify(old)


def test_replay_sends_the_same_event_ids_again(company: Company) -> None:
    before = create(company, okta_user("before@acme.example"))  # before the endpoint
    with receiving() as receiver:
        endpoint_id, secret = add_endpoint(company, receiver.url, ["person.created"])
        create(company, okta_user("after1@acme.example"))
        create(company, okta_user("after2@acme.example"))
        eventually(lambda: settled(company, endpoint_id, 2), what="the first two")
        first_ids = receiver.ids()
        created = [e for e in company_events(company) if e["type"] == "person.created"]
        assert [e["data"]["object"]["id"] for e in created][-3] == before["id"]
        from_seq = created[-3]["seq"]
        r = roster_cli(
            company.server, "webhook", "replay", company.subdomain, endpoint_id,
            "--from-seq", str(from_seq),
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        assert "queued 3 deliveries" in r.stdout
        eventually(lambda: _arrived(receiver, 5), what="the replay")
        eventually(lambda: settled(company, endpoint_id, 3), what="the replay settled")
        # From a time: the two made after the endpoint, again.
        since = created[-2]["occurred_at"].isoformat()
        r = roster_cli(
            company.server, "webhook", "replay", company.subdomain, endpoint_id, "--since", since
        )
        assert r.returncode == 0, r.stderr
        assert "queued 2 deliveries" in r.stdout
        eventually(lambda: _arrived(receiver, 7), what="the second replay")
        eventually(lambda: settled(company, endpoint_id, 3), what="the second replay settled")
    counts = receiver.counts()
    assert set(first_ids) <= set(counts)
    assert counts == {created[-3]["id"]: 1, created[-2]["id"]: 3, created[-1]["id"]: 3}
    assert all(r.verify(secret)["id"] == r.id for r in receiver.received)


def test_replay_refuses_what_it_cannot_do(company: Company) -> None:
    endpoint_id, _ = add_endpoint(company, "http://127.0.0.1:9/nothing", ["group.deleted"])
    sub = company.subdomain
    for args, says in (
        ((), "give where the replay starts: --from-seq N or --since ISO-TIME"),
        (("--from-seq", "0"), "event numbers start at 1"),
        (("--since", "yesterday"), "give an ISO 8601 time"),
        (("--since", "2026-12-01T09:00:00"), "give a time zone"),
    ):
        r = roster_cli(company.server, "webhook", "replay", sub, endpoint_id, *args)
        assert r.returncode == 1, r.stdout
        assert says in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = roster_cli(company.server, "webhook", "replay", sub, "no-such-id", "--from-seq", "1")
    assert r.returncode == 1 and "webhook list" in r.stderr, r.stderr


def test_removing_an_endpoint_stops_its_deliveries(company: Company) -> None:
    endpoint_id, _ = add_endpoint(company, "http://127.0.0.1:9/nothing", ["person.created"])
    listed = roster_cli(company.server, "webhook", "list", company.subdomain)
    assert listed.returncode == 0 and endpoint_id in listed.stdout, listed.stderr
    removed = roster_cli(company.server, "webhook", "remove", company.subdomain, endpoint_id)
    assert removed.returncode == 0, removed.stderr
    listed = roster_cli(company.server, "webhook", "list", company.subdomain)
    assert endpoint_id not in listed.stdout
    again = roster_cli(company.server, "webhook", "remove", company.subdomain, endpoint_id)
    assert again.returncode == 1 and f"no webhook endpoint {endpoint_id!r}" in again.stderr

    async def cursor(db: Database) -> int:
        async with db.read() as conn:
            query = sa.select(webhook_endpoints.c.cursor_seq).where(
                webhook_endpoints.c.id == endpoint_id
            )
            return int((await conn.execute(query)).scalar_one())

    at_removal = company.call(cursor)
    create(company, okta_user("later@acme.example"))
    # A removed endpoint is never fanned out again; a live one beside it is.
    with receiving() as receiver:
        live_id, _ = add_endpoint(company, receiver.url, ["person.created"])
        create(company, okta_user("later2@acme.example"))
        eventually(lambda: settled(company, live_id, 1), what="the live endpoint's delivery")
    assert company.call(cursor) == at_removal


def test_finished_deliveries_go_with_the_retention_pending_ones_stay(company: Company) -> None:
    release = threading.Event()
    with receiving() as fine, receiving(default=Answer(hold=release)) as held:
        done_id, _ = add_endpoint(company, fine.url, ["person.created"])
        waiting_id, _ = add_endpoint(company, held.url, ["person.created"])
        create(company, okta_user("kept@acme.example"))
        eventually(lambda: settled(company, done_id, 1), what="the delivered one")
        eventually(lambda: held.received, what="the held one under way")

        async def purge(db: Database) -> int:
            async with db.write() as conn:  # as if the retention had passed
                return await delivery_store.purge_finished(conn, utcnow() + timedelta(days=1))

        purged = company.call(purge)
        left = {d.status for d in deliveries(company, done_id) + deliveries(company, waiting_id)}
        release.set()
    assert purged >= 1 and deliveries(company, done_id) == []
    assert left == {"pending"}

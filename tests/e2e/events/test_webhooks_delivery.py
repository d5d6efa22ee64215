"""The deliverer under failure, on both databases, against real HTTP receivers: retries
on the schedule (500, then a timeout, then 200), dead letters, a failed event holding
back only its own resource, a slow endpoint holding back no one else, several
deliverers sharing the work without sending anything twice, and a deployment whose
web servers leave delivery to `roster events deliver`. The test schedule
(tests/support/harness.py WEBHOOK_ENV): retries after 0.2, 0.4 and 0.6 s, then dead;
an attempt times out after 3 s; 2 attempts at once per endpoint and deliverer."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from roster.store.webhooks import Delivery
from tests.support.harness import WEBHOOK_ENV, Company, LiveServer
from tests.support.helpers import roster_cli
from tests.support.procserver import RosterProcess, database, provision
from tests.support.users import create, okta_user, patched
from tests.support.webhook_receiver import Answer, Received, eventually, receiving
from tests.support.webhooks import (
    DelivererProcess,
    add_endpoint,
    deliveries,
    many_people,
    settled,
)

TIMEOUT = float(WEBHOOK_ENV["ROSTER_WEBHOOK_TIMEOUT_SECONDS"])
SCHEDULE = WEBHOOK_ENV["ROSTER_WEBHOOK_RETRY_SCHEDULE"].split(",")
PER_ENDPOINT = int(WEBHOOK_ENV["ROSTER_WEBHOOK_PER_ENDPOINT"])


def test_retried_on_the_schedule_then_delivered(company: Company) -> None:
    seen: list[Delivery] = []

    def before_third() -> None:  # what the store says while the third attempt is sent
        seen.extend(deliveries(company, endpoint_id))

    with receiving(
        Answer(500), Answer(delay=TIMEOUT + 0.5), Answer(before=before_third)
    ) as receiver:
        endpoint_id, secret = add_endpoint(company, receiver.url, ["person.created"])
        create(company, okta_user("retried@acme.example"))
        (done,) = eventually(lambda: settled(company, endpoint_id, 1), what="delivered")
    assert done.status == "delivered" and done.attempts == 3 and done.last_status == 200
    assert done.last_error is None and done.delivered_at is not None
    assert '"ok"' in (done.last_response or "")
    (third,) = seen
    assert third.attempts == 2 and third.status == "pending"
    assert third.last_error == f"timed out after {TIMEOUT:g} s" and third.last_status is None
    assert len(receiver.received) == 3 and len(set(receiver.ids())) == 1
    assert all(r.verify(secret)["id"] == done.event_id for r in receiver.received)


def test_a_receiver_that_asks_for_a_pause_gets_it(company: Company) -> None:
    """429 with Retry-After: 2 holds the retry for two seconds, where the schedule says
    0.2; the attempt still counts as one of the schedule's."""
    asked_at: list[datetime] = []
    seen: list[Delivery] = []
    pause = Answer(
        429, headers=(("Retry-After", "2"),), before=lambda: asked_at.append(datetime.now(UTC))
    )
    then = Answer(before=lambda: seen.extend(deliveries(company, endpoint_id)))
    with receiving(pause, then) as receiver:
        endpoint_id, _ = add_endpoint(company, receiver.url, ["person.created"])
        create(company, okta_user("paused@acme.example"))
        (done,) = eventually(lambda: settled(company, endpoint_id, 1), what="delivered")
    assert done.status == "delivered" and done.attempts == 2
    (waiting,) = seen
    assert waiting.last_status == 429 and waiting.last_error == "HTTP 429"
    (asked,) = asked_at
    pause_given = (waiting.next_attempt_at - asked).total_seconds()
    assert 1.9 <= pause_given <= 3.0  # not the schedule's 0.2 s (±20 %)


def test_an_endpoint_down_for_good_is_dead_lettered(company: Company) -> None:
    with receiving(default=Answer(503)) as receiver:
        endpoint_id, _ = add_endpoint(company, receiver.url, ["person.created"])
        create(company, okta_user("never@acme.example"))
        (dead,) = eventually(lambda: settled(company, endpoint_id, 1), what="dead")
    assert dead.status == "dead" and dead.attempts == len(SCHEDULE) + 1
    assert dead.last_status == 503 and dead.last_error == "HTTP 503"
    assert dead.last_response == "receiver says no"
    assert len(receiver.received) == len(SCHEDULE) + 1
    listed = roster_cli(
        company.server, "webhook", "deliveries", company.subdomain, endpoint_id, "--status", "dead"
    )
    assert listed.returncode == 0, listed.stderr
    assert dead.event_id in listed.stdout and "person.created" in listed.stdout
    assert "HTTP 503" in listed.stdout
    delivered = roster_cli(
        company.server, "webhook", "deliveries", company.subdomain, endpoint_id,
        "--status", "delivered",
    )  # fmt: skip
    assert delivered.returncode == 0 and dead.event_id not in delivered.stdout
    summary = roster_cli(company.server, "webhook", "list", company.subdomain)
    row = next(line for line in summary.stdout.splitlines() if endpoint_id in line)
    assert "HTTP 503" in row and " 1 " in row  # one dead
    bad = roster_cli(
        company.server, "webhook", "deliveries", company.subdomain, endpoint_id, "--status", "lost"
    )
    assert bad.returncode == 1
    assert bad.stderr.strip() == "error: --status lost: use one of pending, delivered, dead"


def test_a_failing_event_holds_back_its_resource_only(company: Company) -> None:
    """A person's second event waits until the first is delivered; another person's
    events go out meanwhile."""
    release = threading.Event()

    def choose(request: Received, so_far: list[Received]) -> Answer | None:
        if request.json["data"]["object"]["user_name"] != "first@acme.example":
            return None
        if request.json["type"] != "person.created":
            return None
        tries = sum(1 for r in so_far if r.id == request.id)
        return Answer(500) if tries == 1 else Answer(hold=release) if tries == 2 else None

    with receiving(choose=choose) as receiver:
        endpoint_id, _ = add_endpoint(company, receiver.url)
        first = create(company, okta_user("first@acme.example"))
        patched(company, first["id"], {"op": "replace", "value": {"title": "Second event"}})
        create(company, okta_user("other@acme.example"))

        def names(r: Received) -> tuple[str, str]:
            return r.json["type"], r.json["data"]["object"]["user_name"]

        eventually(
            lambda: ("person.created", "other@acme.example") in map(names, receiver.received),
            what="the other person's event",
        )
        held_back = [names(r) for r in receiver.received]
        release.set()
        eventually(lambda: settled(company, endpoint_id, 3), what="everything")
    assert ("person.updated", "first@acme.example") not in held_back
    firsts = [names(r)[0] for r in receiver.received if names(r)[1] == "first@acme.example"]
    assert firsts == ["person.created", "person.created", "person.updated"]


def test_a_slow_endpoint_does_not_delay_another_company(
    company: Company, other_company: Company
) -> None:
    release = threading.Event()
    with receiving(default=Answer(hold=release)) as slow, receiving() as fast:
        slow_id, _ = add_endpoint(company, slow.url, ["person.created"])
        fast_id, _ = add_endpoint(other_company, fast.url, ["person.created"])
        many_people(company, 6, prefix="slow")
        eventually(lambda: len(slow.received) >= PER_ENDPOINT, what="the slow one's first")
        many_people(other_company, 3, prefix="fast")
        eventually(lambda: settled(other_company, fast_id, 3), what="the other company's")
        held = len(slow.received)
        release.set()
        done = eventually(lambda: settled(company, slow_id, 6), what="the slow one's, released")
    # While the slow endpoint held its requests, it had only its own places, and the
    # other company's were delivered before any of its attempts timed out.
    assert held == PER_ENDPOINT and slow.most_at_once == PER_ENDPOINT
    assert all(d.status == "delivered" and d.attempts == 1 for d in done)
    assert len(fast.received) == 3


def test_several_deliverers_never_send_one_delivery_twice(company: Company) -> None:
    """Two `roster events deliver` besides the server's own deliverer, all on one
    database: every event is posted exactly once, and each process sent some."""
    with receiving(default=Answer(delay=0.05)) as receiver:
        endpoint_id, _ = add_endpoint(company, receiver.url, ["person.created"])
        processes = [DelivererProcess(company.server.database_url) for _ in range(2)]
        for p in processes:
            p.start()
        try:
            many_people(company, 120, prefix="shared")
            eventually(lambda: settled(company, endpoint_id, 120), timeout=120, what="all")
        finally:
            outputs = [p.stop() for p in processes]
    counts = receiver.counts()
    assert len(counts) == 120 and set(counts.values()) == {1}, counts.most_common(3)
    assert all(p.delivered() > 0 for p in processes), outputs
    assert all(d.attempts == 1 for d in deliveries(company, endpoint_id))


def test_with_delivery_off_roster_events_deliver_sends_them(
    server: LiveServer, tmp_path: Path
) -> None:
    """A deployment that runs the deliverer apart: `roster serve` with ROSTER_DELIVERY=off
    says so when it starts, and `roster events deliver` delivers its events."""
    with database(server.backend, tmp_path) as url, receiving() as receiver:
        (tenant,) = provision(url)
        web = RosterProcess(
            url, tmp_path / "serve.log", env={**WEBHOOK_ENV, "ROSTER_DELIVERY": "off"}
        )
        web.start()
        deliverer = DelivererProcess(url)
        try:
            assert "webhook delivery is off here" in web.logs()
            added = _cli(url, "webhook", "add", tenant.subdomain, receiver.url)
            endpoint_id, secret = added.splitlines()[-2:]
            r = httpx.post(
                f"{web.scim_url}/Users",
                json=okta_user("apart@acme.example"),
                headers=tenant.headers(),
                timeout=30,
            )
            assert r.status_code == 201, r.text
            deliverer.start()
            (request,) = eventually(lambda: receiver.received[:1], what="the delivery")
        finally:
            deliverer.stop()
            web.stop()
    body: dict[str, Any] = request.verify(secret)
    assert body["type"] == "person.created" and body["company"] == tenant.subdomain
    assert deliverer.delivered() == 1 and endpoint_id


def _cli(url: str, *args: str) -> str:
    env = {**os.environ, **WEBHOOK_ENV, "ROSTER_DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-m", "roster", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout

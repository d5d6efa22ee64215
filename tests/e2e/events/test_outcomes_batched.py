"""The deliverer writes the outcomes of attempts that finished together in one
transaction (under load, one commit for many deliveries instead of one each), each
still fenced by its own claim: an outcome whose claim was taken back changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

from roster.delivery.deliverer import Deliverer
from roster.store import delivery_outcomes as store
from roster.store.db import Database
from roster.store.deliveries import Claim
from roster.store.delivery_outcomes import Outcome
from tests.support.harness import BACKENDS, LiveServer, make_company, own_server, settings_for
from tests.support.users import create, okta_user
from tests.support.webhooks import add_endpoint, deliveries

PEOPLE = 6


@pytest.fixture(params=BACKENDS)
def quiet(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    # Delivery off in the server: the test's deliverer is the only one.
    with own_server(request.param, tmp_path, delivery="off") as live:
        yield live


def test_outcomes_finished_together_are_one_transaction(quiet: LiveServer) -> None:
    company = make_company(quiet)
    endpoint_id, _ = add_endpoint(company, "http://127.0.0.1:9/unused", ["person.created"])
    for i in range(PEOPLE):
        create(company, okta_user(f"batch.{i}@acme.example"))
    assert quiet.db is not None
    settings = settings_for(quiet.db.url, delivery="off", webhook_per_endpoint=PEOPLE - 1)

    async def deliver_together(db: Database) -> tuple[int, list[Claim]]:
        deliverer = Deliverer(db, settings)
        await deliverer._fan_out()
        await deliverer._claim()
        claims = list(deliverer._in_flight.values())
        for task in list(deliverer._in_flight):
            task.cancel()  # before they start: unsent, the test makes their outcomes
        async with db.write() as conn:  # another deliverer took one claim since
            taken_back = claims[-1]
            await store.release(conn, [taken_back])
        commits = 0

        def count(_conn: object) -> None:
            nonlocal commits
            commits += 1

        deliverer._finished = [(None, c, Outcome(True, 200, None, "ok", None)) for c in claims]
        event.listen(db.engine.sync_engine, "commit", count)
        try:
            await deliverer._record()
        finally:
            event.remove(db.engine.sync_engine, "commit", count)
        await deliverer.sender.close()
        return commits, claims

    commits, claims = company.call(deliver_together)
    assert len(claims) == PEOPLE - 1
    assert commits == 1
    kept = {d.event_id: d for d in deliveries(company, endpoint_id)}
    for c in claims[:-1]:
        assert kept[c.event_id].status == "delivered" and kept[c.event_id].attempts == 1
    released = kept[claims[-1].event_id]
    assert released.status == "pending" and released.attempts == 0  # its fence held

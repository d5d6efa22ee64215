"""Webhook endpoints for tests, added through the directory on the live server, and
what the store says of their deliveries and of the company's events."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from roster.directory import people, tenants, webhooks
from roster.directory.audit import SYSTEM
from roster.model.person import new_person
from roster.store import events as event_store
from roster.store.db import Database
from roster.store.webhooks import Delivery
from tests.support.harness import WEBHOOK_ENV, Company


def add_endpoint(company: Company, url: str, types: Sequence[str] = ()) -> tuple[str, str]:
    """(endpoint id, secret) of a new endpoint of the company."""

    async def add(db: Database) -> tuple[str, str]:
        endpoint, secret = await webhooks.add_endpoint(
            db, company.subdomain, url, types, allow_private=True
        )
        return endpoint.id, secret

    return company.call(add)


def deliveries(company: Company, endpoint_id: str, status: str | None = None) -> list[Delivery]:
    """The endpoint's deliveries, oldest event first."""
    found = company.call(
        lambda db: webhooks.deliveries(
            db, company.subdomain, endpoint_id, status=status, limit=10_000
        )
    )
    return sorted(found, key=lambda d: d.event_seq)


def settled(company: Company, endpoint_id: str, count: int) -> list[Delivery] | None:
    """The endpoint's deliveries once there are `count` and none is pending, else None."""
    found = deliveries(company, endpoint_id)
    if len(found) == count and all(d.status != "pending" for d in found):
        return found
    return None


def company_events(company: Company, after: int = 0) -> list[dict[str, Any]]:
    async def read(db: Database) -> list[dict[str, Any]]:
        async with db.read() as conn:
            return await event_store.read_events(
                conn, company.tenant.id, after=after, limit=100_000
            )

    return company.call(read)


def last_seq(company: Company) -> int:
    found = company_events(company)
    return int(found[-1]["seq"]) if found else 0


def many_people(company: Company, count: int, prefix: str = "m") -> list[str]:
    """`count` people created one change at a time (a person.created event each)."""

    async def create(db: Database) -> list[str]:
        tenant = await tenants.get_tenant(db, company.subdomain)
        ids = []
        for i in range(count):
            written = await people.create_person(
                db, tenant, new_person(f"{prefix}{i}@acme.example"), actor=SYSTEM, source="scim"
            )
            ids.append(str(written.person["id"]))
        return ids

    return company.call(create)


@dataclass
class DelivererProcess:
    """`roster events deliver` in a subprocess, on the live server's database: as a
    deployment with ROSTER_DELIVERY=off on its web servers runs it."""

    database_url: str
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[str] | None = None
    stderr: str = ""

    def start(self, timeout: float = 60) -> None:
        env = {
            **os.environ,
            **WEBHOOK_ENV,
            "ROSTER_DATABASE_URL": self.database_url,
            "ROSTER_LOG_LEVEL": "WARNING",
            **self.env,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "roster", "events", "deliver"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stderr is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stderr], [], [], 0.5)
            if ready:
                line = self.proc.stderr.readline()
                self.stderr += line
                if line.startswith("delivering webhooks"):
                    return
                if not line and self.proc.poll() is not None:
                    break
        raise RuntimeError(f"roster events deliver did not start: {self.stderr}")

    def stop(self) -> str:
        """SIGTERM, as a deployment stops it; what it printed."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        _, rest = self.proc.communicate(timeout=60)
        self.stderr += rest
        return self.stderr

    def delivered(self) -> int:
        """How many deliveries it reported on stopping."""
        found = re.search(r"stopped: (\d+) delivered", self.stderr)
        assert found, self.stderr
        return int(found.group(1))

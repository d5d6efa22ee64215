"""Migration 0015 (person_values): people who were in Roster before it get every email
and phone number they had as rows, so that filters keep finding them (by their primary
email, as before, and now by their other ones); a primary email missing from a
person's list of emails is added. Run on a database of its own at the revision before,
with rows written as that schema kept them, then upgraded and searched over SCIM."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from roster.directory import tenants, tokens
from roster.store import migrate
from roster.store.db import Database
from roster.store.ids import new_id
from roster.store.tables import people, person_values
from roster.store.types import utcnow
from tests.support.harness import (
    BACKENDS,
    OKTA_HEADERS,
    POSTGRES_URL,
    LiveServer,
    _create_database,
    _drop_database,
    _with_database,
    settings_for,
)

BEFORE = "0012"


def _person(tenant_id: int, number: int, email: str, **columns: Any) -> dict[str, Any]:
    now = utcnow()
    return {
        "tenant_id": tenant_id,
        "id": new_id(),
        "number": number,
        "user_name": email,
        "user_name_lower": email.lower(),
        "email": email,
        "email_lower": email.lower(),
        "emails": [{"value": email, "type": "work", "primary": True}],
        "phone_numbers": [],
        "custom": {},
        "active": True,
        "source": "scim",
        "deleted_at": None,  # every row names the same columns (one executemany)
        "version": 1,
        "created_at": now,
        "updated_at": now,
        **columns,
    }


async def _people_of_before(url: str) -> tuple[str, list[dict[str, Any]]]:
    db = Database(url, pool_size=1)
    subdomain = f"mig-{secrets.token_hex(4)}"
    try:
        tenant = await tenants.create_tenant(db, subdomain, "Before")
        await tenants.set_scim_enabled(db, subdomain, True)
        rows = [
            _person(
                tenant.id,
                1,
                "ada@acme.example",
                emails=[
                    {"value": "ada@acme.example", "type": "work", "primary": True},
                    {"value": "Ada@Home.example", "type": "home"},
                ],
                phone_numbers=[{"value": "+1 555 0100", "type": "mobile"}],
            ),
            # Written by hand before the list was kept: the primary email alone.
            _person(tenant.id, 2, "bob@acme.example", emails=[]),
            _person(tenant.id, 3, "gone@acme.example", deleted_at=utcnow()),
        ]
        async with db.write() as conn:
            await conn.execute(sa.insert(people), rows)
        return subdomain, rows
    finally:
        await db.dispose()


async def _value_rows(url: str) -> list[tuple[str, str, int, str, bool]]:
    db = Database(url, pool_size=1)
    try:
        async with db.read() as conn:
            result = await conn.execute(
                sa.select(
                    people.c.user_name,
                    person_values.c.kind,
                    person_values.c.position,
                    person_values.c.value,
                    person_values.c.is_primary,
                )
                .join(people, people.c.id == person_values.c.person_id)
                .order_by(people.c.user_name, person_values.c.kind, person_values.c.position)
            )
            return [tuple(r) for r in result]  # type: ignore[misc]
    finally:
        await db.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_people_from_before_are_found_by_every_email_and_phone(
    backend: str, tmp_path: Path
) -> None:
    name = f"roster_test_{secrets.token_hex(6)}"
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'roster.db'}"
    else:
        asyncio.run(_create_database(POSTGRES_URL, name))
        url = _with_database(POSTGRES_URL, name)
    try:
        migrate.upgrade(url, BEFORE)
        subdomain, _ = asyncio.run(_people_of_before(url))
        migrate.upgrade(url)
        assert asyncio.run(_value_rows(url)) == [
            ("ada@acme.example", "email", 0, "ada@acme.example", True),
            ("ada@acme.example", "email", 1, "Ada@Home.example", False),
            ("ada@acme.example", "phone", 0, "+1 555 0100", False),
            ("bob@acme.example", "email", 0, "bob@acme.example", True),
            ("gone@acme.example", "email", 0, "gone@acme.example", True),  # for a restore
        ]
        live = LiveServer(backend, url, settings_for(url))
        live.start()
        try:
            _, secret = live.call(lambda db: tokens.create_token(db, subdomain, "Okta"))
            with httpx.Client(
                base_url=live.scim_url,
                headers={**OKTA_HEADERS, "Authorization": f"Bearer {secret}"},
            ) as client:

                def found(text: str) -> list[str]:
                    r = client.get("/Users", params={"filter": text})
                    assert r.status_code == 200, r.text
                    return [u["userName"] for u in r.json()["Resources"]]

                assert found('emails eq "ada@home.example"') == ["ada@acme.example"]
                assert found('emails.value eq "BOB@acme.example"') == ["bob@acme.example"]
                assert found('phoneNumbers eq "+1 555 0100"') == ["ada@acme.example"]
                assert found('emails eq "gone@acme.example"') == []  # a tombstone
        finally:
            live.stop()
    finally:
        if backend != "sqlite":
            asyncio.run(_drop_database(POSTGRES_URL, name))

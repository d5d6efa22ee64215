"""People inserted straight into the table (test setup, not the path under test), and
Manage People's rows read back from the console."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from roster.store import tenants as tenant_store
from roster.store.db import Database
from roster.store.ids import new_id
from roster.store.tables import people
from roster.store.types import utcnow
from tests.support.console import ConsoleClient
from tests.support.harness import Company

ROW = re.compile(r'href="/admin/people/([0-9a-f-]{36})" class="strong"')


def seed(company: Company, specs: list[dict[str, Any]]) -> list[str]:
    """People with the given fields, inserted in one transaction (setup, not the path
    under test); ids in the order given."""

    async def insert(db: Database) -> list[str]:
        now = utcnow()
        ids = [new_id() for _ in specs]
        async with db.write() as conn:
            first = await tenant_store.allocate_person_numbers(conn, company.tenant.id, len(specs))
            rows = []
            for i, (pid, spec) in enumerate(zip(ids, specs, strict=True)):
                email = spec.pop("email", f"person{i}-{pid[-6:]}@example.com")
                rows.append(
                    {
                        "tenant_id": company.tenant.id,
                        "id": pid,
                        "number": first + i,
                        "user_name": email,
                        "user_name_lower": email.lower(),
                        "email": email,
                        "email_lower": email.lower(),
                        "emails": [{"value": email, "primary": True}],
                        "phone_numbers": [],
                        "custom": {},
                        "active": True,
                        "source": "scim",
                        "idp_linked_at": now,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                        "given_name": None,
                        "family_name": None,
                        "display_name": None,
                        "department": None,
                        "title": None,
                        "start_date": None,
                        "location": None,
                        "manager_id": None,
                        **spec,
                    }
                )
            # One INSERT for many rows takes its columns from the first row: give every
            # row every column that any spec names.
            columns = {key for row in rows for key in row}
            rows = [{key: row.get(key) for key in columns} for row in rows]
            for start in range(0, len(rows), 2000):
                await conn.execute(sa.insert(people), rows[start : start + 2000])
        return ids

    return company.call(insert)


def listed(client: ConsoleClient, url: str) -> list[str]:
    page = client.get(url)
    assert page.status_code == 200, page.text[:500]
    return ROW.findall(page.text)

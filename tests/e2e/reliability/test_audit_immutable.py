"""The audit trail is append-only through every API: each route of the application
(SCIM, console, SSO; taken from the route table, so a new route is covered by itself)
is called while every SQL statement is recorded, and none of them updates or deletes
an audit row; the rows that existed before are all there, unchanged, after. A static
check covers code that no route reaches (CLI, jobs)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from roster.model.registry import CORE_USER
from roster.scim.schema import PATCH_OP
from roster.store.db import Database
from roster.store.tables import audit_events
from tests.support.console import signed_in
from tests.support.harness import Company
from tests.support.helpers import count_queries
from tests.support.routes import RouteInfo, all_routes

AUDIT_CHANGE = re.compile(
    r"\b(UPDATE|DELETE\s+FROM|REPLACE\s+INTO|INSERT\s+OR\s+REPLACE\s+INTO|TRUNCATE|DROP\s+TABLE)"
    r"\s+(TABLE\s+)?\"?audit_events\b",
    re.IGNORECASE,
)
SRC = Path(__file__).resolve().parents[3] / "src" / "roster"
# Last: these end the session or the token the sweep itself uses.
LAST = ("/admin/logout", "/me/sign-out", "/revoke", "/scim/enable")


async def _audit_rows(db: Database) -> list[tuple[Any, ...]]:
    async with db.read() as conn:
        rows = await conn.execute(sa.select(audit_events))
        return sorted((repr(tuple(r)),) for r in rows)  # JSON columns: compare as text


def _value(param: str, ids: dict[str, str]) -> str:
    return ids.get(param, "unknown")


def _scim_body(route: RouteInfo, ids: dict[str, str]) -> dict[str, Any] | None:
    if route.method in ("GET", "DELETE"):
        return None
    if route.path.endswith("/.search"):
        return {"filter": "id pr"}
    if route.resource == "Users":
        if route.method == "PATCH":
            return {
                "schemas": [PATCH_OP],
                "Operations": [{"op": "replace", "path": "title", "value": "Swept"}],
            }
        return {"schemas": [CORE_USER], "userName": f"sweep-{route.method}@example.com"}
    if route.resource == "Groups":
        if route.method == "PATCH":
            return {
                "schemas": [PATCH_OP],
                "Operations": [
                    {"op": "add", "path": "members", "value": [{"value": ids["person_id"]}]}
                ],
            }
        return {"displayName": f"Sweep {route.method}", "members": []}
    return {}


def test_no_route_changes_or_deletes_an_audit_row(company: Company) -> None:
    person = company.client.post("/Users", json={"userName": "audited@example.com"}).json()
    group = company.client.post("/Groups", json={"displayName": "Audited"}).json()
    ids = {
        "person_id": person["id"],
        "group_id": group["id"],
        "token_id": company.token_id,
        "subdomain": company.subdomain,
        "schema_id": CORE_USER,
        "name": "User",
        "path": "nowhere",
    }
    console = signed_in(company)
    before = company.call(_audit_rows)
    assert before, "the setup wrote audit rows"
    routes = sorted(
        all_routes(), key=lambda r: (any(m in r.path for m in LAST), r.method == "DELETE")
    )
    called = 0
    with count_queries(company) as statements:
        for route in routes:
            path = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: _value(m.group(1), ids), route.path)
            if route.path.startswith("/scim/v2/"):
                r = company.client.request(
                    route.method, path.removeprefix("/scim/v2"), json=_scim_body(route, ids)
                )
                assert r.status_code < 500, (route, r.text)
            elif route.method == "GET":
                console.get(path)
            elif route.method == "POST":
                console.post(path, {})
            else:
                console.http.request(route.method, path)
            called += 1
    assert called == len(routes)
    changes = [s for s in statements if AUDIT_CHANGE.search(s)]
    assert not changes, changes
    after = company.call(_audit_rows)
    assert set(before) <= set(after), "an audit row was changed or deleted"
    assert len(after) > len(before), "the sweep's writes were audited"


def test_no_code_updates_or_deletes_audit_rows() -> None:
    """Code paths no route reaches: the only statements on audit_events are inserts
    and selects."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        text = path.read_text()
        for pattern in (
            r"audit_events\.(update|delete)\(",
            r"sa\.(update|delete)\(\s*audit_events",
            r"(update|delete)\(\s*audit_events",
        ):
            if re.search(pattern, text):
                offenders.append(f"{path}: {pattern}")
        if AUDIT_CHANGE.search(text):
            offenders.append(f"{path}: raw SQL")
    assert not offenders, offenders

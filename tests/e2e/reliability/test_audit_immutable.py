"""The audit trail is append-only through every API: each route of the application
(SCIM, console, SSO; taken from the route table, so a new route is covered by itself)
is called while every SQL statement is recorded, and none of them updates or deletes
an audit row; the rows that existed before are all there, unchanged, after; and every
call that changes a directory table adds its audit row too (no bypass of
`record_change`). The CLI's commands: test_audit_cli.py; a static check covers code
that neither reaches (jobs)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from roster.model.registry import CORE_USER
from roster.scim.schema import PATCH_OP
from tests.support.audit_sweep import AuditRows, Tracker
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
LAST = ("/admin/logout", "/me/sign-out", "/revoke", "/scim/enable", "/scim/disable")


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


@dataclass
class Call:
    route: RouteInfo
    statements: list[str]
    changed: list[str]  # the directory tables whose rows this call changed
    audited: bool  # it added an audit row


def _sweep(company: Company) -> tuple[list[Call], AuditRows, AuditRows]:
    """Call every route of the route table once: what each call ran and changed, and
    the audit rows before and after the sweep."""
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
    # Each call's "after" is the next call's "before".
    tracker = Tracker(company.server, company.tenant.id, whole_audit=True)
    before = tracker.audit
    assert before, "the setup wrote audit rows"
    routes = sorted(
        all_routes(), key=lambda r: (any(m in r.path for m in LAST), r.method == "DELETE")
    )
    calls: list[Call] = []
    for route in routes:
        path = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: _value(m.group(1), ids), route.path)
        with count_queries(company) as statements:
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
        step = tracker.step()
        calls.append(Call(route, list(statements), step.changed, step.audited))
    assert len(calls) == len(routes)
    return calls, before, tracker.audit


def test_no_route_changes_or_deletes_an_audit_row(company: Company) -> None:
    calls, before, after = _sweep(company)
    changes = [s for call in calls for s in call.statements if AUDIT_CHANGE.search(s)]
    assert not changes, changes
    assert before.items() <= after.items(), "an audit row was changed or deleted"
    assert len(after) > len(before), "the sweep's writes were audited"


def test_every_route_that_changes_the_directory_records_it(company: Company) -> None:
    """No write bypasses `record_change`: a request that writes a directory table also
    writes its audit row. Taken from the route table, so a new route is covered."""
    calls, _, _ = _sweep(company)
    unrecorded = [
        (c.route.method, c.route.path, c.changed) for c in calls if c.changed and not c.audited
    ]
    assert not unrecorded, unrecorded
    writers = [c for c in calls if c.changed]
    assert len(writers) >= 8, [(c.route.method, c.route.path) for c in writers]


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

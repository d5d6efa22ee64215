"""Tenant isolation over the whole route table: for every SCIM endpoint and method, a
token of company A aimed at company B's ids gets 404 and changes nothing of B's.

The endpoints come from `create_app().routes` (tests/support/routes.py), so a route added later
is covered without editing this file; a route with a path parameter this test does not
know fails loudly until it is taught what company B's value for it is.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from roster.scim.schema import PATCH_OP, SEARCH_REQUEST
from roster.store.db import Database
from roster.store.tables import provisioning_log
from tests.support.harness import Company
from tests.support.routes import RouteInfo, scim_routes, tenant_rows

ROUTES = scim_routes()
ID_ROUTES = [r for r in ROUTES if r.params]
# Path parameters that name no company data (the same for every company).
NEUTRAL_PARAMS = {"name", "schema_id"}
# Tables written after the response, in batches (the log's rows and their hourly
# counts, in one transaction): compared separately, by whose token wrote the rows.
ASYNC_TABLES = {"provisioning_log", "provisioning_hours"}


def _b_value(route: RouteInfo, param: str, b: dict[str, Any]) -> str:
    if param in NEUTRAL_PARAMS:
        return str(b["neutral"][param])
    owner = {"Users": "person", "Groups": "group"}.get(route.resource)
    if owner is None:
        pytest.fail(
            f"{route.method} {route.path}: unknown path parameter {param!r}; teach "
            "tests/e2e/reliability/test_isolation_routes.py which of company B's ids to aim at it"
        )
    return b[owner]


def _body(route: RouteInfo, b: dict[str, Any], a_person: str) -> dict[str, Any] | None:
    """A body that would succeed on the caller's own resource, so that the only reason
    for a 404 is the company boundary. It also names B's ids wherever ids go."""
    if route.method in ("GET", "DELETE"):
        return None
    if route.path.endswith("/.search"):
        return {"schemas": [SEARCH_REQUEST], "filter": f'id eq "{b["person"]}"'}
    if route.resource == "Users":
        user = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "intruder@example.com",
            "active": False,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "manager": {"value": b["person"]}
            },
        }
        if route.method == "PATCH":
            return {
                "schemas": [PATCH_OP],
                "Operations": [
                    {"op": "replace", "value": {"active": False, "userName": "intruder@x.com"}}
                ],
            }
        return user
    if route.resource == "Groups":
        if route.method == "PATCH":
            return {
                "schemas": [PATCH_OP],
                "Operations": [
                    {"op": "replace", "path": "displayName", "value": "intruded"},
                    {"op": "add", "path": "members", "value": [{"value": a_person}]},
                    {"op": "remove", "path": f'members[value eq "{b["member"]}"]'},
                ],
            }
        return {"displayName": "intruded", "members": [{"value": a_person}]}
    return {}


def _setup_b(b: Company) -> dict[str, Any]:
    person = b.client.post(
        "/Users",
        json={
            "userName": "secret.b@example.com",
            "emails": [{"value": "secret.b@example.com", "primary": True}],
            "urn:ietf:params:scim:schemas:extension:15Five:2.0:User": {"customSecretB": "x"},
        },
    )
    assert person.status_code == 201, person.text
    member = b.client.post("/Users", json={"userName": "member.b@example.com"}).json()
    group = b.client.post(
        "/Groups",
        json={"displayName": "Secret group of B", "members": [{"value": member["id"]}]},
    )
    assert group.status_code == 201, group.text
    return {
        "person": person.json()["id"],
        "member": member["id"],
        "group": group.json()["id"],
        "neutral": {
            "name": "User",
            "schema_id": "urn:ietf:params:scim:schemas:extension:15Five:2.0:User",
        },
    }


def test_the_route_table_is_what_this_test_covers() -> None:
    """Guards the generator itself: it sees the SCIM routes with ids."""
    paths = {(r.method, r.path) for r in ID_ROUTES}
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        assert (method, "/scim/v2/Users/{person_id}") in paths
        assert (method, "/scim/v2/Groups/{group_id}") in paths
    assert len(ROUTES) >= 18


def test_every_route_with_an_id_is_404_across_companies(
    company: Company, other_company: Company
) -> None:
    a, b = company, other_company
    ids = _setup_b(b)
    a_person = a.client.post("/Users", json={"userName": "a.own@example.com"}).json()["id"]
    server = b.server
    before = server.call(lambda db: tenant_rows(db, b.tenant.id))
    # B's data (its ids may be echoed: the caller sent them).
    secrets_of_b = ("secret.b@example.com", "member.b@", "Secret group of B", "customSecretB")

    checked = []
    for route in ROUTES:
        values = {p: _b_value(route, p, ids) for p in route.params}
        url = route.url(**values)
        response = a.client.request(route.method, url, json=_body(route, ids, a_person))
        neutral = set(route.params) <= NEUTRAL_PARAMS
        if route.params and not neutral:
            assert response.status_code == 404, (route, response.status_code, response.text)
            assert response.json()["status"] == "404"
        else:
            assert response.status_code < 500, (route, response.status_code, response.text)
        # Whatever the answer, nothing of B's shows in it.
        for secret in secrets_of_b:
            if isinstance(secret, str):
                assert secret not in response.text, (route, secret, response.text)
        # With If-Match too: a version check must not come before the company check.
        if route.method in ("PUT", "PATCH", "DELETE") and route.params and not neutral:
            response = a.client.request(
                route.method,
                url,
                json=_body(route, ids, a_person),
                headers={"If-Match": 'W/"1"'},
            )
            assert response.status_code == 404, (route, response.status_code, response.text)
        checked.append((route.method, route.path))

    # B's ids in A's list and search endpoints find nothing.
    for route in ROUTES:
        if route.method == "GET" and not route.params and route.resource in ("Users", "Groups"):
            for attr, value in (("id", ids["person"]), ("id", ids["group"])):
                r = a.client.get(route.url(), params={"filter": f'{attr} eq "{value}"'})
                assert r.status_code == 200 and r.json()["totalResults"] == 0, (route, r.text)
            r = a.client.get("/Groups", params={"filter": f'members.value eq "{ids["member"]}"'})
            assert r.json()["totalResults"] == 0

    after = server.call(lambda db: tenant_rows(db, b.tenant.id))
    for table in before:
        if table not in ASYNC_TABLES:
            assert before[table] == after[table], f"company B's {table} changed"
    # A's requests were recorded as A's, never as B's.
    assert server.call(lambda db: _logged_under(db, b.tenant.id, a.token_id)) == 0
    assert len(checked) == len(ROUTES)


async def _logged_under(db: Database, tenant_id: int, token_id: str) -> int:
    async with db.read() as conn:
        query = (
            sa.select(sa.func.count())
            .select_from(provisioning_log)
            .where(provisioning_log.c.tenant_id == tenant_id)
            .where(provisioning_log.c.token_id == token_id)
        )
        return int((await conn.execute(query)).scalar_one())


def test_company_b_keeps_working_after_the_attempts(
    company: Company, other_company: Company
) -> None:
    """The 404s above are not B's resources broken: B still reads and changes them."""
    ids = _setup_b(other_company)
    for route in ID_ROUTES:
        if route.method == "GET" and not set(route.params) <= NEUTRAL_PARAMS:
            url = route.url(**{p: _b_value(route, p, ids) for p in route.params})
            assert company.client.get(url).status_code == 404
            assert other_company.client.get(url).status_code == 200, url

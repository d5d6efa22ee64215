"""Helpers for the user tests: recorded IdP payloads, requests, and looks inside the store."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx

from roster.directory import people, tenants
from roster.directory.people import Actor
from roster.model.registry import UserSchemas
from roster.scim.users import parse_user
from roster.store import audit as audit_store
from roster.store import people as people_store
from roster.store.db import Database
from tests.support.harness import Company

IDP = Path(__file__).resolve().parents[1] / "idp"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
FIFTEEN_FIVE = "urn:ietf:params:scim:schemas:extension:15Five:2.0:User"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def payload(idp: str, name: str, **fill: str) -> Any:
    """A recorded request body from tests/idp/<idp>/<name>.json, placeholders filled."""
    text = (IDP / idp / f"{name}.json").read_text()
    for key, value in fill.items():
        text = text.replace("{" + key + "}", value)
    return json.loads(text)


def okta_user(
    user_name: str,
    given: str = "Given",
    family: str = "Family",
    *,
    email: str | None = None,
    external_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Okta's create body (tests/idp/okta/create_user.json) for another person."""
    body: dict[str, Any] = copy.deepcopy(payload("okta", "create_user"))
    body["userName"] = user_name
    body["name"] = {"givenName": given, "familyName": family}
    body["displayName"] = f"{given} {family}"
    body["emails"] = [{"primary": True, "value": email or user_name, "type": "work"}]
    body["externalId"] = external_id or "00u" + user_name.split("@")[0].replace(".", "")[:17]
    body.update(extra)
    return body


def assert_scim_error(
    response: httpx.Response, status: int, scim_type: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    body: dict[str, Any] = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert isinstance(body["detail"], str) and body["detail"]
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body
    return body


def create(company: Company, body: dict[str, Any]) -> dict[str, Any]:
    r = company.client.post("/Users", json=body)
    assert r.status_code == 201, r.text
    user: dict[str, Any] = r.json()
    assert_good_id(user["id"])
    return user


def create_named(company: Company, user_name: str, **kw: Any) -> dict[str, Any]:
    return create(company, okta_user(user_name, **kw))


def get(company: Company, user_id: str, **params: str) -> dict[str, Any]:
    r = company.client.get(f"/Users/{user_id}", params=params)
    assert r.status_code == 200, r.text
    user: dict[str, Any] = r.json()
    return user


def patch(company: Company, user_id: str, *operations: dict[str, Any]) -> httpx.Response:
    return company.client.patch(
        f"/Users/{user_id}", json={"schemas": [PATCH_OP], "Operations": list(operations)}
    )


def patched(company: Company, user_id: str, *operations: dict[str, Any]) -> dict[str, Any]:
    r = patch(company, user_id, *operations)
    assert r.status_code == 200, r.text
    user: dict[str, Any] = r.json()
    return user


def search(company: Company, query: str | dict[str, Any]) -> dict[str, Any]:
    """GET /Users with a raw query string (sent as is) or parameters (encoded by httpx)."""
    if isinstance(query, str):
        r = company.client.get(f"/Users?{query}")
    else:
        r = company.client.get("/Users", params=query)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body["schemas"] == [LIST_RESPONSE]
    for key in ("totalResults", "startIndex", "itemsPerPage"):
        assert type(body[key]) is int, (key, body[key])
    assert isinstance(body["Resources"], list)
    assert body["itemsPerPage"] == len(body["Resources"])
    return body


def user_names(company: Company, filter_text: str, **params: Any) -> list[str]:
    body = search(company, {"filter": filter_text, **params})
    return [u["userName"] for u in body["Resources"]]


def assert_good_id(user_id: Any) -> None:
    assert isinstance(user_id, str)
    assert user_id.strip() and user_id.lower() not in ("none", "null", "undefined")


def enterprise(user: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = user.get(ENTERPRISE, {})
    return value


def company_ext(user: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = user.get(FIFTEEN_FIVE, {})
    return value


def manager_of(company: Company, user_id: str) -> str | None:
    """The id of the person's linked manager (a pending reference, shown without a
    $ref, is none)."""
    manager = enterprise(get(company, user_id)).get("manager")
    return None if manager is None or "$ref" not in manager else str(manager["value"])


# ---------------------------------------------------------------------------
# Inside the store (read on the server's own loop)


def stored(company: Company, user_id: str) -> dict[str, Any]:
    async def read(db: Database) -> dict[str, Any] | None:
        async with db.read() as conn:
            return await people_store.get_any_person(conn, company.tenant.id, user_id)

    person = company.call(read)
    assert person is not None, user_id
    return person


def password_hash(company: Company, user_id: str) -> str | None:
    async def read(db: Database) -> str | None:
        async with db.read() as conn:
            return await people_store.password_hash(conn, company.tenant.id, user_id)

    return company.call(read)


def audit_events(company: Company, user_id: str | None = None) -> list[dict[str, Any]]:
    """Newest first."""

    async def read(db: Database) -> list[dict[str, Any]]:
        async with db.read() as conn:
            return await audit_store.events_for(conn, company.tenant.id, user_id)

    return company.call(read)


def create_outside_scim(
    company: Company, user_name: str, given: str = "Pre", family: str = "Existing", **extra: Any
) -> str:
    """A person created by the CLI before SCIM was switched on; SCIM is on again after."""
    body = {
        "userName": user_name,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"value": user_name, "type": "work", "primary": True}],
        **extra,
    }

    async def make(db: Database) -> str:
        await tenants.set_scim_enabled(db, company.subdomain, False)
        tenant = await tenants.get_tenant(db, company.subdomain)
        schemas = UserSchemas(company.server.settings.company_extension_urn)
        try:
            written = await people.create_person(
                db, tenant, parse_user(body, schemas), actor=Actor("cli"), source="cli"
            )
        finally:
            await tenants.set_scim_enabled(db, company.subdomain, True)
        return str(written.person["id"])

    person_id = company.call(make)
    company.refresh()
    return person_id


def set_settings(company: Company, **settings: Any) -> None:
    company.call(lambda db: tenants.update_settings(db, company.subdomain, **settings))
    company.refresh()


def set_sso(company: Company, enabled: bool) -> None:
    company.call(lambda db: tenants.set_sso_enabled(db, company.subdomain, enabled))
    company.refresh()


def with_manager(user_name: str, manager: str | None, **extra: Any) -> dict[str, Any]:
    body = okta_user(user_name, **extra)
    body["schemas"].append(ENTERPRISE)
    body[ENTERPRISE] = {"manager": {"value": manager}} if manager is not None else {}
    return body


def deactivate(company: Company, user_id: str) -> dict[str, Any]:
    return patched(company, user_id, *payload("okta", "deactivate_user")["Operations"])

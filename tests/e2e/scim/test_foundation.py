"""The foundation: auth, discovery, errors, limits, tenancy, operations endpoints."""

from __future__ import annotations

import httpx

from roster.directory import tenants, tokens
from tests.support.harness import OKTA_HEADERS, Company, LiveServer

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def assert_scim_error(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body["detail"]
    return body


def test_missing_and_bad_tokens_get_401_with_scim_error(server: LiveServer) -> None:
    with httpx.Client(base_url=server.scim_url, headers=OKTA_HEADERS) as client:
        for auth in (None, "non-token", "Bearer", "Bearer rstr_scim_" + "x" * 43, "Basic abc"):
            headers = {"Authorization": auth} if auth else {}
            r = client.get("/ServiceProviderConfig", headers=headers)
            assert_scim_error(r, 401)
            assert r.headers["www-authenticate"].startswith("Bearer")


def test_discovery_endpoints(company: Company) -> None:
    spc = company.client.get("/ServiceProviderConfig").json()
    assert spc["patch"]["supported"] is True
    assert spc["bulk"]["supported"] is False
    assert spc["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types = company.client.get("/ResourceTypes").json()
    assert {r["id"] for r in types["Resources"]} == {"User", "Group"}
    assert isinstance(types["totalResults"], int)
    user_type = company.client.get("/ResourceTypes/User").json()
    extension_ids = {e["schema"] for e in user_type["schemaExtensions"]}
    assert "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" in extension_ids
    assert "urn:ietf:params:scim:schemas:extension:15Five:2.0:User" in extension_ids
    schemas = company.client.get("/Schemas").json()
    ids = {s["id"] for s in schemas["Resources"]}
    assert ids == {
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:core:2.0:Group",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "urn:ietf:params:scim:schemas:extension:15Five:2.0:User",
    }
    core = company.client.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").json()
    names = {a["name"] for a in core["attributes"]}
    assert {"userName", "name", "emails", "active", "password", "timezone", "groups"} <= names
    password = next(a for a in core["attributes"] if a["name"] == "password")
    assert password["returned"] == "never"
    assert_scim_error(company.client.get("/Schemas/urn:nope"), 404)


def test_base_url_with_trailing_slash(company: Company) -> None:
    r = company.client.get(company.server.scim_url + "/ServiceProviderConfig/")
    assert r.status_code == 200
    r = company.client.get(company.server.url + "/scim/v2//ResourceTypes")
    assert r.status_code == 200


def test_unknown_route_and_wrong_method(company: Company) -> None:
    assert_scim_error(company.client.get("/Nothing"), 404)
    assert_scim_error(company.client.delete("/ServiceProviderConfig"), 405)


def test_body_limit_gives_413(company: Company) -> None:
    big = b'{"x":"' + b"a" * (1024 * 1024 + 10) + b'"}'
    r = company.client.post("/Users", content=big)
    assert_scim_error(r, 413)


def test_revoked_token_fails_on_next_request(company: Company) -> None:
    assert company.client.get("/ServiceProviderConfig").status_code == 200
    company.call(lambda db: tokens.revoke_token(db, company.subdomain, company.token_id))
    assert_scim_error(company.client.get("/ServiceProviderConfig"), 401)


def test_several_tokens_rotate_without_downtime(company: Company) -> None:
    _, second = company.call(lambda db: tokens.create_token(db, company.subdomain, "new"))
    headers = {"Authorization": f"Bearer {second}"}
    assert company.client.get("/ResourceTypes", headers=headers).status_code == 200
    assert company.client.get("/ResourceTypes").status_code == 200
    company.call(lambda db: tokens.revoke_token(db, company.subdomain, company.token_id))
    assert company.client.get("/ResourceTypes", headers=headers).status_code == 200
    assert company.client.get("/ResourceTypes").status_code == 401


def test_last_used_is_recorded_and_secret_never_stored(company: Company) -> None:
    company.client.get("/ResourceTypes")
    records = company.call(lambda db: tokens.list_tokens(db, company.subdomain))
    assert records[0].last_used_at is not None

    async def raw_rows(db: object) -> list[str]:
        import sqlalchemy as sa

        from roster.store.db import Database

        assert isinstance(db, Database)
        async with db.read() as conn:
            rows = await conn.execute(sa.text("SELECT * FROM scim_tokens"))
            return [repr(tuple(r)) for r in rows]

    dump = "".join(company.call(raw_rows))
    assert company.token not in dump
    assert tokens.hash_secret(company.token) in dump


def test_disabled_scim_gets_401(company: Company) -> None:
    company.call(lambda db: tenants.set_scim_enabled(db, company.subdomain, False))
    body = assert_scim_error(company.client.get("/ResourceTypes"), 401)
    assert "disabled" in str(body["detail"])
    company.call(lambda db: tenants.set_scim_enabled(db, company.subdomain, True))
    assert company.client.get("/ResourceTypes").status_code == 200


def test_token_identifies_the_company(company: Company, other_company: Company) -> None:
    a = company.client.get("/ServiceProviderConfig")
    b = other_company.client.get("/ServiceProviderConfig")
    assert a.status_code == b.status_code == 200


def test_health_ready_and_metrics(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").json() == {"status": "ready"}
        metrics = client.get("/metrics").text
        assert "roster_http_requests_total" in metrics


def test_request_id_is_returned(company: Company) -> None:
    r = company.client.get("/ResourceTypes", headers={"X-Request-Id": "okta-abc-123"})
    assert r.headers["x-request-id"] == "okta-abc-123"

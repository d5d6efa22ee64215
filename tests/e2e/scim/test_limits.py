"""Limits with clear errors: body size (413), filter length and nesting depth, count
(capped and advertised), PATCH operations per request and members per request
(tooMany). A server with small limits makes each edge cheap to reach; a refused
request changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from roster.scim.filters import MAX_DEPTH
from roster.scim.schema import PATCH_OP
from tests.support.harness import (
    BACKENDS,
    Company,
    make_company,
    own_server,
)
from tests.support.helpers import bulk_people

LIMITS = {
    "max_body_bytes": 20_000,
    "max_group_body_bytes": 50_000,
    "max_page_size": 25,
    "default_page_size": 10,
    "max_filter_length": 300,
    "max_patch_operations": 5,
    "max_members_per_request": 20,
}


@pytest.fixture(scope="module", params=BACKENDS)
def limited(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Company]:
    with own_server(request.param, tmp_path_factory.mktemp("limits"), **LIMITS) as live:
        company = make_company(live)
        yield company
        company.client.close()


def _error(r: httpx.Response, status: int, scim_type: str | None = None) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type, body
    return str(body["detail"])


def test_body_size_is_413_with_or_without_content_length(limited: Company) -> None:
    client = limited.client
    big = {"userName": "big@example.com", "title": "x" * 25_000}
    detail = _error(client.post("/Users", json=big), 413)
    assert "20000 bytes" in detail
    # Chunked, no Content-Length: counted while read.
    chunks = (b'{"userName": "chunked@example.com", "title": "' + b"x" * 1000 for _ in range(30))
    r = client.post("/Users", content=chunks)
    _error(r, 413)
    assert client.get("/Users", params={"filter": 'userName sw "big"'}).json()["totalResults"] == 0
    # /Groups has its own, larger limit (a Push of many members).
    group = {"displayName": "g" * 300, "externalId": "e" * 300, "pad": "x" * 30_000}
    assert client.post("/Groups", json=group).status_code == 201
    _error(client.post("/Groups", json={**group, "pad": "x" * 60_000}), 413)


def test_filter_length_and_depth(limited: Company) -> None:
    client = limited.client
    at_limit = 'userName eq "' + "a" * (300 - len('userName eq ""')) + '"'
    assert len(at_limit) == 300
    assert client.get("/Users", params={"filter": at_limit}).status_code == 200
    detail = _error(client.get("/Users", params={"filter": at_limit + " "}), 400, "invalidFilter")
    assert "300 characters" in detail
    # Nesting: MAX_DEPTH levels are fine, one more is refused (within the length limit
    # of a default server, so use the search endpoint of this one with a short filter).
    deep_ok = "(" * MAX_DEPTH + "active pr" + ")" * MAX_DEPTH
    too_deep = "(" * (MAX_DEPTH + 1) + "active pr" + ")" * (MAX_DEPTH + 1)
    assert client.get("/Users", params={"filter": deep_ok}).status_code == 200
    detail = _error(client.get("/Users", params={"filter": too_deep}), 400, "invalidFilter")
    assert f"{MAX_DEPTH} levels" in detail
    deep_not = "not (" * (MAX_DEPTH + 1) + "active pr" + ")" * (MAX_DEPTH + 1)
    _error(client.get("/Users", params={"filter": deep_not[:300]}), 400, "invalidFilter")


def test_count_is_capped_and_advertised(limited: Company) -> None:
    client = limited.client
    bulk_people(limited, 30, prefix="page")
    spc = client.get("/ServiceProviderConfig").json()
    assert spc["filter"]["maxResults"] == 25
    assert spc["pagination"]["maxPageSize"] == 25
    assert spc["pagination"]["defaultPageSize"] == 10
    page = client.get("/Users", params={"count": "1000"}).json()
    assert page["itemsPerPage"] == 25 and len(page["Resources"]) == 25
    assert page["totalResults"] >= 30
    assert client.get("/Users").json()["itemsPerPage"] == 10
    searched = client.post("/Users/.search", json={"count": 10**6}).json()
    assert searched["itemsPerPage"] == 25
    assert client.get("/Groups", params={"count": "1000"}).status_code == 200


def test_patch_operations_per_request(limited: Company) -> None:
    client = limited.client
    person = client.post("/Users", json={"userName": "ops@example.com"}).json()
    ops = [{"op": "replace", "path": "title", "value": f"T{i}"} for i in range(5)]
    r = client.patch(f"/Users/{person['id']}", json={"schemas": [PATCH_OP], "Operations": ops})
    assert r.status_code == 200 and r.json()["title"] == "T4"
    six = [*ops, {"op": "replace", "path": "title", "value": "T5"}]
    detail = _error(
        client.patch(f"/Users/{person['id']}", json={"schemas": [PATCH_OP], "Operations": six}),
        400,
        "tooMany",
    )
    assert "at most 5 operations" in detail
    assert client.get(f"/Users/{person['id']}").json()["title"] == "T4"


def test_members_per_request(limited: Company) -> None:
    client = limited.client
    ids = bulk_people(limited, 21, prefix="member")
    members = [{"value": i} for i in ids]
    detail = _error(
        client.post("/Groups", json={"displayName": "Too big", "members": members}),
        400,
        "tooMany",
    )
    assert "at most 20 members" in detail
    group = client.post("/Groups", json={"displayName": "Just right", "members": members[:20]})
    assert group.status_code == 201
    gid = group.json()["id"]
    _error(
        client.put(f"/Groups/{gid}", json={"displayName": "Just right", "members": members}),
        400,
        "tooMany",
    )
    add_all = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "add", "path": "members", "value": members}],
    }
    _error(client.patch(f"/Groups/{gid}", json=add_all), 400, "tooMany")
    kept = client.get(f"/Groups/{gid}").json()
    assert len(kept["members"]) == 20 and kept["displayName"] == "Just right"

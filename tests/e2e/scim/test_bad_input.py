"""Bad input, property-based: random and mutated filters, PATCH bodies, PUT/POST bodies,
query strings, headers, encodings and sizes. Roster never answers 5xx to any of them;
every refusal is a SCIM error (RFC 7644 §3.12) with the scimType that names the
problem. Hypothesis example counts come from the profile in tests/conftest.py.
(About 400 lines: one strategy per part of a request, each beside the test that uses it.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from roster.directory import tenants
from roster.scim.errors import ERROR_SCHEMA
from roster.scim.schema import PATCH_OP, SEARCH_REQUEST
from roster.store.db import Database
from tests.support.filters import filters, render
from tests.support.harness import Company, LiveServer, make_company

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
COMPANY = "urn:ietf:params:scim:schemas:extension:15Five:2.0:User"
BODY_TYPES = {
    "invalidSyntax",
    "invalidValue",
    "invalidPath",
    "invalidFilter",
    "noTarget",
    "mutability",
    "tooMany",
}


def scim_answer(r: httpx.Response, *ok: int, scim_types: set[str] | None = None) -> None:
    """Never a 5xx; a refusal is a well-formed SCIM error; a 400 has a scimType from
    the expected set."""
    where = f"{r.request.method} {r.request.url} -> {r.status_code} {r.text[:300]}"
    assert r.status_code < 500, where
    if r.status_code < 400:
        assert r.status_code in ok, where
        return
    body = r.json()
    assert body["schemas"] == [ERROR_SCHEMA], where
    assert body["status"] == str(r.status_code), where
    assert isinstance(body["detail"], str) and body["detail"], where
    if r.status_code == 400:
        assert body.get("scimType") in (scim_types or BODY_TYPES), where
    if r.status_code == 401:
        assert "WWW-Authenticate" in r.headers, where


@pytest.fixture(scope="module")
def fuzz(server: LiveServer) -> Iterator[dict[str, Any]]:
    company = make_company(server)

    async def define(db: Database) -> None:
        for name, kind in (
            ("customLevel", "number"),
            ("customSince", "date"),
            ("customOn", "boolean"),
        ):
            await tenants.add_custom_attribute(db, company.subdomain, name, kind)

    server.call(define)
    user = company.client.post("/Users", json={"userName": "fuzz.target@example.com"}).json()
    group = company.client.post(
        "/Groups", json={"displayName": "Fuzz target", "members": [{"value": user["id"]}]}
    ).json()
    yield {"company": company, "user": user["id"], "group": group["id"]}
    company.client.close()


# ---------------------------------------------------------------------------
# Strategies

NASTY = [
    "(", ")", "[", "]", '"', "\\", " ", "\t", "\n", "\u0000", "é", "ß", "%", "_", ":", ".",
    "-", "$", "'", "\ud7ff", "😀", " and ", " or ", "not ", " pr", " eq ", " gt ", "1e999",
    "99999999999999999999999", "null", "true", "urn:", "@", ",", "=", "&", "#", "?", "/",
]  # fmt: skip
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["", "\u0000", "True", "False", "2026-01-31", "1e400", "nan", "x" * 500])
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    text = draw(base)
    for _ in range(draw(st.integers(0, 4))):
        pos = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "duplicate"]))
        if action == "insert":
            text = text[:pos] + draw(st.sampled_from(NASTY)) + text[pos:]
        elif action == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 5)) :]
        else:
            text = text[:pos] + text[pos:] + text[pos:]
    return text


VALID_FILTERS = st.one_of(
    filters().map(render),
    st.sampled_from(
        [
            'userName eq "a@example.com"',
            'emails[type eq "work" and value co "@"]',
            'members.value eq "x" or displayName sw "F"',
            f'{ENTERPRISE}:manager.value eq "x"',
            'meta.lastModified gt "2020-01-01T00:00:00Z"',
            "not (active eq true) and customOn eq false",
            'customSince ge "2020-01-01" and customLevel lt 3.5',
            'id eq "x" and externalId pr',
        ]
    ),
)
FILTER_TEXT = st.one_of(mutated(VALID_FILTERS), st.text(max_size=120))

USER_PATHS = [
    "userName", "active", "name.givenName", "name", "emails", 'emails[type eq "work"].value',
    'emails[type eq "work"]', "emails.value", "phoneNumbers", "title", "externalId",
    "displayName", "groups", "id", "meta", "password", "timezone", "schemas",
    f"{ENTERPRISE}:manager", f"{ENTERPRISE}:manager.value", f"{ENTERPRISE}:department",
    f"{COMPANY}:startDate", f"{COMPANY}:customLevel", f"{COMPANY}:customOn", "customSince",
    f"{COMPANY}:location", "unknownAttr", "urn:x:y:z",
]  # fmt: skip
GROUP_PATHS = [
    "members", 'members[value eq "x"]', "displayName", "externalId", "id", "meta",
    "members.value", 'members[value eq "x" or value eq "y"]', "unknown",
]  # fmt: skip


def operations(paths: list[str]) -> st.SearchStrategy[list[Any]]:
    op = st.fixed_dictionaries(
        {
            "op": st.sampled_from(
                ["add", "replace", "remove", "Add", "Replace", "REMOVE", "move", 1]
            )
        },
        optional={
            "path": st.one_of(
                st.sampled_from(paths), mutated(st.sampled_from(paths)), json_scalars
            ),
            "value": json_values,
        },
    )
    return st.lists(op | json_values, min_size=0, max_size=4)


def patch_bodies(paths: list[str]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.fixed_dictionaries(
            {"schemas": st.sampled_from([[PATCH_OP], [], ["urn:x"], PATCH_OP])},
            optional={"Operations": operations(paths), "operations": operations(paths)},
        ),
        json_values,
    )


USER_KEYS = [
    "userName", "name", "active", "emails", "phoneNumbers", "title", "externalId", "displayName",
    "password", "locale", "groups", "id", "meta", "schemas", ENTERPRISE, COMPANY, "urn:x:y",
]  # fmt: skip


@st.composite
def user_documents(draw: st.DrawFn) -> Any:
    doc: dict[str, Any] = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": f"u{draw(st.integers(0, 10**6))}@example.com",
        "name": {"givenName": "G", "familyName": "F"},
        "emails": [{"value": "g.f@example.com", "type": "work", "primary": True}],
        ENTERPRISE: {"department": "D", "manager": {"value": "nobody"}},
        COMPANY: {"startDate": "2026-01-31", "customLevel": 3},
    }
    for _ in range(draw(st.integers(1, 4))):
        target = doc
        key = draw(st.sampled_from(USER_KEYS))
        if key in (ENTERPRISE, COMPANY, "name") and draw(st.booleans()):
            target = doc.setdefault(key, {}) if isinstance(doc.get(key), dict) else doc
            key = draw(
                st.sampled_from(
                    ["givenName", "manager", "department", "startDate", "customLevel",
                     "customOn", "customSince", "customNew", "location", "bad name"]
                )
            )  # fmt: skip
        target[key] = draw(json_values)
    return doc


# ---------------------------------------------------------------------------
# Properties


@given(text=FILTER_TEXT, resource=st.sampled_from(["/Users", "/Groups"]))
@example(text="customLevel gt 99999999999999999999999", resource="/Users")
@example(text="customLevel gt 1e999", resource="/Users")
@example(text='userName eq "a\\u0000b"', resource="/Users")
@example(text='members.value eq "\\u0000"', resource="/Groups")
@example(text='meta.created gt "9999-12-31T23:59:59-23:59"', resource="/Users")
@example(text='meta.created gt "0001-01-01T00:00:00+14:00"', resource="/Groups")
@example(text="(" * 40 + "userName pr" + ")" * 40, resource="/Users")
def test_any_filter_is_answered_or_refused_as_invalid_filter(
    fuzz: dict[str, Any], text: str, resource: str
) -> None:
    client = fuzz["company"].client
    r = client.get(resource, params={"filter": text})
    scim_answer(r, 200, scim_types={"invalidFilter"})
    r = client.post(f"{resource}/.search", json={"schemas": [SEARCH_REQUEST], "filter": text})
    scim_answer(r, 200, scim_types={"invalidFilter"})


QUERY_KEYS = [
    "filter", "startIndex", "count", "sortBy", "sortOrder", "attributes",
    "excludedAttributes", "cursor", "x",
]  # fmt: skip
query_values = st.one_of(
    st.text(max_size=40),
    st.integers().map(str),
    st.sampled_from(["-1", "0", "1e5", "99999999999999999999999", "", "userName", "ascending"]),
)


@given(
    params=st.dictionaries(st.sampled_from(QUERY_KEYS), query_values, max_size=5),
    resource=st.sampled_from(["/Users", "/Groups"]),
)
@example(params={"startIndex": "99999999999999999999999"}, resource="/Users")
@example(params={"startIndex": str(2**63)}, resource="/Groups")
@example(params={"cursor": "AA"}, resource="/Users")
@example(params={"count": "-5", "sortBy": "a[b]"}, resource="/Users")
def test_any_query_string_is_answered_or_refused(
    fuzz: dict[str, Any], params: dict[str, str], resource: str
) -> None:
    client = fuzz["company"].client
    r = client.get(resource, params=params)
    scim_answer(r, 200, scim_types={"invalidFilter", "invalidValue", "invalidCursor"})
    body: dict[str, Any] = {"schemas": [SEARCH_REQUEST], **params}
    for key in ("startIndex", "count"):
        if key in body and body[key].lstrip("-").isdigit():
            body[key] = int(body[key])
    r = client.post(f"{resource}/.search", json=body)
    scim_answer(r, 200, scim_types={"invalidFilter", "invalidValue", "invalidCursor"})


@given(body=patch_bodies(USER_PATHS))
@example(body={"Operations": [{"op": "replace", "path": "title", "value": "a\u0000"}]})
@example(body={"Operations": [{"op": "add", "path": "nickName", "value": "\u0000"}]})
@example(body={"Operations": [{"op": "replace", "value": {"": 1}}]})
@example(body={"Operations": [{"op": "replace", "path": f"{COMPANY}:customLevel", "value": 1e30}]})
def test_any_user_patch_is_applied_or_refused(fuzz: dict[str, Any], body: Any) -> None:
    r = fuzz["company"].client.patch(f"/Users/{fuzz['user']}", json=body)
    scim_answer(r, 200, 204)


@given(body=patch_bodies(GROUP_PATHS))
@example(body={"Operations": [{"op": "add", "path": "members", "value": [{"value": "\u0000x"}]}]})
@example(body={"Operations": [{"op": "remove", "path": 'members[value eq "\u0000"]'}]})
def test_any_group_patch_is_applied_or_refused(fuzz: dict[str, Any], body: Any) -> None:
    r = fuzz["company"].client.patch(f"/Groups/{fuzz['group']}", json=body)
    scim_answer(r, 200, 204)


@given(doc=user_documents(), method=st.sampled_from(["POST", "PUT"]))
@example(doc={"userName": "nan@x.com", COMPANY: {"customLevel": "nan"}}, method="POST")
@example(doc={"userName": "big@x.com", COMPANY: {"customLevel": 10**30}}, method="POST")
@example(doc={"userName": "big2@x.com", COMPANY: {"customLevel": 1e30}}, method="POST")
@example(doc={"userName": "nul@x.com", "nickName": "\u0000"}, method="POST")
@example(doc={"userName": "nul2@x.com", "key\u0000": 1}, method="PUT")
# A superscript digit passes str.isdigit() and crashed int() in the manager lookup.
@example(doc={"userName": "sup@x.com", ENTERPRISE: {"manager": {"value": "¹"}}}, method="POST")
@example(doc={"userName": "sup2@x.com", ENTERPRISE: {"manager": {"value": "1²"}}}, method="PUT")
def test_any_user_document_is_stored_or_refused(
    fuzz: dict[str, Any], doc: Any, method: str
) -> None:
    client = fuzz["company"].client
    url = "/Users" if method == "POST" else f"/Users/{fuzz['user']}"
    r = client.request(method, url, json=doc)
    scim_answer(r, 200, 201, scim_types={"invalidValue", "invalidSyntax"})
    if r.status_code in (200, 201):
        # What was stored reads back, and lists still render (a stored value that
        # cannot be read back would break every later list of the company).
        assert client.get(f"/Users/{r.json()['id']}").status_code == 200
        assert client.get("/Users", params={"count": "1000"}).status_code == 200


@given(
    doc=st.fixed_dictionaries(
        {"displayName": json_scalars},
        optional={"members": json_values, "externalId": json_values, "schemas": json_values},
    ),
    method=st.sampled_from(["POST", "PUT"]),
)
def test_any_group_document_is_stored_or_refused(
    fuzz: dict[str, Any], doc: Any, method: str
) -> None:
    client = fuzz["company"].client
    url = "/Groups" if method == "POST" else f"/Groups/{fuzz['group']}"
    r = client.request(method, url, json=doc)
    scim_answer(r, 200, 201, scim_types={"invalidValue", "invalidSyntax", "tooMany"})


ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-32", "latin-1"]


@given(
    raw=st.one_of(
        st.binary(max_size=200),
        st.tuples(json_values, st.sampled_from(ENCODINGS)).map(
            lambda v: json.dumps(v[0], ensure_ascii=False).encode(v[1], "replace")
        ),
        st.sampled_from(
            [
                b'{"userName": "\xff\xfe@x.com"}',
                b'{"userName": "\\ud800@x.com"}',
                b"[" * 50_000 + b"]" * 50_000,
                b'{"a":' * 3000 + b"1" + b"}" * 3000,
                b'{"userName": 1' + b"0" * 5000 + b"}",
            ]
        ),
    ),
    content_type=st.sampled_from(
        [
            "application/scim+json",
            "application/json; charset=utf-8",
            "application/scim+json; charset=latin-1",
            "text/plain",
            "",
        ]
    ),
    target=st.sampled_from(["POST /Users", "PUT /Users/{user}", "PATCH /Groups/{group}"]),
)
def test_any_bytes_in_any_encoding_are_refused_cleanly(
    fuzz: dict[str, Any], raw: bytes, content_type: str, target: str
) -> None:
    method, path = target.split(" ")
    path = path.format(user=fuzz["user"], group=fuzz["group"])
    headers = {"Content-Type": content_type} if content_type else {}
    r = fuzz["company"].client.request(method, path, content=raw, headers=headers)
    scim_answer(r, 200, 201, 204)
    if r.status_code == 415:
        assert content_type.startswith("text/plain")


header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=60,
)


@given(
    if_match=st.one_of(
        st.none(), header_text, st.sampled_from(['W/"1"', '"-1"', "*", 'W/"99999999999999999999"'])
    ),
    accept=st.one_of(st.none(), header_text, st.sampled_from(["application/xml", "*/*"])),
    authorization=st.one_of(
        st.none(),
        header_text,
        st.sampled_from(["Bearer", "Bearer ", "Basic eDp5", "bearer rstr_scim_" + "A" * 43]),
    ),
    request_id=st.one_of(st.none(), header_text),
    method=st.sampled_from(["GET", "PUT", "DELETE"]),
)
# A superscript digit passes str.isdigit() and crashed int() (a 500, not a 412).
@example(if_match="¹", accept=None, authorization=None, request_id=None, method="PUT")
@example(if_match='W/"²"', accept=None, authorization=None, request_id=None, method="DELETE")
def test_any_headers_are_answered_or_refused(
    fuzz: dict[str, Any],
    if_match: str | None,
    accept: str | None,
    authorization: str | None,
    request_id: str | None,
    method: str,
) -> None:
    company: Company = fuzz["company"]
    headers: dict[str, bytes] = {k: v.encode("latin-1") for k, v in company.client.headers.items()}
    for name, value in (
        ("If-Match", if_match),
        ("Accept", accept),
        ("Authorization", authorization),
        ("X-Request-Id", request_id),
    ):
        if value is not None:
            # raw bytes as sent on the wire (HTTP itself drops surrounding blanks)
            headers[name.lower()] = value.strip(" \t").encode("latin-1")
    url = f"{company.server.scim_url}/Users/{fuzz['user']}"
    # Never delete the target itself: a PUT/DELETE of an unknown id exercises the same path.
    if method == "DELETE":
        url += "-missing"
    body = {"userName": "fuzz.target@example.com"} if method == "PUT" else None
    r = httpx.request(method, url, headers=headers, json=body, timeout=60)
    scim_answer(r, 200, 204)
    if r.status_code == 401:
        assert authorization is not None
    if r.status_code == 412:
        assert if_match is not None

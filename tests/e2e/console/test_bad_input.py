"""Bad input to the console and SSO: every route an admin's browser (or anyone's) can
reach, signed in as a real admin with a valid CSRF token. Roster never answers 5xx;
an HTML route answers an HTML page that names the field and the fix (never SCIM
JSON), and a refused request changes nothing.

The fixed cases are the 500s found by hand (they fail every time on the code before
the fix); the properties send hypothesis-generated path segments, query values, form
fields and cookies to every console and SSO route of the app's route table.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from roster.store.db import Database
from tests.support.console import PASSWORD, make_admin
from tests.support.console_client import ConsoleClient
from tests.support.harness import Company, LiveServer, make_company
from tests.support.routes import RouteInfo, all_routes, tenant_rows
from tests.support.sso_flow import enable_sso

HTML_ROUTES = ("/admin", "/me", "/saml2")
# Routes that answer something other than HTML when they succeed.
NOT_HTML = {
    ("GET", "/admin/import/template.csv"),
    ("GET", "/saml2/{subdomain}/metadata"),
}
# Ending the session would leave the rest of the run signed out; the cookie property
# sends these with made-up sessions instead.
SIGNS_OUT = {("POST", "/admin/logout"), ("POST", "/me/sign-out")}
# Sign-in counts failures per client address; its property sends each attempt from
# its own loopback address (see login_client).
SIGNS_IN = {("POST", "/admin/login")}


def html_routes() -> list[RouteInfo]:
    """The console's and SSO's routes. Their catch-alls answer PUT, PATCH and DELETE on
    any address alike: one of them keeps those methods, so the sampling stays on the
    routes that read input."""
    prefixes = {p[1:] for p in HTML_ROUTES}
    return [
        r
        for r in all_routes()
        if r.path.split("/")[1] in prefixes
        and (r.method in ("GET", "POST") or r.path == "/admin/{path:anypath}")
    ]


@dataclass
class Site:
    """A company with SSO configured (password sign-in still allowed), an admin signed
    in, and one of each thing the console's addresses name."""

    server: LiveServer
    company: Company
    client: ConsoleClient
    csrf: str
    email: str
    ids: dict[str, str]

    @property
    def admin(self) -> ConsoleClient:
        """The signed-in admin, holding the session's CSRF token again (a sign-in page
        it opened leaves that page's token in its place)."""
        self.client.csrf = self.csrf
        return self.client

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        tenant_id = self.company.tenant.id

        async def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
            return await tenant_rows(db, tenant_id)

        return self.server.call(snapshot)

    def url(self, route: RouteInfo, **values: str) -> str:
        filled = {name: quote(self.ids.get(name, "x"), safe="") for name in route.params}
        filled.update(values)
        return re.sub(r"\{([^}:]+)(?::[^}]+)?\}", lambda m: filled[m.group(1)], route.path)


@pytest.fixture(scope="module")
def site(server: LiveServer) -> Iterator[Site]:
    company = make_company(server, allow_csv_import=True)
    enable_sso(company, allow_password_signin=True)
    email = make_admin(server, company.subdomain)
    admin = ConsoleClient(server.url)
    assert admin.login(company.subdomain, email, PASSWORD).status_code == 303
    person = company.client.post("/Users", json={"userName": "target@example.com"})
    assert person.status_code == 201, person.text
    created = admin.post("/admin/groups", {"name": "Fuzz target", "group_type": "Teams"})
    assert created.status_code == 303, created.text
    group = created.headers["location"].split("/")[-1].split("?")[0]
    upload = admin.http.post(
        "/admin/import",
        data={"csrf_token": admin.csrf},
        files={"file": ("people.csv", b"email,given_name\nnew@example.com,New\n", "text/csv")},
        headers=admin._headers(),
    )
    assert upload.status_code == 303, upload.text
    import_id = upload.headers["location"].split("/")[-1]
    scim_page = admin.get("/admin/integrations/scim").text
    token = re.search(r"/admin/integrations/scim/tokens/([^/\"]+)/revoke", scim_page)
    assert token is not None
    log_page = admin.get("/admin/log").text
    entry = re.search(r'href="/admin/log/([^"?/]+)"', log_page)
    ids = {
        "subdomain": company.subdomain,
        "person_id": person.json()["id"],
        "group_id": group,
        "import_id": import_id,
        "token_id": token.group(1),
        "entry_id": entry.group(1) if entry else "x",
        "name": "x",
        "path": "nowhere",
    }
    assert admin.get("/admin").status_code == 200
    yield Site(server, company, admin, admin.csrf, email, ids)
    admin.close()
    company.client.close()


def assert_html_refusal(r: httpx.Response, *words: str) -> None:
    where = f"{r.request.method} {r.request.url} -> {r.status_code} {r.text[:400]}"
    assert 400 <= r.status_code < 500, where
    assert r.headers["content-type"].startswith("text/html"), where
    for word in words:
        assert word in r.text, where


def assert_answered(route: RouteInfo, r: httpx.Response) -> None:
    """No 5xx; an HTML route answers HTML (a redirect has no body to check)."""
    where = f"{r.request.method} {r.request.url} -> {r.status_code} {r.text[:400]}"
    assert r.status_code < 500, where
    if 300 <= r.status_code < 400 or r.status_code == 204:
        return
    if r.status_code < 300 and (route.method, route.path) in NOT_HTML:
        return
    assert r.headers.get("content-type", "").startswith("text/html"), where


# ---------------------------------------------------------------------------
# Fixed cases: each was a 500


# A tenant id that overflows a 64-bit column, and digits str.isdigit() accepts but
# int() does not (sent as the raw byte; the server reads headers as latin-1).
IMPOSSIBLE_SESSIONS = [
    b"99999999999999999999.x",
    str(2**63).encode() + b".x",
    b"\xb9.x",  # superscript one
    b"1\xb2.x",  # one, superscript two
]


@pytest.mark.parametrize("cookie", IMPOSSIBLE_SESSIONS)
def test_a_session_cookie_naming_an_impossible_company_is_no_session(
    site: Site, cookie: bytes
) -> None:
    before = site.rows()
    headers = {"Cookie": b"roster_session=" + cookie}
    base = site.server.url
    me = httpx.get(f"{base}/me", headers=headers, timeout=30)
    assert me.status_code == 401 and "Not signed in" in me.text, me.text
    for path in ("/admin", "/admin/people", "/admin/log", "/admin/integrations/sso"):
        r = httpx.get(f"{base}{path}", headers=headers, timeout=30)
        assert r.status_code == 303, (path, r.status_code, r.text[:300])
        assert r.headers["location"].startswith("/admin/login"), path
    r = httpx.post(f"{base}/me/sign-out", headers=headers, data={"csrf_token": "x"}, timeout=30)
    assert r.status_code == 303, r.text
    r = httpx.post(f"{base}/admin/logout", headers=headers, data={"csrf_token": "x"}, timeout=30)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login"), r.text
    assert site.rows() == before


@pytest.mark.parametrize("value", ["99999999999999999999", str(2**63), "¹", "٣", "4O4"])
def test_a_number_in_a_console_address_or_form_is_checked(site: Site, value: str) -> None:
    before = site.rows()
    assert_html_refusal(site.admin.get("/admin/log", params={"status": value}), "status")
    assert_html_refusal(site.admin.get("/admin/people", params={"size": value}), "page size")
    r = site.admin.post("/admin/log/retention", {"days": value})
    assert_html_refusal(r, "retention")
    assert site.rows() == before


NUL_PATHS = [
    ("GET", "/saml2/{bad}/metadata"),
    ("GET", "/saml2/{bad}/login"),
    ("POST", "/saml2/{bad}/acs"),
]


@pytest.mark.parametrize(("method", "path"), NUL_PATHS)
def test_a_nul_in_an_sso_address_is_refused(site: Site, method: str, path: str) -> None:
    before = site.rows()
    url = site.server.url + path.format(bad=f"{site.company.subdomain}%00")
    r = httpx.request(method, url, data={"SAMLResponse": "x"} if method == "POST" else None)
    assert_html_refusal(r, "company name", "NUL")
    assert site.rows() == before


@pytest.mark.parametrize("field", ["company", "email"])
def test_a_nul_in_the_sign_in_form_is_refused(site: Site, field: str) -> None:
    before = site.rows()
    client = ConsoleClient(site.server.url)
    client.get("/admin/login")
    form = {"company": site.company.subdomain, "email": site.email, "password": PASSWORD}
    form[field] = form[field][:3] + "\x00" + form[field][3:]
    r = client.post("/admin/login", form)
    assert_html_refusal(r, {"company": "company name", "email": "email address"}[field], "NUL")
    assert "roster_session=" not in r.headers.get("set-cookie", "")
    client.close()
    assert site.rows() == before


NUL_ID_ROUTES = [
    ("GET", "/admin/people/{}"),
    ("POST", "/admin/people/{}/timezone"),
    ("POST", "/admin/people/{}/restore"),
    ("GET", "/admin/groups/{}"),
    ("POST", "/admin/groups/{}/type"),
    ("POST", "/admin/groups/{}/rename"),
    ("POST", "/admin/groups/{}/members"),
    ("POST", "/admin/groups/{}/members/remove"),
    ("GET", "/admin/import/{}"),
    ("POST", "/admin/import/{}/apply"),
    ("GET", "/admin/log/{}"),
    ("POST", "/admin/integrations/scim/tokens/{}/revoke"),
    ("POST", "/admin/attributes/{}/retire"),
]


@pytest.mark.parametrize(("method", "path"), NUL_ID_ROUTES)
def test_a_nul_in_a_console_address_is_refused(site: Site, method: str, path: str) -> None:
    before = site.rows()
    url = path.format("a%00b")
    form = {"name": "n", "group_type": "Teams", "member": "x", "person_id": "x", "timezone": "UTC"}
    r = site.admin.get(url) if method == "GET" else site.admin.post(url, form)
    assert_html_refusal(r, "NUL")
    assert site.rows() == before


NUL_QUERIES = [
    ("/admin/people", "q"),
    ("/admin/people", "after"),
    ("/admin/people", "before"),
    ("/admin/groups", "q"),
    ("/admin/groups", "after"),
    ("/admin/log", "q"),
    ("/admin/log", "after"),
]


@pytest.mark.parametrize(("path", "key"), NUL_QUERIES)
def test_a_nul_in_a_console_query_is_refused(site: Site, path: str, key: str) -> None:
    before = site.rows()
    assert_html_refusal(site.admin.get(path, params={key: "a\x00b"}), "NUL")
    assert site.rows() == before


def test_a_nul_in_a_group_name_or_token_label_is_refused(site: Site) -> None:
    before = site.rows()
    r = site.admin.post("/admin/groups", {"name": "Team\x00A", "group_type": "Teams"})
    assert_html_refusal(r, "group name", "NUL")
    group = site.ids["group_id"]
    r = site.admin.post(f"/admin/groups/{group}/rename", {"name": "Team\x00B"})
    assert_html_refusal(r, "group name", "NUL")
    r = site.admin.post("/admin/integrations/scim/tokens", {"label": "Okta\x00"})
    assert_html_refusal(r, "token label", "NUL")
    assert site.rows() == before


@pytest.mark.parametrize(
    ("file_name", "content", "words"),
    [
        ("people.csv", b"email,given_name\nnul@example.com,A\x00B\n", ("file", "NUL")),
        ("people.csv", b"\x00", ("file", "NUL")),
        ("peo\x00ple.csv", b"email\nname@example.com\n", ("file name", "NUL")),
    ],
)
def test_a_nul_in_an_uploaded_csv_is_refused(
    site: Site, file_name: str, content: bytes, words: tuple[str, ...]
) -> None:
    """Found by the form property: the file is stored with the import, as text."""
    before = site.rows()
    admin = site.admin
    # By hand: httpx would escape the NUL in a file name, as browsers do.
    boundary = secrets.token_hex(8)
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f"{admin.csrf}\r\n"
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    )
    body = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
    content_type = f"multipart/form-data; boundary={boundary}"
    headers = admin._headers({"Content-Type": content_type})
    r = admin.http.post("/admin/import", content=body, headers=headers)
    assert_html_refusal(r, *words)
    assert site.rows() == before


@pytest.mark.parametrize("reference", ["¹", "1²", "٣"])
def test_a_unicode_digit_as_a_csv_manager_is_previewed(site: Site, reference: str) -> None:
    """str.isdigit() took "¹" for an employee number and int() refused it (a 500)."""
    admin = site.admin
    csv = f"email,given_name,manager_id\nreport@example.com,Report,{reference}\n".encode()
    r = admin.http.post(
        "/admin/import",
        data={"csrf_token": admin.csrf},
        files={"file": ("people.csv", csv, "text/csv")},
        headers=admin._headers(),
    )
    assert r.status_code == 303, r.text[:300]
    preview = admin.get(r.headers["location"])
    assert preview.status_code == 200 and "report@example.com" in preview.text


# ---------------------------------------------------------------------------
# Properties: every console and SSO route of the route table

NASTY = [
    "", " ", "\x00", "a\x00b", "\t", "\r\n", "\x1b[31m", "\x7f", "99999999999999999999",
    str(2**63), str(2**63 - 1), "-1", "0", "¹", "1²", "٣", "４２", "1e999", "null", "None",
    "undefined", "x" * 300, "x" * 5000, "é", "😀", "\ufeff", "\u202e", "'", '"', "<b>", "%",
    "../..", "/", "\\", "//evil.example", "https://evil.example/", "*", "on", "off",
]  # fmt: skip
# Escapes sent as they are: invalid UTF-8, an encoded surrogate, an encoded NUL or slash.
RAW_ESCAPES = ["%ff", "%c3%28", "%ed%a0%80", "%f0%28%8c%bc", "%00", "%2f", "%2e%2e", "%"]
nasty_text = st.one_of(st.sampled_from(NASTY), st.text(max_size=40))
encoded = st.one_of(
    nasty_text.map(lambda v: quote(v, safe="")),
    st.sampled_from(RAW_ESCAPES),
    st.lists(st.sampled_from([*RAW_ESCAPES, "a", "1"]), min_size=1, max_size=4).map("".join),
)
QUERY_KEYS = [
    "q", "after", "before", "status", "size", "sort", "linked", "outcome", "method", "type",
    "order", "source", "show", "done", "error", "next", "company", "signed_out", "x\x00",
]  # fmt: skip
FORM_KEYS = [
    "name", "group_type", "member", "person_id", "timezone", "label", "enabled", "email",
    "given_name", "family_name", "title", "days", "nameid", "fingerprint", "break_glass",
    "metadata_xml", "keep_certificates", "allow_password_signin", "allow_idp_initiated",
    "sync_managers", "type", "company", "next", "SAMLResponse", "RelayState", "k\x00",
]  # fmt: skip
ROUTES = html_routes()
SIGNED_IN_ROUTES = [r for r in ROUTES if (r.method, r.path) not in SIGNS_OUT | SIGNS_IN]
WITH_PARAMS = [r for r in SIGNED_IN_ROUTES if r.params]
POSTS = [r for r in SIGNED_IN_ROUTES if r.method == "POST"]


def test_the_route_table_has_console_and_sso_routes() -> None:
    """The properties below cover what the app serves, not a list kept by hand."""
    paths = {r.path for r in ROUTES}
    assert {"/admin/people/{person_id}", "/saml2/{subdomain}/acs", "/me"} <= paths
    assert len(WITH_PARAMS) >= 15 and len(POSTS) >= 20


def _query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(k, safe='')}={v}" for k, v in pairs)


def assert_signed_in_answer(route: RouteInfo, r: httpx.Response) -> None:
    """assert_answered, and the request got past the session and CSRF checks (a
    property that lost its session would pass without testing anything)."""
    assert_answered(route, r)
    if route.path.startswith("/admin"):
        assert not r.headers.get("location", "").startswith("/admin/login"), r.headers
        assert "This form has expired" not in r.text, r.request.url


def _send(site: Site, route: RouteInfo, url: str) -> httpx.Response:
    admin = site.admin
    if route.method == "GET":
        return admin.get(url)
    if route.method == "POST":
        return admin.post(url, {})
    return admin.http.request(route.method, url, headers=admin._headers())


@given(
    route=st.sampled_from(WITH_PARAMS),
    values=st.dictionaries(st.sampled_from(["person_id", "group_id", "subdomain"]), encoded),
    segment=encoded,
)
@example(route=RouteInfo("GET", "/admin/people/{person_id}"), values={}, segment="%ed%a0%80")
@example(route=RouteInfo("GET", "/saml2/{subdomain}/login"), values={}, segment="x" * 300)
@example(route=RouteInfo("GET", "/admin/{path:anypath}"), values={}, segment="a%00b/%ff")
# A newline: Starlette's own `path` convertor stops at one, so no catch-all matched.
@example(route=RouteInfo("DELETE", "/admin/{path:anypath}"), values={}, segment="%0A0")
@example(route=RouteInfo("GET", "/saml2/{rest:anypath}"), values={}, segment="%0A")
# Found by this property: SP metadata for a name no company can have was a 500.
@example(route=RouteInfo("GET", "/saml2/{subdomain}/metadata"), values={}, segment="%25")
@example(route=RouteInfo("GET", "/saml2/{subdomain}/metadata"), values={}, segment="%3Cb%3E")
def test_any_path_segment_is_answered_or_refused(
    site: Site, route: RouteInfo, values: dict[str, str], segment: str
) -> None:
    filled = {name: values.get(name, segment) for name in route.params}
    r = _send(site, route, site.url(route, **filled))
    assert_signed_in_answer(route, r)


@given(
    route=st.sampled_from(SIGNED_IN_ROUTES),
    pairs=st.lists(st.tuples(st.sampled_from(QUERY_KEYS), encoded), max_size=4),
)
@example(route=RouteInfo("GET", "/admin/log"), pairs=[("status", quote("¹"))])
@example(route=RouteInfo("GET", "/admin/people"), pairs=[("before", "%00"), ("sort", "x")])
@example(route=RouteInfo("GET", "/admin/login"), pairs=[("company", "a%00"), ("next", "%ff")])
def test_any_query_string_is_answered_or_refused(
    site: Site, route: RouteInfo, pairs: list[tuple[str, str]]
) -> None:
    r = _send(site, route, f"{site.url(route)}?{_query(pairs)}")
    assert_signed_in_answer(route, r)


@given(
    route=st.sampled_from(POSTS),
    form=st.dictionaries(st.sampled_from(FORM_KEYS), nasty_text, max_size=5),
    encoding=st.sampled_from(["urlencoded", "raw", "multipart", "csrf-header"]),
    raw=st.lists(st.tuples(st.sampled_from(FORM_KEYS), st.sampled_from(RAW_ESCAPES)), max_size=3),
    upload=st.one_of(st.binary(max_size=300), st.sampled_from([b"\x00" * 10, b"\xef\xbb\xbf"])),
)
@example(
    route=RouteInfo("POST", "/admin/groups"),
    form={"name": "\x00"},
    encoding="urlencoded",
    raw=[],
    upload=b"",
)
@example(
    route=RouteInfo("POST", "/admin/log/retention"),
    form={"days": "¹"},
    encoding="multipart",
    raw=[],
    upload=b"",
)
@example(
    route=RouteInfo("POST", "/admin/integrations/scim/tokens"),
    form={},
    encoding="raw",
    raw=[("label", "%ed%a0%80")],
    upload=b"",
)
def test_any_form_is_answered_or_refused(
    site: Site,
    route: RouteInfo,
    form: dict[str, str],
    encoding: str,
    raw: list[tuple[str, str]],
    upload: bytes,
) -> None:
    url = site.url(route)
    admin = site.admin
    if encoding == "urlencoded":
        r = admin.post(url, form)
    elif encoding == "csrf-header":
        headers = {"X-CSRF-Token": admin.csrf}
        r = admin.post(url, form, csrf=False, headers=headers)
    elif encoding == "raw":
        body = _query([("csrf_token", admin.csrf), *((k, quote(v)) for k, v in form.items())])
        body += "&" + _query(raw)
        headers = admin._headers({"Content-Type": "application/x-www-form-urlencoded"})
        r = admin.http.post(url, content=body.encode(), headers=headers)
    else:
        files = {"file": ("people.csv", upload, "text/csv"), "metadata_file": ("m.xml", upload)}
        r = admin.http.post(
            url, data={**form, "csrf_token": admin.csrf}, files=files, headers=admin._headers()
        )
    assert_signed_in_answer(route, r)


cookie_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=60,
)
COOKIE_VALUES = [
    "99999999999999999999.x", f"{2**63}.x", "\xb9.x", "1\xb2.x", '"\\000.x"', '"1.\\000"',
    "1.", ".x", "1.x", "0.x", "-1.x", "x" * 300, '"', "\\", "1." + "x" * 199,
]  # fmt: skip
COOKIES = ["roster_session", "roster_login_csrf", "roster_company", "roster_saml_request"]


@given(
    route=st.sampled_from(ROUTES),
    cookies=st.dictionaries(
        st.sampled_from(COOKIES), st.one_of(st.sampled_from(COOKIE_VALUES), cookie_text)
    ),
    htmx=st.booleans(),
    csrf=st.one_of(cookie_text, st.sampled_from(["\xb9", "x" * 500])),
)
@example(
    route=RouteInfo("POST", "/me/sign-out"),
    cookies={"roster_session": "\xb9.x"},
    htmx=False,
    csrf="\xe9",
)
@example(
    route=RouteInfo("GET", "/admin/login"),
    cookies={"roster_login_csrf": "\xe9\xe9", "roster_company": "a\\000"},
    htmx=False,
    csrf="",
)
@example(
    route=RouteInfo("POST", "/admin/login"),
    cookies={"roster_login_csrf": "\xe9"},
    htmx=False,
    csrf="\xe9",
)
def test_any_cookies_are_no_session_or_answered(
    site: Site, route: RouteInfo, cookies: dict[str, str], htmx: bool, csrf: str
) -> None:
    """Made-up cookies on every route, signed-out routes and sign-out included."""
    # Raw bytes as sent on the wire (HTTP itself drops surrounding blanks).
    header = "; ".join(f"{k}={v}" for k, v in cookies.items()).strip(" \t")
    headers: dict[str, Any] = {
        "Cookie": header.encode("latin-1"),
        "X-CSRF-Token": csrf.strip(" \t").encode("latin-1"),
    }
    if htmx:
        headers["HX-Request"] = "true"
    url = site.server.url + site.url(route)
    data = {"csrf_token": csrf} if route.method == "POST" else None
    r = httpx.request(route.method, url, headers=headers, data=data, timeout=30)
    assert_answered(route, r)
    if route.path.startswith("/admin") and route.path != "/admin/{path:anypath}":
        # None of these is a session: the console sends the browser to sign in.
        assert r.status_code in (200, 204, 303, 400, 401, 403, 404, 405), r.text[:300]


def login_client(site: Site) -> httpx.Client:
    """A browser at its own loopback address: sign-in failures are counted per address,
    and a run of made-up attempts from 127.0.0.1 would lock the address out for every
    later test that signs in."""
    address = (
        f"127.{secrets.randbelow(250) + 1}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
    )
    return httpx.Client(
        base_url=site.server.url,
        transport=httpx.HTTPTransport(local_address=address),
        timeout=30,
        follow_redirects=False,
    )


@pytest.fixture(scope="module")
def spare_admin(site: Site) -> str:
    """An admin whose account the sign-in property may lock (five wrong passwords)."""
    return make_admin(site.server, site.company.subdomain)


@given(
    company=st.one_of(nasty_text, st.just("")),
    email=st.one_of(nasty_text, st.just("")),
    password=st.one_of(nasty_text, st.just(PASSWORD)),
    next_url=st.one_of(st.none(), nasty_text),
    real=st.sampled_from(["none", "company", "both"]),
)
@example(company="a\x00", email="e", password="p", next_url=None, real="none")
@example(company="", email="\x00", password="p", next_url=None, real="company")
@example(company="", email="", password="\x00", next_url="\x00", real="both")
def test_any_sign_in_form_is_answered_or_refused(
    site: Site,
    spare_admin: str,
    company: str,
    email: str,
    password: str,
    next_url: str | None,
    real: str,
) -> None:
    if real in ("company", "both"):
        company = site.company.subdomain
    if real == "both":
        email = spare_admin
    with login_client(site) as client:
        form_page = client.get("/admin/login")
        assert form_page.status_code == 200
        token = re.search(r'name="csrf_token" value="([^"]+)"', form_page.text)
        assert token is not None
        form = {"company": company, "email": email, "password": password}
        form["csrf_token"] = token.group(1)
        if next_url is not None:
            form["next"] = next_url
        cookie = re.search(r"roster_login_csrf=([^;]+)", form_page.headers["set-cookie"])
        assert cookie is not None
        r = client.post(
            "/admin/login", data=form, headers={"Cookie": f"roster_login_csrf={cookie.group(1)}"}
        )
    route = RouteInfo("POST", "/admin/login")
    assert_answered(route, r)
    assert r.status_code in (303, 400, 401, 429), r.text[:300]
    if "\x00" in company + email:
        # Refused before anything is looked up or counted, naming the field.
        refusals = ("NUL", "control character", "longer than")
        assert r.status_code == 400 and any(w in r.text for w in refusals), r.text[:300]

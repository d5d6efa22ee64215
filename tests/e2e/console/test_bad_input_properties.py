"""Bad input to the console and SSO, the properties: hypothesis-generated path segments,
query values, form fields and cookies sent to every console and SSO route of the app's
route table, signed in as a real admin with a valid CSRF token
(tests/support/console_site.py), and made-up sign-in forms. Roster never answers 5xx,
and an HTML route answers HTML. The fixed cases, each a 500 found by hand, are in
test_bad_input.py.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.support.console import PASSWORD, make_admin
from tests.support.console_site import Site, open_site
from tests.support.harness import LiveServer
from tests.support.routes import RouteInfo, all_routes

HTML_ROUTES = ("/admin", "/me", "/saml2")
# Routes that answer something other than HTML when they succeed.
NOT_HTML = {
    ("GET", "/admin/import/template.csv"),
    ("GET", "/admin/people/export.csv"),
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


@pytest.fixture(scope="module")
def site(server: LiveServer) -> Iterator[Site]:
    yield from open_site(server)


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

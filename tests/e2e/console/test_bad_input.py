"""Bad input to the console and SSO, the fixed cases: each was a 500 found by hand (they
fail every time on the code before the fix), sent signed in as a real admin with a
valid CSRF token (tests/support/console_site.py). Roster never answers 5xx; an HTML
route answers an HTML page that names the field and the fix (never SCIM JSON), and a
refused request changes nothing. The hypothesis properties over every console and SSO
route are in test_bad_input_properties.py.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest

from tests.support.console import PASSWORD
from tests.support.console_client import ConsoleClient
from tests.support.console_site import Site, open_site
from tests.support.harness import LiveServer


def assert_html_refusal(r: httpx.Response, *words: str) -> None:
    where = f"{r.request.method} {r.request.url} -> {r.status_code} {r.text[:400]}"
    assert 400 <= r.status_code < 500, where
    assert r.headers["content-type"].startswith("text/html"), where
    for word in words:
        assert word in r.text, where


@pytest.fixture(scope="module")
def site(server: LiveServer) -> Iterator[Site]:
    yield from open_site(server)


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

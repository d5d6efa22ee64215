"""No dead ends in the console, over HTTP against the live server (SQLite, and
PostgreSQL with ROSTER_TEST_POSTGRES_URL): every form refused for its input comes back
as its own page with the error beside the field and what was typed still in it, status
400, and nothing changed; a page the admin may not open (403) says who can grant it and
links nowhere they cannot go; 404, 405 and 413 under /admin are HTML pages with their
status, while SCIM paths keep answering SCIM JSON."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import httpx
import pytest

from roster.directory import admins, roster_groups
from roster.directory.people import Actor
from tests.support.console import PASSWORD, make_admin
from tests.support.console_client import ConsoleClient
from tests.support.harness import Company
from tests.support.routes import tenant_rows


@pytest.fixture
def client(company: Company) -> Iterator[ConsoleClient]:
    email = make_admin(company.server, company.subdomain, email=f"ada@{company.subdomain}.ex")
    c = ConsoleClient(company.server.url)
    assert c.login(company.subdomain, email, PASSWORD).status_code == 303
    c.get("/admin")
    yield c
    c.close()


def rows(company: Company) -> dict[str, list[tuple[Any, ...]]]:
    snapshot = company.call(lambda db: tenant_rows(db, company.tenant.id))
    snapshot.pop("sessions", None)  # last_seen_at moves with every page
    return snapshot


def text_of(response: httpx.Response) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text)))


def assert_in_place(r: httpx.Response, heading: str, *words: str) -> None:
    """The form's own page (its heading, the console's menu), 400, the error shown."""
    where = f"{r.request.method} {r.request.url} -> {r.status_code} {r.text[:300]}"
    assert r.status_code == 400, where
    assert r.headers["content-type"].startswith("text/html"), where
    assert f"<h1>{heading}</h1>" in r.text or f">{heading}</h1>" in r.text, where
    assert 'aria-label="Console"' in r.text, where  # inside the console, not an error page
    assert "Back to the console" not in r.text, where
    text = text_of(r)
    for word in words:
        assert word in text, (word, text[:2000])


def roster_group(company: Company, name: str) -> str:
    async def make(db: Any) -> str:
        made = await roster_groups.add_roster_group(
            db, company.tenant, name, "Teams", actor=Actor("test")
        )
        return str(made["id"])

    return company.call(make)


def test_an_unknown_group_member_is_refused_beside_the_field(
    company: Company, client: ConsoleClient
) -> None:
    group = roster_group(company, "Design guild")
    before = rows(company)
    r = client.post(f"/admin/groups/{group}/members", {"member": "ghost@nowhere.example"})
    assert_in_place(r, "Design guild", "Nobody in this company matches 'ghost@nowhere.example'")
    assert 'id="member-error"' in r.text
    assert 'value="ghost@nowhere.example"' in r.text  # kept
    assert 'aria-invalid="true"' in r.text
    # A bad type and a bad name are refused beside their own fields, the input kept.
    r = client.post(f"/admin/groups/{group}/type", {"group_type": "T" * 65})
    assert_in_place(r, "Design guild", "A group type is 1 to 64 characters")
    assert 'id="type-error"' in r.text and f'value="{"T" * 65}"' in r.text
    r = client.post(f"/admin/groups/{group}/rename", {"name": "Team\x00B"})
    assert_in_place(r, "Design guild", "group name", "NUL")
    assert 'id="name-error"' in r.text and 'value="TeamB"' in r.text
    assert rows(company) == before
    # A group that is not there is still a 404.
    gone = client.post("/admin/groups/nope/members", {"member": "x@example.com"})
    assert gone.status_code == 404 and "Group not found" in gone.text


def test_a_new_group_refused_keeps_its_name_and_type(
    company: Company, client: ConsoleClient
) -> None:
    before = rows(company)
    r = client.post("/admin/groups", {"name": "Guild\x00", "group_type": "Departments"})
    assert_in_place(r, "Groups", "group name", "NUL")
    assert 'value="Guild"' in r.text and "<option selected>Departments</option>" in r.text
    assert rows(company) == before


def test_a_custom_attribute_refused_keeps_its_name(company: Company, client: ConsoleClient) -> None:
    before = rows(company)
    r = client.post("/admin/attributes", {"name": "customBad-Name", "type": "number"})
    assert_in_place(r, "Custom attributes", "customBad-Name")
    assert 'id="name-error"' in r.text and 'value="customBad-Name"' in r.text
    assert "<option selected>number</option>" in r.text
    r = client.post("/admin/attributes/customNothing/retire")
    assert_in_place(r, "Custom attributes", "No custom attribute 'customNothing' in use")
    assert rows(company) == before


def test_a_bad_log_retention_is_refused_on_the_log_page(
    company: Company, client: ConsoleClient
) -> None:
    before = rows(company)
    r = client.post("/admin/log/retention", {"days": "4O4"})
    assert_in_place(r, "Provisioning log", "retention")
    assert 'id="days-error"' in r.text
    assert rows(company) == before


def test_sso_forms_are_refused_in_place_with_the_input_kept(
    company: Company, client: ConsoleClient
) -> None:
    before = rows(company)
    r = client.post("/admin/integrations/sso/metadata", {"metadata_xml": "<not metadata"})
    assert_in_place(r, "SAML Single Sign-On")
    assert "&lt;not metadata</textarea>" in r.text  # the pasted text kept
    # Turning SSO on without the IdP's metadata: refused, the switches as they were asked.
    r = client.post(
        "/admin/integrations/sso/settings",
        {"enabled": "on", "allow_idp_initiated": "on", "nameid": "employee_number"},
    )
    assert_in_place(r, "SAML Single Sign-On")
    asked = re.search(r'name="allow_idp_initiated"[^>]*>', r.text)
    assert asked is not None and "checked" in asked.group(0)
    assert '<option value="employee_number" selected>' in r.text
    r = client.post(
        "/admin/integrations/sso/break-glass", {"email": "nobody@example.com", "break_glass": "on"}
    )
    assert_in_place(r, "SAML Single Sign-On", "No console admin 'nobody@example.com'")
    assert rows(company) == before


def test_a_forbidden_page_says_who_can_grant_it(company: Company) -> None:
    sub = company.subdomain
    for email in (f"grace@{sub}.ex", f"alan@{sub}.ex"):
        make_admin(company.server, sub, email=email)
    viewer = make_admin(
        company.server, sub, email=f"viewer@{sub}.ex", roles=(admins.ACCOUNT_ADMIN,)
    )
    client = ConsoleClient(company.server.url)
    assert client.login(sub, viewer, PASSWORD).status_code == 303
    for path in ("/admin/integrations/scim", "/admin/log", "/admin/integrations/webhooks"):
        r = client.get(path)
        assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
        text = text_of(r)
        assert "Manage Integrations access needed" in text
        assert f"Ask an Account Admin of {company.tenant.name}:" in text
        assert f"grace@{sub}.ex" in text and f"alan@{sub}.ex" in text
        assert f"viewer@{sub}.ex, " not in text  # not told to ask themselves
        # Nothing on the page leads where the viewer cannot go.
        links = set(re.findall(r'(?:href|action)="([^"]+)"', r.text))
        for forbidden in (r"/admin/log(/|$)", r"/admin/troubleshooting", r"/admin/integrations/."):
            led = [link for link in links if re.match(forbidden, link)]
            assert not led, links
        assert "Back to the console" not in r.text
    # A POST is refused the same way, and changes nothing.
    client.get("/admin")
    before = rows(company)
    r = client.post("/admin/integrations/scim/tokens", {"label": "sneaky"})
    assert r.status_code == 403 and "Ask an Account Admin" in text_of(r)
    assert rows(company) == before
    client.close()


def test_the_only_account_admin_is_not_told_to_ask_themselves(company: Company) -> None:
    viewer = make_admin(company.server, company.subdomain, roles=(admins.ACCOUNT_ADMIN,))
    client = ConsoleClient(company.server.url)
    assert client.login(company.subdomain, viewer, PASSWORD).status_code == 303
    r = client.get("/admin/troubleshooting")
    assert r.status_code == 403
    assert f"You are the only Account Admin of {company.tenant.name}" in text_of(r)
    client.close()


def test_404_405_and_413_under_admin_are_html_and_scim_keeps_json(
    company: Company, client: ConsoleClient
) -> None:
    http = client.http
    headers = client._headers()
    missing = http.get("/admin/nowhere", headers=headers)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "There is no console page at /admin/nowhere" in text_of(missing)
    for method in ("PUT", "DELETE", "OPTIONS", "PATCH"):
        r = http.request(method, "/admin/people", headers=headers)
        assert r.status_code == 405, (method, r.text[:200])
        assert r.headers["content-type"].startswith("text/html"), (method, r.text[:200])
        assert "Not available this way" in r.text and "GET" in r.headers["allow"]
    options = http.request("OPTIONS", "/admin/nowhere", headers=headers)
    assert options.status_code == 404 and options.headers["content-type"].startswith("text/html")
    big = {"csrf_token": client.csrf, "name": "x" * 2_000_000}
    too_large = http.post("/admin/groups", data=big, headers=headers)
    assert too_large.status_code == 413
    assert too_large.headers["content-type"].startswith("text/html")
    assert "larger than 1 MB" in text_of(too_large) and "nothing was changed" in text_of(too_large)

    def chunks() -> Iterator[bytes]:
        yield f"csrf_token={client.csrf}&name=".encode()
        for _ in range(40):
            yield b"x" * 65536

    streamed = http.post(
        "/admin/groups",
        content=chunks(),
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert streamed.status_code == 413 and streamed.headers["content-type"].startswith("text/html")
    # SCIM's own paths answer SCIM errors.
    scim = company.client
    for r, status in (
        (scim.get("/Nowhere"), 404),
        (scim.put("/ServiceProviderConfig", json={}), 405),
        (scim.request("OPTIONS", "/Users"), 405),
        (scim.post("/Users", content=b"{" + b" " * 2_000_000 + b"}"), 413),
    ):
        assert r.status_code == status, (r.request.method, r.request.url, r.text[:200])
        assert r.headers["content-type"].startswith("application/scim+json"), r.text[:200]
        assert r.json()["status"] == str(status)

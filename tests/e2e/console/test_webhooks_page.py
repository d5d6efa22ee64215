"""Integrations → Webhooks in the console, over HTTP against the live server (SQLite,
and PostgreSQL with ROSTER_TEST_POSTGRES_URL): adding an endpoint shows its secret once
after a redirect (a reload adds nothing and shows nothing), refused URLs are explained
in place, removing asks first, rotating shows the new secret once; the deliveries of a
real SCIM change to a real receiver, "Retry now" of a dead letter delivering it, replay
from a point; and only admins with Manage Integrations get in. Every signature is
checked with the Standard Webhooks reference library."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator
from datetime import timedelta
from html import unescape
from typing import Any

import httpx
import pytest

from roster.directory import admins, webhooks
from tests.support.audit_sweep import audit_rows
from tests.support.browser import sign_in
from tests.support.console import PASSWORD, make_admin
from tests.support.console_client import ConsoleClient
from tests.support.harness import WEBHOOK_ENV, Company, LiveServer, settings_for
from tests.support.users import create, okta_user
from tests.support.webhook_receiver import Answer, Received, eventually, receiving
from tests.support.webhooks import deliveries, settled

PAGE = "/admin/integrations/webhooks"
SECRET = re.compile(r'value="(whsec_[A-Za-z0-9+/=]+)"')
ATTEMPTS = len(WEBHOOK_ENV["ROSTER_WEBHOOK_RETRY_SCHEDULE"].split(",")) + 1


def admin(
    company: Company, *, roles: tuple[str, ...] | None = None, url: str | None = None
) -> tuple[ConsoleClient, str]:
    """A signed-in console client of the company (on `url`, another server of the same
    database, if given) and the admin's email."""
    email = make_admin(company.server, company.subdomain, roles=roles)
    client = ConsoleClient(url or company.server.url)
    assert client.login(company.subdomain, email, PASSWORD).status_code == 303
    return client, email


@pytest.fixture
def console(company: Company) -> Iterator[ConsoleClient]:
    client, _ = admin(company)
    yield client
    client.close()


def add(client: ConsoleClient, url: str, *types: str) -> httpx.Response:
    return client.post(PAGE, {"url": url, "event_type": list(types)})


def added(client: ConsoleClient, url: str, *types: str) -> tuple[str, str, str]:
    """(endpoint id, its page's address with the ticket, the secret shown there)."""
    response = add(client, url, *types)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    found = re.fullmatch(
        rf"{PAGE}/([0-9a-f-]{{36}})\?done=added&reveal=[A-Za-z0-9_-]{{32}}", location
    )
    assert found, location
    page = client.get(location)
    assert page.status_code == 200
    shown = SECRET.findall(page.text)
    assert len(shown) == 1, page.text
    return found.group(1), location, shown[0]


def endpoints(company: Company) -> list[webhooks.EndpointSummary]:
    return company.call(lambda db: webhooks.list_endpoints(db, company.subdomain))


def actions(company: Company, actor: str) -> list[str]:
    rows = company.call(lambda db: audit_rows(db, company.tenant.id))
    return [row.action for _, row in sorted(rows.items()) if row.actor == actor]


def text_of(response: httpx.Response) -> str:
    return unescape(re.sub(r"\s+", " ", response.text))


def test_add_shows_the_secret_once_and_a_reload_adds_nothing(company: Company) -> None:
    client, email = admin(company)
    with receiving() as receiver:
        listing = client.get(PAGE)
        assert listing.status_code == 200 and "No endpoints yet" in listing.text
        for t in ("person.created", "group.members_added", "sso.configured"):
            assert f'value="{t}"' in listing.text  # the known types, as checkboxes
        endpoint_id, location, secret = added(
            client, receiver.url, "person.created", "person.deactivated"
        )
        assert secret.startswith("whsec_")
        # A reload (the same GET again) neither adds an endpoint nor shows the secret.
        again = client.get(location)
        assert again.status_code == 200 and "whsec_" not in again.text
        assert "The secret is not shown again" in again.text
        # Nor does another session holding the address.
        other, _ = admin(company)
        assert "whsec_" not in other.get(location).text
        other.close()
        (summary,) = endpoints(company)
        assert summary.endpoint.id == endpoint_id
        assert summary.endpoint.event_types == ("person.created", "person.deactivated")
        # The secret shown is the one that signs.
        create(company, okta_user("shown.once@acme.example"))
        (request,) = eventually(lambda: receiver.received[:1], what="the delivery")
        body: dict[str, Any] = request.verify(secret)
        assert body["type"] == "person.created"
    listing = text_of(client.get(PAGE))
    assert receiver.url in listing and "person.created, person.deactivated" in listing
    done = actions(company, f"admin:{email}")
    assert done.count("webhook.add") == 1 and done.count("webhook.secret_shown") == 1
    client.close()


def test_bad_urls_and_types_are_explained_in_place_and_nothing_is_added(
    company: Company, console: ConsoleClient
) -> None:
    for url, says in (
        ("ftp://hooks.example.com/roster", "is not an http or https URL"),
        ("https://who:pw@hooks.example.com/roster", "carries a user name or password"),
        ("https://hooks.example.com/roster#top", "has a #fragment"),
        ("https://hooks.example.com:99999/x", "is not a URL"),
        ("", "Give the endpoint URL"),
        ("https://hooks.example.com/\x00", "a NUL byte"),
        ("https://" + "h" * 2100 + ".example.com/", "is longer than 2,000 characters"),
    ):
        response = add(console, url, "person.created")
        assert response.status_code == 400, (url, response.status_code)
        page = text_of(response)
        assert "Endpoint not added." in page and says in page, (url, page)
        assert 'aria-invalid="true"' in response.text and 'href="#url">Endpoint URL' in page
        kept = url.replace("\x00", "")[:2000]
        assert f'value="{kept}"' in page or not kept  # the input is kept
        assert 'value="person.created" checked' in response.text
    unknown = add(console, "http://127.0.0.1:9/roster", "person.exploded")
    assert unknown.status_code == 400
    assert "Unknown event type 'person.exploded'" in text_of(unknown)
    assert 'href="#event-types">Event types' in unknown.text
    assert endpoints(company) == []


@pytest.fixture(scope="module")
def strict_server(server: LiveServer) -> Iterator[LiveServer]:
    """A second server of the same database with the production setting: private and
    loopback webhook URLs refused (and no deliverer of its own)."""
    strict = LiveServer(
        server.backend,
        server.database_url,
        settings_for(server.database_url, webhook_allow_private=False, delivery="off"),
    )
    strict.start()
    yield strict
    strict.stop()


def test_inward_urls_are_refused_in_place(company: Company, strict_server: LiveServer) -> None:
    client, _ = admin(company, url=strict_server.url)
    for url, says in (
        ("http://169.254.169.254/latest/meta-data/", "the cloud metadata service"),
        ("http://127.0.0.1:8080/hooks", "a loopback address"),
        ("https://10.0.0.5/hooks", "a private address"),
        ("http://[::1]/hooks", "a loopback address"),
    ):
        response = add(client, url)
        assert response.status_code == 400, (url, response.text)
        page = text_of(response)
        assert says in page and "Roster sends events only to public addresses" in page
        assert f'value="{url}"' in page
    assert endpoints(company) == []
    client.close()


def test_remove_asks_first_and_keeps_the_deliveries_readable(company: Company) -> None:
    client, email = admin(company)
    endpoint_id, _, _ = added(client, "http://127.0.0.1:9/never")
    page = client.get(f"{PAGE}/{endpoint_id}")
    assert f'href="{PAGE}/{endpoint_id}/remove"' in page.text
    confirm = client.get(f"{PAGE}/{endpoint_id}/remove")
    assert confirm.status_code == 200
    assert "Remove this endpoint?" in confirm.text and "cannot be undone" in confirm.text
    assert "http://127.0.0.1:9/never" in confirm.text and endpoints(company)  # not yet
    removed = client.post(f"{PAGE}/{endpoint_id}/remove")
    assert removed.status_code == 303
    assert removed.headers["location"].startswith(f"{PAGE}?done=removed")
    listing = client.get(removed.headers["location"])
    assert "Endpoint removed." in listing.text and "127.0.0.1:9/never" not in listing.text
    assert endpoints(company) == []
    gone = client.get(f"{PAGE}/{endpoint_id}")
    assert gone.status_code == 200 and "Removed" in gone.text and "Rotate secret" not in gone.text
    assert client.post(f"{PAGE}/{endpoint_id}/remove").status_code == 404
    assert client.get(f"{PAGE}/{endpoint_id}/remove").status_code == 404
    assert client.post(f"{PAGE}/{endpoint_id}/rotate").status_code == 404
    assert "webhook.remove" in actions(company, f"admin:{email}")
    client.close()


def test_rotate_shows_the_new_secret_once_and_both_sign(company: Company) -> None:
    client, email = admin(company)
    with receiving() as receiver:
        endpoint_id, _, old = added(client, receiver.url, "person.created")
        rotated = client.post(f"{PAGE}/{endpoint_id}/rotate")
        assert rotated.status_code == 303
        location = rotated.headers["location"]
        assert "done=rotated" in location and "reveal=" in location
        page = client.get(location)
        (new,) = SECRET.findall(page.text)
        assert new != old and "The new signing secret" in page.text
        assert "every delivery carries two signatures" in page.text
        assert "whsec_" not in client.get(location).text
        create(company, okta_user("rotated@acme.example"))
        (request,) = eventually(lambda: receiver.received[:1], what="the delivery")
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert request.verify(new)["type"] == request.verify(old)["type"] == "person.created"
    assert "Rotating" in client.get(PAGE).text
    assert "webhook.rotate_secret" in actions(company, f"admin:{email}")
    client.close()


def test_a_scim_change_is_listed_with_its_delivery(
    company: Company, console: ConsoleClient
) -> None:
    with receiving() as receiver:
        endpoint_id, _, secret = added(console, receiver.url)
        person = create(company, okta_user("listed@acme.example"))
        (done,) = eventually(lambda: settled(company, endpoint_id, 1), what="delivered")
    (request,) = receiver.received
    assert request.verify(secret)["data"]["object"]["id"] == person["id"]
    page = text_of(console.get(f"{PAGE}/{endpoint_id}"))
    assert f"#{done.event_seq}" in page and done.event_id in page
    assert "person.created" in page and "Delivered" in page and "HTTP 200" in page
    assert '{"ok": true}' in page  # the receiver's answer
    listing = text_of(console.get(PAGE))
    assert "Delivering" in listing and "HTTP 200" in listing and "All types" in listing
    only_dead = text_of(console.get(f"{PAGE}/{endpoint_id}?status=dead"))
    assert "No dead deliveries." in only_dead and done.event_id not in only_dead
    assert console.get(f"{PAGE}/{endpoint_id}?status=lost").status_code == 400
    assert console.get(f"{PAGE}/{endpoint_id}?limit=0").status_code == 400


def test_retry_now_delivers_a_dead_letter(company: Company) -> None:
    client, email = admin(company)
    fixed = threading.Event()

    def choose(_request: Received, _so_far: list[Received]) -> Answer:
        return Answer(200) if fixed.is_set() else Answer(503)

    with receiving(choose=choose) as receiver:
        endpoint_id, _, secret = added(client, receiver.url, "person.created")
        create(company, okta_user("retried.now@acme.example"))
        (dead,) = eventually(lambda: settled(company, endpoint_id, 1), what="dead")
        assert dead.status == "dead" and dead.attempts == ATTEMPTS
        page = text_of(client.get(f"{PAGE}/{endpoint_id}"))
        assert 'badge red">Dead-lettered' in page and "HTTP 503" in page
        assert "receiver says no" in page
        assert "Retry now" in page
        assert "Dead letters" in text_of(client.get(PAGE))
        fixed.set()
        retried = client.post(f"{PAGE}/{endpoint_id}/deliveries/{dead.event_seq}/retry")
        assert retried.status_code == 303
        assert (
            retried.headers["location"]
            == f"{PAGE}/{endpoint_id}?done=retried#delivery-{dead.event_seq}"
        )
        (done,) = eventually(lambda: settled(company, endpoint_id, 1), what="delivered")
    assert done.status == "delivered" and done.attempts == 1 and done.last_status == 200
    assert receiver.ids() == [dead.event_id] * (ATTEMPTS + 1)
    assert receiver.received[-1].verify(secret)["id"] == dead.event_id
    page = text_of(client.get(f"{PAGE}/{endpoint_id}"))
    assert 'badge green">Delivered' in page and 'badge red">Dead-lettered' not in page
    again = client.post(f"{PAGE}/{endpoint_id}/deliveries/{dead.event_seq}/retry")
    assert again.status_code == 409 and "was delivered already" in again.text
    assert client.post(f"{PAGE}/{endpoint_id}/deliveries/999999/retry").status_code == 404
    assert client.post(f"{PAGE}/{endpoint_id}/deliveries/x1/retry").status_code == 400
    assert actions(company, f"admin:{email}").count("webhook.retry") == 1
    client.close()


def test_replay_from_an_event_or_a_time(company: Company) -> None:
    client, email = admin(company)
    with receiving() as receiver:
        endpoint_id, _, _ = added(client, receiver.url, "person.created")
        create(company, okta_user("replayed@acme.example"))
        (first,) = eventually(lambda: settled(company, endpoint_id, 1), what="delivered")
        replayed = client.post(f"{PAGE}/{endpoint_id}/replay", {"from_seq": str(first.event_seq)})
        assert replayed.status_code == 303
        assert replayed.headers["location"].endswith("done=replayed&queued=1")
        assert "1 delivery queued" in text_of(client.get(replayed.headers["location"]))
        eventually(lambda: receiver.ids() == [first.event_id] * 2, what="sent again")
        since = (first.created_at - timedelta(minutes=1)).replace(tzinfo=None)
        by_time = client.post(
            f"{PAGE}/{endpoint_id}/replay", {"since": since.isoformat(timespec="minutes")}
        )
        assert by_time.status_code == 303 and by_time.headers["location"].endswith("queued=1")
        eventually(lambda: receiver.ids() == [first.event_id] * 3, what="sent a third time")
    for form, says in (
        ({}, "an event number or a time, one of the two"),
        ({"from_seq": "1", "since": "2026-12-01T09:00"}, "one of the two"),
        ({"from_seq": "0"}, "must be a whole number, in the digits 0-9; give 1 or more"),
        ({"from_seq": "abc"}, "The event number must be a whole number"),
        ({"since": "yesterday"}, "is not a date and time"),
    ):
        response = client.post(f"{PAGE}/{endpoint_id}/replay", form)
        assert response.status_code == 400, (form, response.text)
        page = text_of(response)
        assert "Not replayed." in page and says in page, (form, page)
        for value in form.values():
            assert f'value="{value}"' in page
    assert actions(company, f"admin:{email}").count("webhook.replay") == 2
    assert len(deliveries(company, endpoint_id)) == 1
    client.close()


def test_only_admins_who_manage_integrations_get_in(company: Company) -> None:
    allowed, _ = admin(company)
    endpoint_id, _, _ = added(allowed, "http://127.0.0.1:9/hooks")
    allowed.close()
    client, _ = admin(company, roles=(admins.ACCOUNT_ADMIN,))
    card = client.get("/admin/integrations")
    assert card.status_code == 200 and "Webhooks" in card.text
    assert f'href="{PAGE}"' not in card.text
    for path in (PAGE, f"{PAGE}/{endpoint_id}", f"{PAGE}/{endpoint_id}/remove"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Manage Integrations access needed" in response.text
    for path, form in (
        (PAGE, {"url": "http://127.0.0.1:9/other"}),
        (f"{PAGE}/{endpoint_id}/remove", {}),
        (f"{PAGE}/{endpoint_id}/rotate", {}),
        (f"{PAGE}/{endpoint_id}/replay", {"from_seq": "1"}),
        (f"{PAGE}/{endpoint_id}/deliveries/1/retry", {}),
    ):
        assert client.post(path, form).status_code == 403, path
    (summary,) = endpoints(company)
    assert summary.endpoint.id == endpoint_id and summary.endpoint.previous_secret_until is None
    client.close()


def test_forms_need_the_session_csrf_token_and_companies_stay_apart(
    company: Company, other_company: Company, console: ConsoleClient
) -> None:
    forged = console.post(PAGE, {"url": "http://127.0.0.1:9/x", "csrf_token": "forged"})
    assert forged.status_code == 403 and "This form has expired" in forged.text
    cross_site = console.post(
        PAGE, {"url": "http://127.0.0.1:9/x"}, headers={"Origin": "https://evil.example"}
    )
    assert cross_site.status_code == 403
    assert endpoints(company) == []
    theirs, _ = admin(other_company)
    their_id, _, _ = added(theirs, "http://127.0.0.1:9/theirs")
    theirs.close()
    assert console.get(f"{PAGE}/{their_id}").status_code == 404
    assert console.post(f"{PAGE}/{their_id}/remove").status_code == 404
    assert console.post(f"{PAGE}/{their_id}/rotate").status_code == 404
    assert "127.0.0.1:9/theirs" not in console.get(PAGE).text
    assert len(endpoints(other_company)) == 1


def test_in_a_browser_a_reload_shows_nothing_and_adds_nothing(
    company: Company, chromium: object
) -> None:
    """The real thing: the form submitted in Chromium, the secret on the page it lands
    on, then the page reloaded."""
    from playwright.sync_api import Browser, expect

    assert isinstance(chromium, Browser)
    email = make_admin(company.server, company.subdomain)
    context = chromium.new_context(base_url=company.server.url)
    page = context.new_page()
    sign_in(page, company.subdomain, email)
    page.goto(PAGE)
    url = f"http://127.0.0.1:9/{secrets.token_hex(4)}/" + "long-path/" * 30
    page.get_by_label("Endpoint URL").fill(url)
    page.get_by_label("person.created").check()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("heading", name="The endpoint's signing secret")).to_be_visible()
    assert page.locator("#new-secret").input_value().startswith("whsec_")
    page.reload()
    expect(page.get_by_text("The secret is not shown again.")).to_be_visible()
    assert page.locator("#new-secret").count() == 0
    page.get_by_role("link", name="Webhooks").first.click()
    link = page.locator("td.url-cell a")
    expect(link).to_have_attribute("title", url)
    assert len(endpoints(company)) == 1
    context.close()

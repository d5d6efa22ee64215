"""Admins in the console and the CLI, over HTTP against the live server (SQLite, and
PostgreSQL with ROSTER_TEST_POSTGRES_URL): an invitation's link is shown once after a
redirect and sets a password once; roles, reset, unlock and remove; the last Account
Admin who can sign in is kept, also when two Account Admins demote each other at the
same moment; a Manage Integrations admin is refused the page; every change is audited.
The browser flow: test_admins_browser.py."""

from __future__ import annotations

import re
import threading
from html import unescape

import httpx

from roster.directory import admin_team, admins
from tests.support.audit_sweep import audit_rows
from tests.support.console import PASSWORD, make_admin
from tests.support.console_client import ConsoleClient
from tests.support.harness import Company
from tests.support.helpers import roster_cli

PAGE = "/admin/admins"
LINK = re.compile(r'value="(https?://[^"]+/admin/set-password\?token=(rstr_setpw_[\w-]+))"')
NEW_PASSWORD = "plum-orbit-lantern-quietly-9"


def admin(company: Company, **kw: object) -> tuple[ConsoleClient, str]:
    email = make_admin(company.server, company.subdomain, **kw)  # type: ignore[arg-type]
    client = ConsoleClient(company.server.url)
    assert client.login(company.subdomain, email, PASSWORD).status_code == 303
    return client, email


def text_of(response: httpx.Response) -> str:
    return unescape(re.sub(r"\s+", " ", response.text))


def views(company: Company) -> dict[str, admin_team.AdminView]:
    found = company.call(lambda db: admin_team.list_admins(db, company.subdomain))
    return {v.user.email: v for v in found}


def actions(company: Company) -> list[tuple[str, str]]:
    rows = company.call(lambda db: audit_rows(db, company.tenant.id))
    return [(r.actor, r.action) for _, r in sorted(rows.items()) if r.action.startswith("admin.")]


def invite(client: ConsoleClient, email: str, *roles: str, name: str = "") -> httpx.Response:
    return client.post(PAGE, {"email": email, "name": name, "role": list(roles)})


def invited(client: ConsoleClient, email: str, *roles: str) -> tuple[str, str, str]:
    """(admin id, the page address with the ticket, the token shown there)."""
    response = invite(client, email, *roles)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    found = re.fullmatch(
        rf"{PAGE}/([0-9a-f-]{{36}})\?done=invited&link=[0-9a-f-]{{36}}&reveal=.+", location
    )
    assert found, location
    page = client.get(location)
    assert page.status_code == 200
    (shown,) = LINK.findall(page.text)
    return found.group(1), location, shown[1]


def use_link(
    server_url: str, token: str, password: str = NEW_PASSWORD
) -> tuple[ConsoleClient, httpx.Response]:
    fresh = ConsoleClient(server_url)
    form = fresh.get(f"/admin/set-password?token={token}")
    assert form.status_code == 200, form.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf
    done = fresh.post(
        "/admin/set-password",
        {"token": token, "password": password, "confirm": password, "csrf_token": csrf.group(1)},
    )
    return fresh, done


def test_invite_shows_the_link_once_and_it_sets_a_password_once(company: Company) -> None:
    client, me = admin(company)
    admin_id, location, token = invited(client, "new.admin@acme.example", "account_admin")
    # A reload shows the link no more and invites nobody again.
    again = client.get(location)
    assert again.status_code == 200 and "rstr_setpw_" not in again.text
    assert "The link is not shown again" in text_of(again)
    assert list(views(company)) == sorted([me, "new.admin@acme.example"])
    assert views(company)["new.admin@acme.example"].status == "invited"
    # A weak password is refused in place, the link still good.
    fresh, weak = use_link(company.server.url, token, "password1234")
    assert weak.status_code == 400 and "commonly used" in text_of(weak)
    # The invitee sets a password and is signed in.
    fresh, done = use_link(company.server.url, token)
    assert done.status_code == 303 and done.headers["location"] == "/admin?done=password"
    assert fresh.get("/admin").status_code == 200
    assert views(company)["new.admin@acme.example"].status == "active"
    # The link works once.
    used = httpx.get(f"{company.server.url}/admin/set-password?token={token}")
    assert used.status_code == 410 and "has been used already" in text_of(used)
    assert "Ask an Account Admin" in text_of(used)
    unknown = httpx.get(f"{company.server.url}/admin/set-password?token=rstr_setpw_nope")
    assert unknown.status_code == 404 and "not valid" in text_of(unknown)
    assert (
        ConsoleClient(company.server.url)
        .login(company.subdomain, "new.admin@acme.example", NEW_PASSWORD)
        .status_code
        == 303
    )
    assert actions(company) == [
        ("system", "admin.create"),
        (f"admin:{me}", "admin.invite"),
        (f"admin:{me}", "admin.link_shown"),
        ("admin:new.admin@acme.example", "admin.password_set"),
    ]
    assert admin_id == views(company)["new.admin@acme.example"].user.id


def test_bad_invitations_are_explained_in_place(company: Company) -> None:
    client, me = admin(company)
    for email, roles, expected in (
        ("not-an-email", ["account_admin"], "is not an email address"),
        ("x@acme.example", [], "choose at least one role"),
        (me, ["account_admin"], "is already an admin"),
    ):
        page = invite(client, email, *roles)
        assert page.status_code in (400, 409), page.text
        assert expected in text_of(page).lower() and f'value="{email}"' in page.text
    assert list(views(company)) == [me]


def test_roles_reset_unlock_and_remove(company: Company) -> None:
    client, me = admin(company)
    other = make_admin(company.server, company.subdomain, email="sam@acme.example")
    other_id = views(company)[other].user.id
    signed, _ = ConsoleClient(company.server.url), None
    assert signed.login(company.subdomain, other, PASSWORD).status_code == 303
    # Roles.
    done = client.post(f"{PAGE}/{other_id}/roles", {"role": ["manage_integrations"]})
    assert done.status_code == 303
    assert views(company)[other].user.roles == ("manage_integrations",)
    # A Manage Integrations admin gets the 403 page, not the Admins page.
    refused = signed.get(PAGE)
    assert refused.status_code == 403 and "Account Admin access needed" in text_of(refused)
    assert signed.get("/admin/integrations/scim").status_code == 200
    assert signed.get("/admin/people").status_code == 403
    # Lock them out with wrong passwords, then unlock.
    tries = [
        ConsoleClient(company.server.url).login(company.subdomain, other, "wrong-password-x")
        for _ in range(admins.EMAIL_FAILURES + 1)
    ]
    assert [t.status_code for t in tries][-1] == 429, [t.status_code for t in tries]
    assert views(company)[other].status == "locked"
    assert "Locked until" in text_of(client.get(f"{PAGE}/{other_id}"))
    assert client.post(f"{PAGE}/{other_id}/unlock").status_code == 303
    assert views(company)[other].status == "active"
    # Reset: the old password and the sessions stop working now.
    reset = client.post(f"{PAGE}/{other_id}/reset")
    assert reset.status_code == 303 and "done=reset" in reset.headers["location"]
    assert len(LINK.findall(client.get(reset.headers["location"]).text)) == 1
    assert signed.get("/admin/integrations/scim").status_code == 303  # to sign-in
    assert (
        ConsoleClient(company.server.url).login(company.subdomain, other, PASSWORD).status_code
        == 401
    )
    assert views(company)[other].status == "reset"
    # Remove.
    assert client.get(f"{PAGE}/{other_id}/remove").status_code == 200
    assert client.post(f"{PAGE}/{other_id}/remove").status_code == 303
    assert list(views(company)) == [me]
    done_by_me = [a for actor, a in actions(company) if actor == f"admin:{me}"]
    assert done_by_me == [
        "admin.roles",
        "admin.unlock",
        "admin.password_reset",
        "admin.link_shown",
        "admin.remove",
    ]


def test_the_last_account_admin_is_kept(company: Company) -> None:
    client, me = admin(company)
    my_id = views(company)[me].user.id
    for path, data in (
        ("roles", {"role": ["manage_integrations"]}),
        ("remove", {}),
        ("reset", {}),
    ):
        page = client.post(f"{PAGE}/{my_id}/{path}", data)
        assert page.status_code == 409, (path, page.text)
        assert "without an Account Admin who can sign in" in text_of(page)
    assert views(company)[me].user.roles == ("account_admin", "manage_integrations")
    assert client.get(PAGE).status_code == 200  # still signed in
    # An invited Account Admin cannot sign in yet: they do not count.
    invited(client, "pending@acme.example", "account_admin")
    assert client.post(f"{PAGE}/{my_id}/remove").status_code == 409
    # The CLI keeps the same rule.
    refused = roster_cli(company.server, "admin", "remove", company.subdomain, me)
    assert refused.returncode == 1 and "without an Account Admin who can sign in" in refused.stderr


def test_two_account_admins_demoting_each_other_at_once_one_is_refused(company: Company) -> None:
    first, a = admin(company, email="a@acme.example")
    second, b = admin(company, email="b@acme.example")
    ids = {e: v.user.id for e, v in views(company).items()}
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}

    def demote(client: ConsoleClient, target: str) -> None:
        barrier.wait()
        results[target] = client.post(
            f"{PAGE}/{ids[target]}/roles", {"role": ["manage_integrations"]}
        ).status_code

    threads = [
        threading.Thread(target=demote, args=(first, b)),
        threading.Thread(target=demote, args=(second, a)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # The loser is refused by the rule (409), or, when the winner committed before its
    # request was even let in, as no longer an Account Admin (403).
    assert sorted(results.values())[0] == 303 and sorted(results.values())[1] in (403, 409), results
    left = [e for e, v in views(company).items() if v.user.is_account_admin]
    assert len(left) == 1, left


def test_cli_lists_invites_and_manages_admins(company: Company) -> None:
    me = make_admin(company.server, company.subdomain, email="ops@acme.example")
    cli = company.server

    def run(*args: str) -> str:
        result = roster_cli(cli, "admin", *args)
        assert result.returncode == 0, result.stderr
        return result.stdout

    out = run(
        "invite",
        company.subdomain,
        "cli@acme.example",
        "--role",
        "account_admin",
        "--name",
        "Cli Person",
    )
    token_line = out.strip().splitlines()[-1]
    assert re.fullmatch(r"(https?://\S+)?/admin/set-password\?token=rstr_setpw_[\w-]+", token_line)
    token = token_line.split("token=")[1]
    listing = run("list", company.subdomain)
    assert "cli@acme.example" in listing and "Cli Person" in listing and "Invited" in listing
    _fresh, done = use_link(company.server.url, token)
    assert done.status_code == 303
    assert "Account Admin" in run(
        "set-roles",
        company.subdomain,
        "cli@acme.example",
        "--role",
        "account_admin",
        "--role",
        "manage_integrations",
    )
    reset = run("reset-password", company.subdomain, "cli@acme.example")
    assert reset.strip().splitlines()[-1].startswith(("http", "/admin/set-password"))
    assert "was not locked" in run("unlock", company.subdomain, "cli@acme.example")
    assert "removed" in run("remove", company.subdomain, "cli@acme.example")
    assert list(views(company)) == [me]
    cli_actions = [a for actor, a in actions(company) if actor == "cli"]
    assert cli_actions == ["admin.invite", "admin.roles", "admin.password_reset", "admin.remove"]
    missing = roster_cli(cli, "admin", "remove", company.subdomain, "nobody@acme.example")
    assert missing.returncode == 1 and "no admin nobody@acme.example" in missing.stderr

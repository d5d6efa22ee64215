"""Integrations → SCIM 2.0 over HTTP against the live server (SQLite, and PostgreSQL
with ROSTER_TEST_POSTGRES_URL): one button enables SCIM and one disables it behind a
confirmation, each audited, with a banner only when something changed; a new token is
shown once after a redirect (a reload mints nothing and shows nothing); tokens are told
apart by label (unique among live tokens, refused in place) and fingerprint (the first
8 hex digits of the secret's SHA-256, in the console and in `roster scim token list`);
revoking asks first, naming the token."""

from __future__ import annotations

import hashlib
import re
from html import unescape
from pathlib import Path

import httpx

from roster.directory import tenants, tokens
from tests.support.audit_sweep import audit_rows
from tests.support.console import PASSWORD, make_admin
from tests.support.console_client import ConsoleClient
from tests.support.harness import Company
from tests.support.helpers import roster_cli
from tests.support.users import create, deactivate, okta_user

PAGE = "/admin/integrations/scim"
SECRET = re.compile(r'value="(rstr_scim_[A-Za-z0-9_-]+)"')


def admin(company: Company) -> tuple[ConsoleClient, str]:
    email = make_admin(company.server, company.subdomain)
    client = ConsoleClient(company.server.url)
    assert client.login(company.subdomain, email, PASSWORD).status_code == 303
    client.get(PAGE)  # the CSRF token
    return client, email


def text_of(response: httpx.Response) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text)))


def live_tokens(company: Company, label: str) -> list[tokens.TokenRecord]:
    listed = company.call(lambda db: tokens.list_tokens(db, company.subdomain))
    return [t for t in listed if t.label == label and t.revoked_at is None]


def actions(company: Company, actor: str) -> list[str]:
    rows = company.call(lambda db: audit_rows(db, company.tenant.id))
    return [row.action for _, row in sorted(rows.items()) if row.actor == actor]


def test_a_new_token_is_shown_once_and_a_reload_mints_no_other(company: Company) -> None:
    client, email = admin(company)
    made = client.post(f"{PAGE}/tokens", {"label": "Okta production"})
    assert made.status_code == 303, made.text
    location = made.headers["location"]
    assert re.fullmatch(
        rf"{PAGE}\?done=token&token=[0-9a-f-]{{36}}&reveal=[A-Za-z0-9_-]{{32}}#new-token-h",
        location,
    ), location
    # The ticket is bound to its token: under another token's id it opens nothing, and
    # is not used up.
    elsewhere = re.sub(r"token=[0-9a-f-]{36}", f"token={company.token_id}", location)
    assert "rstr_scim_" not in client.get(elsewhere).text
    shown = client.get(location)
    assert shown.status_code == 200
    (secret,) = SECRET.findall(shown.text)
    (record,) = live_tokens(company, "Okta production")
    # The fingerprint shown is the one computed from the secret, in the box and the list.
    fingerprint = hashlib.sha256(secret.encode()).hexdigest()[:8]
    assert record.fingerprint == fingerprint == tokens.fingerprint(secret)
    assert text_of(shown).count(fingerprint) >= 2
    assert "Token generated." in text_of(shown)
    # The token works.
    scim = httpx.get(
        f"{company.server.scim_url}/Users", headers={"Authorization": f"Bearer {secret}"}
    )
    assert scim.status_code == 200
    # A reload (the same GET again) shows it no more, and there is still one such token.
    again = client.get(location)
    assert again.status_code == 200 and "rstr_scim_" not in again.text
    assert "The token is not shown again" in text_of(again)
    assert len(live_tokens(company, "Okta production")) == 1
    # Nor does another session holding the address.
    other, _ = admin(company)
    assert "rstr_scim_" not in other.get(location).text
    other.close()
    done = actions(company, f"admin:{email}")
    assert done.count("scim.token_create") == 1 and done.count("scim.token_shown") == 1
    client.close()


def test_a_label_in_use_is_refused_in_place_with_the_label_kept(company: Company) -> None:
    client, _ = admin(company)
    assert client.post(f"{PAGE}/tokens", {"label": "Entra ID"}).status_code == 303
    before = company.call(lambda db: tokens.list_tokens(db, company.subdomain))
    refused = client.post(f"{PAGE}/tokens", {"label": "entra id"})
    assert refused.status_code == 400
    text = text_of(refused)
    assert "Not done" not in text  # next to the field, not a banner
    assert "An active token is already labelled 'Entra ID'" in text
    assert 'id="label-error"' in refused.text and 'aria-invalid="true"' in refused.text
    assert 'value="entra id"' in refused.text  # the input kept
    assert "rstr_scim_" not in refused.text
    after = company.call(lambda db: tokens.list_tokens(db, company.subdomain))
    assert after == before  # nothing changed
    # The company's first token (from the harness) is "Okta": the default label is taken.
    default = client.post(f"{PAGE}/tokens", {"label": ""})
    assert default.status_code == 400 and "already labelled 'Okta'" in text_of(default)
    # Revoked, a label is free again.
    (entra,) = live_tokens(company, "Entra ID")
    assert client.post(f"{PAGE}/tokens/{entra.id}/revoke").status_code == 303
    assert client.post(f"{PAGE}/tokens", {"label": "Entra ID"}).status_code == 303
    client.close()


def test_revoking_asks_first_naming_the_token(company: Company) -> None:
    client, email = admin(company)
    listing = client.get(PAGE)
    (okta,) = live_tokens(company, "Okta")
    confirm_url = f"{PAGE}/tokens/{okta.id}/revoke"
    assert f'href="{confirm_url}"' in listing.text  # the list's Revoke asks first
    confirm = client.get(confirm_url)
    assert confirm.status_code == 200
    text = text_of(confirm)
    assert "Revoke the token “Okta”?" in text and okta.fingerprint in text
    assert "refused with 401 Unauthorized" in text and "your only active token" in text
    assert live_tokens(company, "Okta")  # asking changed nothing
    revoked = client.post(confirm_url)
    assert revoked.status_code == 303 and revoked.headers["location"] == f"{PAGE}?done=revoked"
    assert "Token revoked." in text_of(client.get(revoked.headers["location"]))
    assert company.client.get("/Users").status_code == 401
    gone = client.get(confirm_url)
    assert gone.status_code == 404 and "Token not found" in gone.text
    assert actions(company, f"admin:{email}").count("scim.token_revoke") == 1
    client.close()


def test_one_button_enables_and_one_disables_behind_a_confirmation(company: Company) -> None:
    client, email = admin(company)
    # Already on: "Enable" changes nothing and says nothing.
    again = client.post(f"{PAGE}/enable")
    assert again.status_code == 303 and again.headers["location"] == PAGE
    confirm = client.get(f"{PAGE}/disable")
    text = text_of(confirm)
    assert confirm.status_code == 200 and "Disable SCIM?" in text
    assert "refused with 401 Unauthorized" in text and "Okta · " in text
    assert company.refresh().scim_enabled  # asking changed nothing
    off = client.post(f"{PAGE}/disable")
    assert off.status_code == 303 and off.headers["location"] == f"{PAGE}?done=disabled"
    page = client.get(off.headers["location"])
    assert "SCIM is disabled." in text_of(page) and "Enable SCIM" in page.text
    assert 'action="/admin/integrations/scim/tokens"' not in page.text
    refused = company.client.get("/Users")
    assert refused.status_code == 401 and "SCIM is disabled" in refused.json()["detail"]
    # Off already: disabling again changes nothing, and the banner needs a change.
    assert client.post(f"{PAGE}/disable").headers["location"] == PAGE
    assert "notice success" not in client.get(PAGE).text
    on = client.post(f"{PAGE}/enable")
    assert on.headers["location"] == f"{PAGE}?done=enabled#setup-h"
    page = text_of(client.get(on.headers["location"]))
    assert "SCIM is enabled." in page
    # The setup steps, in the order Okta's form asks for them.
    steps = [
        "SCIM connector base URL",
        "Unique identifier field for users",
        "Supported provisioning actions",
        "Authentication Mode",
        "Generate token",
    ]
    where = [page.index(step) for step in steps]
    assert where == sorted(where), where
    assert f'value="{company.server.url}/scim/v2"' in client.get(PAGE).text
    assert company.client.get("/Users").status_code == 200  # the token works again
    assert actions(company, f"admin:{email}").count("tenant.scim") == 2
    client.close()


def test_saving_unchanged_settings_is_no_success(company: Company) -> None:
    client, _ = admin(company)
    tenant = company.refresh()
    form = {k: "on" for k in ("sync_managers", "link_existing_people") if tenant.setting(k)}
    same = client.post(f"{PAGE}/settings", form)
    assert same.status_code == 303 and "done=unchanged" in same.headers["location"]
    page = client.get(same.headers["location"])
    assert "notice success" not in page.text and "Nothing changed" in text_of(page)
    changed = client.post(f"{PAGE}/settings", {**form, "send_welcome_email": "on"})
    assert "done=settings" in changed.headers["location"]
    assert "Settings saved." in text_of(client.get(changed.headers["location"]))
    client.close()


def test_the_integrations_page_enables_scim_in_one_action(company: Company) -> None:
    company.call(lambda db: tenants.set_scim_enabled(db, company.subdomain, False))
    client, _ = admin(company)
    card = client.get("/admin/integrations")
    assert 'action="/admin/integrations/scim/enable"' in card.text
    on = client.post("/admin/integrations/scim/enable")
    assert on.headers["location"] == f"{PAGE}?done=enabled#setup-h"
    assert company.refresh().scim_enabled
    assert "Manage" in client.get("/admin/integrations").text
    client.close()


def test_the_cli_lists_each_tokens_fingerprint(company: Company) -> None:
    listed = roster_cli(company.server, "scim", "token", "list", company.subdomain)
    assert listed.returncode == 0, listed.stderr
    fingerprint = hashlib.sha256(company.token.encode()).hexdigest()[:8]
    assert "fingerprint" in listed.stdout and fingerprint in listed.stdout
    made = roster_cli(
        company.server, "scim", "token", "create", company.subdomain, "--label", "CLI one"
    )
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert f"fingerprint {tokens.fingerprint(secret)}" in made.stderr
    twice = roster_cli(
        company.server, "scim", "token", "create", company.subdomain, "--label", "cli ONE"
    )
    assert twice.returncode != 0 and "already labelled 'CLI one'" in twice.stderr


DOCS = Path(__file__).resolve().parents[3] / "docs"
BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)


def ui_names(markdown: str) -> set[str]:
    """The names a doc writes in bold (its convention for Roster's menus, pages and
    buttons), each step of a `A → B` path on its own."""
    names = set()
    for bold in BOLD.findall(markdown):
        for part in bold.split("→"):
            names.add(" ".join(part.split()))
    return names


def test_the_docs_name_what_the_screens_show(company: Company) -> None:
    """docs/okta.md and the SCIM section of docs/admin-guide.md, word for word: every
    bold name in them is on one of the screens they walk through."""
    # The 409's fix is walked through from a deactivated person who holds an email.
    leaver = create(company, okta_user("leaver@acme.example"))["id"]
    deactivate(company, leaver)
    company.call(lambda db: tenants.set_scim_enabled(db, company.subdomain, False))
    client, _ = admin(company)
    screens = [
        client.get(path)
        for path in (
            "/admin",
            "/admin/integrations",
            PAGE,
            "/admin/log",
            "/admin/troubleshooting",
            f"/admin/people/{leaver}",
        )
    ]
    made = client.post(f"{PAGE}/enable")
    screens.append(client.get(made.headers["location"]))
    made = client.post(f"{PAGE}/tokens", {"label": "Okta two"})
    screens.append(client.get(made.headers["location"]))  # with "Your new token"
    screens.append(client.get(f"{PAGE}/disable"))
    (okta,) = live_tokens(company, "Okta")
    screens.append(client.get(f"{PAGE}/tokens/{okta.id}/revoke"))
    shown = " ".join(text_of(s) for s in screens)
    guide = (DOCS / "admin-guide.md").read_text()
    scim_section = guide[guide.index("## 3. Connect Okta") : guide.index("## 4. ")]
    for doc, text in (
        ("okta.md", (DOCS / "okta.md").read_text()),
        ("admin-guide.md", scim_section),
    ):
        names = ui_names(text)
        assert len(names) >= 15, (doc, names)
        missing = sorted(n for n in names if n not in shown)
        assert not missing, f"{doc} names what no screen shows: {missing}"
    # And what the docs must not name: the menu that does not exist.
    assert "Settings → Integrations" not in (DOCS / "okta.md").read_text()
    client.close()


def test_the_overview_of_an_unconnected_company_is_a_setup_checklist(company: Company) -> None:
    company.call(lambda db: tenants.set_scim_enabled(db, company.subdomain, False))
    (okta,) = live_tokens(company, "Okta")
    company.call(lambda db: tokens.revoke_token(db, company.subdomain, okta.id))
    client, _ = admin(company)
    text = text_of(client.get("/admin"))
    assert "Set up provisioning" in text and "All clear" not in text
    for step in ("To do SCIM enabled", "To do Token generated", "To do First sync received"):
        assert step in text, text
    assert "Optional Single sign-on configured" in text
    assert "Single sign-on Not set up" in text  # SSO status on the Overview
    client.post(f"{PAGE}/enable")
    made = client.post(f"{PAGE}/tokens", {"label": "Okta"})
    secret = SECRET.findall(client.get(made.headers["location"]).text)[0]
    text = text_of(client.get("/admin"))
    assert "Done SCIM enabled" in text and "Done Token generated" in text
    assert "To do First sync received" in text
    # The identity provider's first request: connected, all clear.
    first = httpx.get(
        f"{company.server.scim_url}/Users", headers={"Authorization": f"Bearer {secret}"}
    )
    assert first.status_code == 200
    text = text_of(client.get("/admin"))
    assert "Set up provisioning" not in text and "All clear" in text
    client.close()

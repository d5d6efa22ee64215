"""A site for the bad-input tests of the console and SSO: a company with SSO configured
(password sign-in still allowed), an admin signed in with a valid CSRF token, and one
of each thing the console's addresses name (a person, a group, an import, a token, a
log entry), so that every route can be sent input that reaches its checks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from roster.store.db import Database
from tests.support.console import PASSWORD, make_admin
from tests.support.console_client import ConsoleClient
from tests.support.harness import Company, LiveServer, make_company
from tests.support.routes import RouteInfo, tenant_rows
from tests.support.sso_flow import enable_sso


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


def open_site(server: LiveServer) -> Iterator[Site]:
    """The site, for a module-scoped fixture (`yield from open_site(server)`)."""
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

"""What every console page shares: rendering a page, the signed-in admin, CSRF, roles,
errors (the templates and their filters are rendering.py's).

Sessions are directory/sessions.py's (cookie `roster_session`: Secure, HttpOnly,
SameSite=Lax); the CSRF token belongs to the session and every POST must carry it, as
a form field or, from htmx, the X-CSRF-Token header. The company always comes from
the session, never from the URL, so one company's admin cannot reach another's data.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from roster import inputs
from roster.config import Settings
from roster.console.rendering import env
from roster.directory import reveals, sessions, tenancy
from roster.directory.admins import ConsoleUser, list_admins
from roster.directory.people import Actor
from roster.directory.sealing import Sealer
from roster.services import services
from roster.store.db import Database
from roster.store.tenants import Tenant

LOGIN_CSRF_COOKIE = "roster_login_csrf"
CSRF_HEADER = "x-csrf-token"


class ConsoleError(Exception):
    """A page that cannot be shown: rendered as an HTML error page."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


@dataclass(frozen=True)
class Console:
    """The signed-in admin and their company: every page gets this."""

    request: Request
    db: Database
    settings: Settings
    tenant: Tenant
    user: ConsoleUser
    session: sessions.Session

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token

    @property
    def base_url(self) -> str:
        """Where people reach this Roster: ROSTER_PUBLIC_URL, or the address asked."""
        if self.settings.public_url:
            return self.settings.public_url.rstrip("/")
        return f"{self.request.url.scheme}://{self.request.url.netloc}"

    @property
    def actor(self) -> Actor:
        return Actor(f"admin:{self.user.email}"[:100], self.request.state.request_id)

    def render(self, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        return render(self.request, template, status=status, console=self, **context)

    async def stash_secret(self, resource_type: str, resource_id: str, secret: str) -> str:
        """Keep a new secret for one showing in this browser session (POST, redirect,
        GET: directory/reveals.py); the ticket goes in the redirect as `reveal`."""
        return await reveals.stash(
            self.db,
            Sealer.for_settings(self.settings),
            self.tenant.id,
            resource_type=resource_type,
            resource_id=resource_id,
            secret=secret,
            bound_to=self.session.id,
        )

    async def take_secret(
        self, resource_type: str, resource_id: str, shown_action: str
    ) -> str | None:
        """The secret the address's `reveal` ticket stands for, the first time only."""
        ticket = self.request.query_params.get("reveal")
        if not ticket:
            return None
        return await reveals.reveal(
            self.db,
            Sealer.for_settings(self.settings),
            self.tenant.id,
            resource_type=resource_type,
            resource_id=resource_id,
            ticket=ticket,
            bound_to=self.session.id,
            actor=self.actor,
            shown_action=shown_action,
        )


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    html = env.get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _safe_next(url: str | None) -> str:
    if url and url.startswith("/admin") and not url.startswith("//") and "\\" not in url:
        return url
    return "/admin"


def set_session_cookie(response: Response, settings: Settings, value: str) -> None:
    response.set_cookie(
        sessions.COOKIE_NAME,
        value,
        max_age=int(sessions.LIFETIME.total_seconds()),
        path="/",
        secure=settings.cookie_secure,
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        sessions.COOKIE_NAME, path="/", secure=settings.cookie_secure, httponly=True, samesite="lax"
    )


_LOGIN_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,100}")


def login_csrf(request: Request) -> str:
    """The sign-in form's token: the browser's own when it is one Roster could have
    issued (it is echoed into the page and the cookie), else a new one."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return token if _LOGIN_TOKEN.fullmatch(token) else secrets.token_urlsafe(24)


def set_login_csrf(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path="/admin",
        secure=settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )


def same_origin(request: Request) -> bool:
    """A POST whose Origin (when the browser sends one) is this server."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    settings = services(request).settings
    allowed = {f"{request.url.scheme}://{request.url.netloc}"}
    if settings.public_url:
        allowed.add(settings.public_url.rstrip("/"))
    return origin.rstrip("/") in allowed


async def console(request: Request) -> Console:
    db = services(request).db
    settings = services(request).settings
    session = await sessions.load_session(db, request.cookies.get(sessions.COOKIE_NAME))
    next_url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    found = None if session is None else await tenancy.by_console_session(db, session)
    if session is None or found is None or not found[1].roles:
        raise LoginRequired(next_url)
    tenant, user = found
    request.state.tenant = tenant.subdomain
    # After the session check: a signed-out browser is sent to sign in, whatever the
    # address says.
    check_address(request)
    ctx = Console(request, db, settings, tenant, user, session)
    if not user.is_account_admin and not _integrations_area(request.url.path):
        raise await account_admin_needed(ctx)
    if request.method == "POST":
        submitted = request.headers.get(CSRF_HEADER)
        if submitted is None:
            form = await request.form()
            value = form.get("csrf_token")
            submitted = value if isinstance(value, str) else None
        if not same_origin(request) or not sessions.csrf_ok(session, submitted):
            raise ConsoleError(
                403,
                "This form has expired",
                "The page was open too long or came from another site. Go back, reload the "
                "page and try again.",
            )
    return ctx


# What an admin with Manage Integrations alone may open: the Overview, the
# integrations (SCIM, SSO, webhooks), the provisioning log and troubleshooting.
_INTEGRATIONS_AREA = re.compile(r"/admin(/logout|/(integrations|log|troubleshooting)(/.*)?)?/?")


def _integrations_area(path: str) -> bool:
    return _INTEGRATIONS_AREA.fullmatch(path) is not None


class AccessNeeded(ConsoleError):
    """A page the signed-in admin may not open: shown inside the console (its menu
    offers only what they can open), naming who can grant the access."""

    def __init__(self, ctx: Console, access: str, message: str, grantors: list[str]) -> None:
        super().__init__(403, f"{access} access needed", message)
        self.console = ctx
        self.access = access
        self.grantors = grantors


async def _grantors(ctx: Console) -> list[str]:
    """Who can grant a right: the company's other Account Admins."""
    return [
        a.email
        for a in await list_admins(ctx.db, ctx.tenant)
        if a.is_account_admin and a.id != ctx.user.id
    ]


async def account_admin_needed(ctx: Console) -> AccessNeeded:
    return AccessNeeded(
        ctx,
        "Account Admin",
        "People, groups, CSV import, custom attributes and the admins are for Account Admins.",
        await _grantors(ctx),
    )


async def account_console(request: Request) -> Console:
    ctx = await console(request)
    if not ctx.user.is_account_admin:
        raise await account_admin_needed(ctx)
    return ctx


async def integrations_console(request: Request) -> Console:
    ctx = await console(request)
    if not ctx.user.manages_integrations:
        raise AccessNeeded(
            ctx,
            "Manage Integrations",
            "SCIM, single sign-on, webhooks, the provisioning log and troubleshooting are "
            "for admins with Manage Integrations access.",
            await _grantors(ctx),
        )
    return ctx


Admin = Annotated[Console, Depends(console)]
IntegrationsAdmin = Annotated[Console, Depends(integrations_console)]
AccountAdmin = Annotated[Console, Depends(account_console)]


def _refusal(exc: inputs.InvalidInput) -> ConsoleError:
    return ConsoleError(exc.status, exc.title, exc.message)


def check_address(request: Request) -> None:
    """Every path segment and query value of a console page (inputs.py's rules)."""
    try:
        inputs.check_path(request.path_params)
        inputs.check_query(request.query_params.multi_items())
    except inputs.InvalidInput as exc:
        raise _refusal(exc) from None


def check_form(
    items: Iterable[tuple[str, str]], labels: dict[str, str] | None = None
) -> dict[str, str]:
    try:
        return inputs.check_form(items, labels)
    except inputs.InvalidInput as exc:
        raise _refusal(exc) from None


async def form_values(request: Request, labels: dict[str, str] | None = None) -> dict[str, str]:
    """The form's text fields, each checked; `labels` names this form's fields in the
    refusal."""
    form = await request.form()
    return check_form(((k, v) for k, v in form.multi_items() if isinstance(v, str)), labels)


def whole_number(value: str, label: str, **limits: Any) -> int | None:
    """inputs.integer() with its refusal as the console's error page."""
    try:
        return inputs.integer(value, label, **limits)
    except inputs.InvalidInput as exc:
        raise _refusal(exc) from None


def login_redirect(next_url: str) -> RedirectResponse:
    return redirect(f"/admin/login?next={quote(_safe_next(next_url), safe='')}")


def safe_next(url: str | None) -> str:
    return _safe_next(url)

"""What every console page shares: templates, the signed-in admin, CSRF, roles, errors.

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
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from roster import __version__, inputs
from roster.config import DEFAULT_COMPANY_EXTENSION, Settings
from roster.directory import reveals, sessions, tenancy
from roster.directory.admins import ConsoleUser, list_admins
from roster.directory.csv_columns import HIDDEN_FIELDS, field_labels
from roster.directory.people import Actor
from roster.directory.provisioning_log import last_seen
from roster.directory.sealing import Sealer
from roster.model.profile import profile_fields
from roster.model.registry import UserSchemas
from roster.scim.dialects import idp_name
from roster.services import services
from roster.store.db import Database
from roster.store.tenants import Tenant

HERE = Path(__file__).parent
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


def _fmt_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def _fmt_date(value: date | None) -> str:
    return value.isoformat() if value else "—"


def _person_name(p: dict[str, Any] | None) -> str:
    if not p:
        return "—"
    full = " ".join(x for x in (p.get("given_name"), p.get("family_name")) if x)
    return p.get("display_name") or full or p.get("user_name") or p.get("email") or "—"


env = Environment(
    loader=FileSystemLoader(str(HERE / "templates")),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["time"] = _fmt_time
env.filters["date"] = _fmt_date
env.filters["person_name"] = _person_name
env.filters["idp"] = idp_name
env.filters["ago"] = last_seen
env.filters["urlquote"] = lambda v: quote(str(v), safe="")
env.globals["version"] = __version__


def _change_text(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "∅"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_change_text(v.get("value") if isinstance(v, dict) else v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_change_text(v)}" for k, v in value.items())
    return str(value)


# What the person page calls each field ("Username", "Last name"), over the SCIM names
# the CSV import uses ("userName"); a custom attribute goes by its own name.
_CHANGE_LABELS: dict[str, str] = {
    **field_labels(UserSchemas(DEFAULT_COMPANY_EXTENSION)),
    **{f.field: f.label for f in profile_fields(UserSchemas(DEFAULT_COMPANY_EXTENSION))},
    "manager_pending": "Manager (pending)",
}


def changes_view(changes: Any) -> list[tuple[str, str]]:
    """An audit row's changes as (attribute, "old → new" or value) for people to read."""
    if not isinstance(changes, dict):
        return []
    labels = _CHANGE_LABELS
    out = []
    for key, value in changes.items():
        if key in HIDDEN_FIELDS:
            continue
        label = str(labels.get(key, key.removeprefix("custom:")))
        if isinstance(value, list) and len(value) == 2 and key not in ("added", "removed"):
            out.append((label, f"{_change_text(value[0])} → {_change_text(value[1])}"))
        else:
            out.append((label, _change_text(value)))
    return out


env.filters["changes"] = changes_view
_PERSON_IN_DETAIL = re.compile(
    r"person ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
)


def holder_id(detail: str | None) -> str | None:
    """The person a 409's detail names as holding the email or userName."""
    match = _PERSON_IN_DETAIL.search(detail or "")
    return match.group(1) if match else None


env.filters["holder"] = holder_id


def query(params: dict[str, Any], **changes: Any) -> str:
    """A query string with `changes` applied (None removes a key)."""
    merged = {**params, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


env.globals["query"] = query


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

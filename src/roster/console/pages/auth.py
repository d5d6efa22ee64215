"""Sign in and sign out."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from roster import inputs
from roster.console.web import (
    LOGIN_CSRF_COOKIE,
    Admin,
    check_address,
    clear_session_cookie,
    login_csrf,
    redirect,
    render,
    safe_next,
    same_origin,
    set_login_csrf,
    set_session_cookie,
)
from roster.directory import admins, sessions
from roster.services import services

router = APIRouter()


def _login_page(
    request: Request,
    *,
    company: str = "",
    email: str = "",
    next_url: str = "/admin",
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    settings = services(request).settings
    token = login_csrf(request)
    response = render(
        request,
        "login.html",
        status=status,
        company=company,
        email=email,
        next_url=safe_next(next_url),
        error=error,
        csrf_token=token,
    )
    set_login_csrf(response, settings, token)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _remembered_company(request: Request) -> str:
    """The company this browser last signed in to; a cookie that is not one Roster
    set is forgotten rather than refused."""
    value = request.cookies.get("roster_company", "")
    if inputs.problem(value, "company name", max_length=100):
        return ""
    return value


@router.get("/login")
async def login_form(request: Request, next: str = "/admin", company: str = "") -> Response:
    check_address(request)
    return _login_page(request, company=company or _remembered_company(request), next_url=next)


@router.post("/login")
async def login(request: Request) -> Response:
    db = services(request).db
    settings = services(request).settings
    fields = [(k, v) for k, v in (await request.form()).multi_items() if isinstance(v, str)]
    form = dict(fields)
    company = form.get("company", "").strip().lower()
    email = form.get("email", "").strip()
    next_url = safe_next(form.get("next"))
    try:
        inputs.check_form(fields)
    except inputs.InvalidInput as refused:
        # The page is shown again without the value refused (it cannot be shown as sent).
        return _login_page(
            request,
            company="" if inputs.problem(company, "", max_length=inputs.FORM_MAX) else company,
            email="" if inputs.problem(email, "", max_length=inputs.FORM_MAX) else email,
            next_url=next_url,
            error=refused.message,
            status=refused.status,
        )
    cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if (
        not same_origin(request)
        or not cookie_token
        or not sessions.same_token(cookie_token, form.get("csrf_token"))
    ):
        return _login_page(
            request,
            company=company,
            email=email,
            next_url=next_url,
            error="The sign-in form expired. Please try again.",
            status=400,
        )
    client_ip = request.client.host if request.client else "unknown"
    try:
        tenant, user = await admins.sign_in(
            db, company, email, form.get("password", ""), client_ip=client_ip
        )
    except admins.SignInRefused as refused:
        headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else None
        return _login_page(
            request,
            company=company,
            email=email,
            next_url=next_url,
            error=refused.message,
            status=429 if refused.retry_after else 401,
            headers=headers,
        )
    cookie, _session = await sessions.start_session(db, tenant.id, "console_user", user.id)
    response = redirect(next_url)
    set_session_cookie(response, settings, cookie)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/admin")
    response.set_cookie(
        "roster_company",
        tenant.subdomain,
        max_age=365 * 86400,
        path="/admin",
        secure=settings.cookie_secure,
        httponly=True,
        samesite="lax",
    )
    return response


@router.post("/logout")
async def logout(ctx: Admin) -> Response:
    await sessions.end_session(ctx.db, ctx.request.cookies.get(sessions.COOKIE_NAME))
    response = redirect("/admin/login?signed_out=1")
    clear_session_cookie(response, ctx.settings)
    return response

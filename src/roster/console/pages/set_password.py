"""The public page a one-time set-password link opens (an invitation or a password
reset, directory/admin_links.py): the admin chooses a password under the usual rules
and is signed in. A used, expired or unknown link gets a page that says so and what to
do. The form is protected like the sign-in form (a CSRF cookie, the Origin checked)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from roster import inputs
from roster.console.forms import sentence
from roster.console.web import (
    LOGIN_CSRF_COOKIE,
    check_address,
    login_csrf,
    redirect,
    render,
    same_origin,
    set_login_csrf,
    set_session_cookie,
)
from roster.directory import admin_links, sessions
from roster.model.errors import DirectoryError
from roster.services import services

router = APIRouter()


def _unusable(request: Request, reason: str) -> Response:
    return render(
        request,
        "admins/link_unusable.html",
        status=410 if reason in ("used", "expired") else 404,
        message=admin_links.unusable_message(reason),
    )


def _form(
    request: Request,
    holder: admin_links.LinkHolder,
    token: str,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    csrf = login_csrf(request)
    response = render(
        request,
        "admins/set_password.html",
        status=status,
        holder=holder,
        token=token,
        error=error,
        csrf_token=csrf,
    )
    set_login_csrf(response, services(request).settings, csrf)
    return response


@router.get("/set-password")
async def set_password_form(request: Request, token: str = "") -> Response:
    check_address(request)
    try:
        holder = await admin_links.open_link(services(request).db, token)
    except admin_links.LinkUnusable as exc:
        return _unusable(request, exc.reason)
    return _form(request, holder, token)


@router.post("/set-password")
async def set_password(request: Request) -> Response:
    db = services(request).db
    settings = services(request).settings
    fields = [(k, v) for k, v in (await request.form()).multi_items() if isinstance(v, str)]
    form = dict(fields)
    token = form.get("token", "")
    try:
        holder = await admin_links.open_link(db, token)
    except admin_links.LinkUnusable as exc:
        return _unusable(request, exc.reason)
    try:
        inputs.check_form([(k, v) for k, v in fields if k not in ("password", "confirm")])
    except inputs.InvalidInput as refused:
        return _form(request, holder, token, error=refused.message, status=refused.status)
    cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if (
        not same_origin(request)
        or not cookie_token
        or not sessions.same_token(cookie_token, form.get("csrf_token"))
    ):
        return _form(
            request, holder, token, error="The form expired. Please try again.", status=400
        )
    password = form.get("password", "")
    if password != form.get("confirm", ""):
        return _form(
            request,
            holder,
            token,
            error="The two passwords are not the same: type the same password twice.",
            status=400,
        )
    try:
        holder = await admin_links.set_password(db, token, password)
    except admin_links.LinkUnusable as exc:
        return _unusable(request, exc.reason)
    except DirectoryError as exc:
        return _form(request, holder, token, error=sentence(exc.message), status=400)
    refusal = await admin_links.password_sign_in_refusal(db, holder)
    if refusal:
        # The password is set (for when password sign-in is allowed again); SSO signs in.
        return redirect(f"/admin/login?company={holder.tenant.subdomain}")
    cookie, _session = await sessions.start_session(
        db, holder.tenant.id, "console_user", holder.user.id
    )
    response = redirect("/admin?done=password")
    set_session_cookie(response, settings, cookie)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/admin")
    return response

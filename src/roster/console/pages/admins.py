"""Admins: the company's console admins, for Account Admins only: list, invite, change
roles, reset a password, unlock, remove. The rules are directory/admin_team.py's, the
same `roster admin ...` runs.

A new set-password link is shown after a redirect (POST, redirect, GET) from the
one-time stash bound to this browser session (directory/reveals.py, as SCIM tokens and
webhook secrets are): a reload neither invites again nor shows the link again.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from roster.console.forms import sentence
from roster.console.rendering import query
from roster.console.web import AccountAdmin, Console, ConsoleError, form_values, redirect
from roster.directory import admin_links, admin_team
from roster.directory.admins import ROLES
from roster.model.errors import DirectoryError

router = APIRouter()
BASE = "/admin/admins"
LINK = "AdminLink"  # what a stashed set-password link belongs to
FORM_LABELS = {"email": "email", "name": "name", "role": "roles"}
DONE = {
    "invited": "Admin invited. Give them the link below: it sets their password.",
    "reset": "Password reset. The old password no longer works and their sessions ended.",
    "roles": "Roles saved.",
    "unlocked": "Sign-in unlocked. They can try their password again.",
    "not_locked": "They were not locked out: nothing changed.",
    "removed": "Admin removed. Their sessions ended.",
}
STATUS_CODES = {"invalid": 400, "conflict": 409, "not_found": 404}
BADGES = {
    "active": "green",
    "locked": "red",
    "invited": "blue",
    "reset": "blue",
    "invite_expired": "amber",
    "reset_expired": "amber",
    "no_password": "gray",
}


async def _list_page(
    ctx: Console,
    *,
    status: int = 200,
    error: str | None = None,
    field: str | None = None,
    values: dict[str, object] | None = None,
) -> Response:
    views = await admin_team.list_admins(ctx.db, ctx.tenant.subdomain)
    return ctx.render(
        "admins/list.html",
        status=status,
        nav="admins",
        views=views,
        badges=BADGES,
        roles=ROLES,
        error=error,
        field=field,
        values=values or {"email": "", "name": "", "roles": ["account_admin"]},
        done=DONE.get(ctx.request.query_params.get("done", "")) if status == 200 else None,
        lifetime_hours=int(admin_links.LIFETIME.total_seconds() // 3600),
    )


@router.get("/admins")
async def admins_page(ctx: AccountAdmin) -> Response:
    return await _list_page(ctx)


@router.post("/admins")
async def admin_invite(ctx: AccountAdmin) -> Response:
    raw = await ctx.request.form()
    chosen = [v for k, v in raw.multi_items() if k == "role" and isinstance(v, str)]
    kept: dict[str, object] = {
        "email": str(raw.get("email") or "")[:320],
        "name": str(raw.get("name") or "")[:200],
        "roles": chosen,
    }
    try:
        await form_values(ctx.request, FORM_LABELS)
        user, link = await admin_team.invite_admin(
            ctx.db,
            ctx.tenant.subdomain,
            str(kept["email"]),
            chosen,
            name=str(kept["name"]),
            actor=ctx.actor,
        )
    except ConsoleError as exc:
        return await _list_page(ctx, status=400, error=exc.message, field="email", values=kept)
    except DirectoryError as exc:
        field = exc.attribute if exc.attribute in ("email", "name", "roles") else "email"
        return await _list_page(
            ctx,
            status=STATUS_CODES.get(exc.kind, 400),
            error=sentence(exc.message),
            field=field,
            values=kept,
        )
    return await _reveal_redirect(ctx, user.id, link, "invited")


async def _reveal_redirect(
    ctx: Console, admin_id: str, link: admin_links.IssuedLink, done: str
) -> Response:
    ticket = await ctx.stash_secret(LINK, link.id, link.token)
    return redirect(f"{BASE}/{admin_id}?{query({}, done=done, link=link.id, reveal=ticket)}")


async def _detail_page(
    ctx: Console, admin_id: str, *, status: int = 200, error: str | None = None
) -> Response:
    params = ctx.request.query_params
    try:
        view = await admin_team.get_admin(ctx.db, ctx.tenant.subdomain, admin_id)
    except DirectoryError as exc:
        raise ConsoleError(404, "Admin not found", sentence(exc.message)) from None
    link_url: str | None = None
    reveal, link_id = params.get("reveal", ""), params.get("link", "")
    if reveal and link_id and status == 200:
        token = await ctx.take_secret(LINK, link_id, "admin.link_shown")
        link_url = admin_links.link_url(ctx.base_url, token) if token else None
    done = params.get("done", "")
    return ctx.render(
        "admins/detail.html",
        status=status,
        nav="admins",
        view=view,
        admin=view.user,
        badges=BADGES,
        roles=ROLES,
        is_self=view.user.id == ctx.user.id,
        link_url=link_url,
        reveal=bool(reveal),
        invited=done == "invited",
        done=DONE.get(done) if status == 200 else None,
        error=error,
    )


@router.get("/admins/{admin_id}")
async def admin_page(admin_id: str, ctx: AccountAdmin) -> Response:
    return await _detail_page(ctx, admin_id)


def _refused(exc: DirectoryError) -> ConsoleError | None:
    if exc.kind == "not_found":
        return ConsoleError(404, "Admin not found", sentence(exc.message))
    return None


async def _refused_in_place(ctx: Console, admin_id: str, exc: DirectoryError) -> Response:
    """A refused change of an admin: their page with the reason (404 if they are gone)."""
    refused = _refused(exc)
    if refused:
        raise refused from None
    status = STATUS_CODES.get(exc.kind, 400)
    return await _detail_page(ctx, admin_id, status=status, error=sentence(exc.message))


@router.post("/admins/{admin_id}/roles")
async def admin_roles(admin_id: str, ctx: AccountAdmin) -> Response:
    raw = await ctx.request.form()
    chosen = [v for k, v in raw.multi_items() if k == "role" and isinstance(v, str)]
    try:
        await form_values(ctx.request, FORM_LABELS)
        user = await admin_team.set_roles(
            ctx.db, ctx.tenant.subdomain, admin_id, chosen, actor=ctx.actor
        )
    except ConsoleError as exc:
        return await _detail_page(ctx, admin_id, status=400, error=exc.message)
    except DirectoryError as exc:
        return await _refused_in_place(ctx, admin_id, exc)
    if user.id == ctx.user.id and not user.is_account_admin:
        return redirect("/admin?done=roles")  # the Admins page is no longer theirs
    return redirect(f"{BASE}/{admin_id}?done=roles")


@router.post("/admins/{admin_id}/reset")
async def admin_reset(admin_id: str, ctx: AccountAdmin) -> Response:
    try:
        _user, link = await admin_team.reset_password(
            ctx.db, ctx.tenant.subdomain, admin_id, actor=ctx.actor
        )
    except DirectoryError as exc:
        return await _refused_in_place(ctx, admin_id, exc)
    if admin_id == ctx.user.id:
        # Their own session has just ended: the link is theirs to use now.
        return redirect(admin_links.link_path(link.token))
    return await _reveal_redirect(ctx, admin_id, link, "reset")


@router.post("/admins/{admin_id}/unlock")
async def admin_unlock(admin_id: str, ctx: AccountAdmin) -> Response:
    try:
        unlocked = await admin_team.unlock_admin(
            ctx.db, ctx.tenant.subdomain, admin_id, actor=ctx.actor
        )
    except DirectoryError as exc:
        raise (_refused(exc) or ConsoleError(400, "Not unlocked", exc.message)) from None
    return redirect(f"{BASE}/{admin_id}?done={'unlocked' if unlocked else 'not_locked'}")


@router.get("/admins/{admin_id}/remove")
async def admin_remove_confirm(admin_id: str, ctx: AccountAdmin) -> Response:
    try:
        view = await admin_team.get_admin(ctx.db, ctx.tenant.subdomain, admin_id)
    except DirectoryError as exc:
        raise ConsoleError(404, "Admin not found", sentence(exc.message)) from None
    return ctx.render(
        "admins/remove.html", nav="admins", admin=view.user, is_self=admin_id == ctx.user.id
    )


@router.post("/admins/{admin_id}/remove")
async def admin_remove(admin_id: str, ctx: AccountAdmin) -> Response:
    try:
        await admin_team.remove_admin(ctx.db, ctx.tenant.subdomain, admin_id, actor=ctx.actor)
    except DirectoryError as exc:
        return await _refused_in_place(ctx, admin_id, exc)
    if admin_id == ctx.user.id:
        return redirect("/admin/login?signed_out=1")
    return redirect(f"{BASE}?done=removed")

"""Integrations: the list, and SCIM 2.0 (enable, tokens, company settings).

SCIM is turned on by one button and off by another behind a confirmation; a banner
says what changed, and only when something did. A new token is shown after a
redirect (POST, redirect, GET) from the one-time stash the webhook secrets use
(directory/reveals.py), so a reload neither mints a second token nor shows it again.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from roster.console.forms import kept_form, sentence
from roster.console.rendering import query
from roster.console.web import (
    Admin,
    ConsoleError,
    IntegrationsAdmin,
    form_values,
    redirect,
)
from roster.directory import sso, tenants, tokens
from roster.model.errors import DirectoryError
from roster.store.tenants import DEFAULT_SETTINGS, TokenRecord

router = APIRouter()
PAGE = "/admin/integrations/scim"
TOKEN = "Token"  # noqa: S105 - the audit trail's resource type for SCIM tokens
TOKEN_SHOWN = "scim.token_shown"  # noqa: S105 - an audit action
DEFAULT_LABEL = "Okta"
DONE = {
    "enabled": "SCIM is enabled. Follow the steps below to connect your identity provider.",
    "disabled": "SCIM is disabled. Your identity provider's requests are refused until you "
    "enable it again; people can be added by hand and by CSV.",
    "token": "Token generated.",
    "revoked": "Token revoked. Requests that use it are refused from now on.",
    "settings": "Settings saved.",
}

SETTINGS = (
    (
        "sync_managers",
        "Sync managers",
        "Set each person's manager from the identity provider (email, employee number, "
        "Roster user id or SCIM id). A manager not yet in Roster is linked when they arrive.",
    ),
    (
        "reassign_reporters",
        "Reassign reporters",
        "When a manager is deactivated, move their direct reports to the manager's manager.",
    ),
    (
        "link_existing_people",
        "Link existing people on create",
        "When the identity provider creates someone who is already in Roster (same email), "
        "link that person instead of refusing with 'email already in use'.",
    ),
    (
        "accept_idp_passwords",
        "Accept passwords from the identity provider",
        "Store the password the identity provider sends, for people who sign in with a "
        "password. Off: it is discarded and never stored (the provisioning log says so). "
        "Cannot be on while SSO is on: with SSO, passwords are not synced.",
    ),
    (
        "send_welcome_email",
        "Send welcome email",
        "Email people created by the identity provider an invitation (held until their "
        "start date, if it is in the future).",
    ),
)


@router.get("/integrations")
async def integrations(ctx: Admin) -> Response:
    sso_settings = await sso.get_settings(ctx.db, ctx.tenant)
    return ctx.render("integrations.html", nav="integrations", sso=sso_settings)


async def _scim_page(
    ctx: Admin,
    *,
    error: str | None = None,
    field: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    tenant = await tenants.get_tenant(ctx.db, ctx.tenant.subdomain)
    token_list = await tokens.list_tokens(ctx.db, tenant.subdomain)
    params = ctx.request.query_params
    new_token: str | None = None
    new_record: TokenRecord | None = None
    shown_id = params.get("token", "")
    if status == 200 and shown_id and params.get("reveal"):
        new_record = next((t for t in token_list if t.id == shown_id), None)
        if new_record is not None and new_record.revoked_at is None:
            new_token = await ctx.take_secret(TOKEN, shown_id, TOKEN_SHOWN)
    done = params.get("done", "") if status == 200 else ""
    return ctx.render(
        "scim.html",
        status=status,
        nav="integrations",
        tenant=tenant,
        tokens=sorted(token_list, key=lambda t: (t.revoked_at is not None, t.created_at)),
        live=sum(1 for t in token_list if t.revoked_at is None),
        settings_list=[
            (k, label, help_text, tenant.setting(k)) for k, label, help_text in SETTINGS
        ],
        base_url=f"{ctx.base_url}/scim/v2",
        urn=ctx.settings.company_extension_urn,
        new_token=new_token,
        new_record=new_record,
        reveal_missed=bool(params.get("reveal")) and new_token is None and status == 200,
        error=error,
        field=field,
        values=values or {"label": DEFAULT_LABEL},
        done=DONE.get(done),
        unchanged=done == "unchanged",
    )


@router.get("/integrations/scim")
async def scim_page(ctx: IntegrationsAdmin) -> Response:
    return await _scim_page(ctx)


@router.post("/integrations/scim/enable")
async def scim_enable(ctx: IntegrationsAdmin) -> Response:
    await form_values(ctx.request)
    if ctx.tenant.scim_enabled:
        return redirect(PAGE)  # nothing happened: no banner
    await tenants.set_scim_enabled(ctx.db, ctx.tenant.subdomain, True, actor=ctx.actor)
    return redirect(f"{PAGE}?done=enabled#setup-h")


@router.get("/integrations/scim/disable")
async def scim_disable_confirm(ctx: IntegrationsAdmin) -> Response:
    if not ctx.tenant.scim_enabled:
        return redirect(PAGE)
    token_list = await tokens.list_tokens(ctx.db, ctx.tenant.subdomain)
    return ctx.render(
        "scim_disable.html",
        nav="integrations",
        live=[t for t in token_list if t.revoked_at is None],
    )


@router.post("/integrations/scim/disable")
async def scim_disable(ctx: IntegrationsAdmin) -> Response:
    await form_values(ctx.request)
    if not ctx.tenant.scim_enabled:
        return redirect(PAGE)
    await tenants.set_scim_enabled(ctx.db, ctx.tenant.subdomain, False, actor=ctx.actor)
    return redirect(f"{PAGE}?done=disabled")


@router.post("/integrations/scim/settings")
async def scim_settings(ctx: IntegrationsAdmin) -> Response:
    try:
        form = await form_values(ctx.request)
    except ConsoleError as exc:
        return await _scim_page(ctx, error=exc.message, status=400)
    changes = {key: form.get(key) == "on" for key, _, _ in SETTINGS if key in DEFAULT_SETTINGS}
    before = {key: ctx.tenant.setting(key) for key in changes}
    if changes == before:
        return redirect(f"{PAGE}?done=unchanged#settings-h")
    try:
        await tenants.update_settings(ctx.db, ctx.tenant.subdomain, ctx.actor, **changes)
    except DirectoryError as exc:
        return await _scim_page(ctx, error=sentence(exc.message), field="settings", status=400)
    return redirect(f"{PAGE}?done=settings#settings-h")


@router.post("/integrations/scim/tokens")
async def token_create(ctx: IntegrationsAdmin) -> Response:
    kept = await kept_form(ctx.request, "label")
    try:
        form = await form_values(ctx.request, {"label": "token label"})
        label = form.get("label", "").strip() or DEFAULT_LABEL
        token_id, secret = await tokens.create_token(
            ctx.db, ctx.tenant.subdomain, label, actor=ctx.actor
        )
    except (ConsoleError, DirectoryError) as exc:
        return await _scim_page(
            ctx, error=sentence(exc.message), field="label", values=kept, status=400
        )
    ticket = await ctx.stash_secret(TOKEN, token_id, secret)
    return redirect(f"{PAGE}?{query({}, done='token', token=token_id, reveal=ticket)}#new-token-h")


async def _live_token(ctx: Admin, token_id: str) -> TokenRecord:
    found = next(
        (
            t
            for t in await tokens.list_tokens(ctx.db, ctx.tenant.subdomain)
            if t.id == token_id and t.revoked_at is None
        ),
        None,
    )
    if found is None:
        raise ConsoleError(
            404,
            "Token not found",
            "No such active token in your company: it may have been revoked already.",
        )
    return found


@router.get("/integrations/scim/tokens/{token_id}/revoke")
async def token_revoke_confirm(token_id: str, ctx: IntegrationsAdmin) -> Response:
    token = await _live_token(ctx, token_id)
    live = sum(
        1 for t in await tokens.list_tokens(ctx.db, ctx.tenant.subdomain) if not t.revoked_at
    )
    return ctx.render("scim_revoke.html", nav="integrations", token=token, live=live)


@router.post("/integrations/scim/tokens/{token_id}/revoke")
async def token_revoke(token_id: str, ctx: IntegrationsAdmin) -> Response:
    await form_values(ctx.request)
    try:
        await tokens.revoke_token(ctx.db, ctx.tenant.subdomain, token_id, actor=ctx.actor)
    except DirectoryError:
        await _live_token(ctx, token_id)  # the 404 page that says why
        raise
    return redirect(f"{PAGE}?done=revoked")

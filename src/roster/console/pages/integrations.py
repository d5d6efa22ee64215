"""Integrations: the list, and SCIM 2.0 (enable, tokens, company settings)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from roster.console.web import Admin, IntegrationsAdmin, form_values, redirect
from roster.directory import sso, tenants, tokens
from roster.model.errors import DirectoryError
from roster.store.tenants import DEFAULT_SETTINGS

router = APIRouter()

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


def scim_base_url(ctx: Admin) -> str:
    if ctx.settings.public_url:
        return ctx.settings.public_url.rstrip("/") + "/scim/v2"
    url = ctx.request.url
    return f"{url.scheme}://{url.netloc}/scim/v2"


@router.get("/integrations")
async def integrations(ctx: Admin) -> Response:
    sso_settings = await sso.get_settings(ctx.db, ctx.tenant)
    return ctx.render("integrations.html", nav="integrations", sso=sso_settings)


async def _scim_page(
    ctx: Admin, *, new_token: str | None = None, error: str | None = None, status: int = 200
) -> Response:
    tenant = await tenants.get_tenant(ctx.db, ctx.tenant.subdomain)
    token_list = await tokens.list_tokens(ctx.db, tenant.subdomain)
    return ctx.render(
        "scim.html",
        status=status,
        nav="integrations",
        tenant=tenant,
        tokens=sorted(
            token_list, key=lambda t: (t.revoked_at is not None, t.created_at), reverse=False
        ),
        settings_list=[
            (k, label, help_text, tenant.setting(k)) for k, label, help_text in SETTINGS
        ],
        base_url=scim_base_url(ctx),
        urn=ctx.settings.company_extension_urn,
        new_token=new_token,
        error=error,
        notice=ctx.request.query_params.get("done"),
    )


@router.get("/integrations/scim")
async def scim_page(ctx: IntegrationsAdmin) -> Response:
    return await _scim_page(ctx)


@router.post("/integrations/scim/enable")
async def scim_enable(ctx: IntegrationsAdmin) -> Response:
    form = await form_values(ctx.request)
    enabled = form.get("enabled") == "on"
    await tenants.set_scim_enabled(ctx.db, ctx.tenant.subdomain, enabled, actor=ctx.actor)
    return redirect(f"/admin/integrations/scim?done={'enabled' if enabled else 'disabled'}")


@router.post("/integrations/scim/settings")
async def scim_settings(ctx: IntegrationsAdmin) -> Response:
    form = await form_values(ctx.request)
    changes = {key: form.get(key) == "on" for key, _, _ in SETTINGS if key in DEFAULT_SETTINGS}
    try:
        await tenants.update_settings(ctx.db, ctx.tenant.subdomain, ctx.actor, **changes)
    except DirectoryError as exc:
        return await _scim_page(ctx, error=exc.message, status=400)
    return redirect("/admin/integrations/scim?done=settings")


@router.post("/integrations/scim/tokens")
async def token_create(ctx: IntegrationsAdmin) -> Response:
    form = await form_values(ctx.request)
    label = form.get("label", "").strip() or "Okta"
    try:
        _token_id, secret = await tokens.create_token(
            ctx.db, ctx.tenant.subdomain, label, actor=ctx.actor
        )
    except DirectoryError as exc:
        return await _scim_page(ctx, error=exc.message, status=400)
    # Rendered, not redirected: the secret is shown once and never travels in a URL.
    return await _scim_page(ctx, new_token=secret)


@router.post("/integrations/scim/tokens/{token_id}/revoke")
async def token_revoke(token_id: str, ctx: IntegrationsAdmin) -> Response:
    try:
        await tokens.revoke_token(ctx.db, ctx.tenant.subdomain, token_id, actor=ctx.actor)
    except DirectoryError as exc:
        return await _scim_page(ctx, error=exc.message, status=404)
    return redirect("/admin/integrations/scim?done=revoked")

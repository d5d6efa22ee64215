"""SAML Single Sign-On: Roster's SP values for the IdP, the IdP's metadata and
certificates, the toggles, and break-glass admins. The rules are directory/sso.py's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.datastructures import UploadFile
from starlette.responses import Response

from roster.console.forms import kept, sentence
from roster.console.web import (
    ConsoleError,
    IntegrationsAdmin,
    check_form,
    form_values,
    redirect,
)
from roster.directory import admins, sso
from roster.model.errors import DirectoryError
from roster.sso.saml import SpUrls

router = APIRouter()


def _base(ctx: IntegrationsAdmin) -> str:
    if ctx.settings.public_url:
        return ctx.settings.public_url.rstrip("/")
    return f"{ctx.request.url.scheme}://{ctx.request.url.netloc}"


async def _page(
    ctx: IntegrationsAdmin,
    *,
    error: str | None = None,
    field: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    settings = await sso.get_settings(ctx.db, ctx.tenant)
    certificates: list[Any] = []
    for pem in settings.idp_certificates:
        try:
            certificates.append(sso.certificate_info(pem))
        except Exception:  # a certificate stored by an older version: show it as unreadable
            certificates.append(None)
    return ctx.render(
        "sso.html",
        status=status,
        nav="integrations",
        sso=settings,
        urls=SpUrls.for_company(_base(ctx), ctx.tenant.subdomain),
        certificates=certificates,
        admins=await admins.list_admins(ctx.db, ctx.tenant),
        error=sentence(error) if error else None,
        field=field,
        values=values or {},
        notice=ctx.request.query_params.get("done") if status == 200 else None,
    )


@router.get("/integrations/sso")
async def sso_page(ctx: IntegrationsAdmin) -> Response:
    return await _page(ctx)


@router.post("/integrations/sso/metadata")
async def sso_metadata(ctx: IntegrationsAdmin) -> Response:
    form = await ctx.request.form()
    text = form.get("metadata_xml")
    values = {"metadata_xml": text[: sso.MAX_METADATA_BYTES] if isinstance(text, str) else ""}
    try:
        check_form((k, v) for k, v in form.multi_items() if isinstance(v, str))
    except ConsoleError as exc:
        values["metadata_xml"] = kept(values["metadata_xml"])
        return await _page(ctx, error=exc.message, field="metadata", values=values, status=400)
    xml: str | bytes = ""
    upload = form.get("metadata_file")
    if isinstance(upload, UploadFile) and upload.filename:
        xml = await upload.read(sso.MAX_METADATA_BYTES + 1)
    if not xml and isinstance(text, str):
        xml = text.strip()
    if not xml:
        return await _page(
            ctx,
            error="Paste the identity provider's metadata XML or choose its file.",
            field="metadata",
            values=values,
            status=400,
        )
    try:
        await sso.configure_idp(
            ctx.db,
            ctx.tenant,
            xml,
            keep_certificates=form.get("keep_certificates") == "on",
            actor=ctx.actor.name,
        )
    except DirectoryError as exc:
        return await _page(ctx, error=exc.message, field="metadata", values=values, status=400)
    return redirect("/admin/integrations/sso?done=metadata")


TOGGLES = ("enabled", "allow_password_signin", "allow_idp_initiated", "allow_jit")


@router.post("/integrations/sso/settings")
async def sso_settings(ctx: IntegrationsAdmin) -> Response:
    raw = await ctx.request.form()
    # The switches as they were sent, so that a refusal shows what was asked.
    asked = {k: "on" if raw.get(k) == "on" else "" for k in TOGGLES}
    asked["nameid"] = kept(str(raw.get("nameid") or ""))
    try:
        form = await form_values(ctx.request)
        await sso.update_toggles(
            ctx.db,
            ctx.tenant,
            enabled=form.get("enabled") == "on",
            allow_password_signin=form.get("allow_password_signin") == "on",
            allow_idp_initiated=form.get("allow_idp_initiated") == "on",
            allow_jit=form.get("allow_jit") == "on",
            nameid=form.get("nameid") or None,
            actor=ctx.actor.name,
        )
    except (ConsoleError, DirectoryError) as exc:
        return await _page(ctx, error=exc.message, field="settings", values=asked, status=400)
    return redirect("/admin/integrations/sso?done=settings")


@router.post("/integrations/sso/certificates/remove")
async def sso_certificate_remove(ctx: IntegrationsAdmin) -> Response:
    try:
        form = await form_values(ctx.request)
        await sso.remove_certificate(
            ctx.db, ctx.tenant, form.get("fingerprint", ""), actor=ctx.actor.name
        )
    except (ConsoleError, DirectoryError) as exc:
        return await _page(ctx, error=exc.message, field="certificates", status=400)
    return redirect("/admin/integrations/sso?done=certificate")


@router.post("/integrations/sso/break-glass")
async def sso_break_glass(ctx: IntegrationsAdmin) -> Response:
    try:
        form = await form_values(ctx.request)
        await sso.set_break_glass(
            ctx.db,
            ctx.tenant,
            form.get("email", ""),
            form.get("break_glass") == "on",
            actor=ctx.actor.name,
        )
    except (ConsoleError, DirectoryError) as exc:
        return await _page(ctx, error=exc.message, field="break_glass", status=400)
    return redirect("/admin/integrations/sso?done=break_glass")

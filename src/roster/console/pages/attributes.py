"""Custom attributes: define and retire; the schema URN and Okta's External namespace
to use are shown beside them."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from roster.console.forms import kept_form, sentence
from roster.console.web import Admin, ConsoleError, form_values, redirect
from roster.directory import attributes
from roster.model.errors import DirectoryError
from roster.model.registry import CUSTOM_TYPES

router = APIRouter()


async def _page(
    ctx: Admin,
    *,
    error: str | None = None,
    field: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return ctx.render(
        "attributes.html",
        status=status,
        nav="attributes",
        attributes=await attributes.list_attributes(ctx.db, ctx.tenant),
        types=list(CUSTOM_TYPES),
        urn=ctx.settings.company_extension_urn,
        error=error,
        field=field,
        values=values or {"name": "custom"},
        notice=ctx.request.query_params.get("done") if status == 200 else None,
    )


@router.get("/attributes")
async def attributes_page(ctx: Admin) -> Response:
    return await _page(ctx)


@router.post("/attributes")
async def attribute_define(ctx: Admin) -> Response:
    kept = await kept_form(ctx.request, "name", "type")
    try:
        form = await form_values(ctx.request, {"name": "attribute name", "type": "attribute type"})
        await attributes.define(
            ctx.db, ctx.tenant, form.get("name", ""), form.get("type", "string"), actor=ctx.actor
        )
    except (ConsoleError, DirectoryError) as exc:
        return await _page(ctx, error=sentence(exc.message), field="name", values=kept, status=400)
    return redirect("/admin/attributes?done=defined")


@router.post("/attributes/{name}/retire")
async def attribute_retire(name: str, ctx: Admin) -> Response:
    try:
        await attributes.retire(ctx.db, ctx.tenant, name, actor=ctx.actor)
    except DirectoryError as exc:
        return await _page(ctx, error=sentence(exc.message), status=400)
    return redirect("/admin/attributes?done=retired")

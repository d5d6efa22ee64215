"""Manage People's "Export CSV": the view on screen (its filters and sort), every
matching person, streamed batch by batch."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response, StreamingResponse

from roster.console.pages.people import people_view
from roster.console.web import Admin
from roster.directory import people_export, tenants
from roster.model.registry import UserSchemas
from roster.store.types import utcnow

router = APIRouter()


# Declared before /people/{person_id} (this router is included first): not a person id.
@router.get("/people/export.csv")
async def people_export_csv(ctx: Admin) -> Response:
    view = people_view(ctx)
    schemas = UserSchemas(ctx.settings.company_extension_urn, tenants.custom_attributes(ctx.tenant))
    name = people_export.filename(ctx.tenant, utcnow().date())
    return StreamingResponse(
        people_export.export_lines(ctx.db, ctx.tenant, view, schemas),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )

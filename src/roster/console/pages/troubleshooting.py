"""Troubleshooting: each common failure, found in this company's data and log, with the fix."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from roster.console.web import IntegrationsAdmin
from roster.directory import troubleshoot
from roster.services import services

router = APIRouter()


@router.get("/troubleshooting")
async def troubleshooting_page(ctx: IntegrationsAdmin) -> Response:
    await services(ctx.request).flush_provisioning_log()
    findings = await troubleshoot.diagnose(ctx.db, ctx.tenant)
    return ctx.render(
        "troubleshooting.html",
        nav="troubleshooting",
        findings=findings,
        urn=ctx.settings.company_extension_urn,
    )

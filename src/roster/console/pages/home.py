"""The overview page, and the console's 404."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from roster.console.web import Admin, ConsoleError
from roster.directory import provisioning_log, troubleshoot
from roster.store import people_browse
from roster.store import tenants as tenant_store

fallback = APIRouter()


async def overview(ctx: Admin) -> Response:
    async with ctx.db.read() as conn:
        counts = {
            name: await people_browse.count(conn, people_browse.conditions(ctx.tenant.id, **f))
            for name, f in {
                "active": {"status": "active"},
                "deactivated": {"status": "deactivated"},
                "unlinked": {"status": "active", "linked": "no"},
            }.items()
        }
        tokens = [
            t for t in await tenant_store.list_tokens(conn, ctx.tenant.id) if not t.revoked_at
        ]
    summary = None
    findings = []
    if ctx.user.manages_integrations:
        writer = getattr(ctx.request.app.state, "provisioning_log", None)
        if writer is not None:
            await writer.flush()
        summary = await provisioning_log.recent_summary(ctx.db, ctx.tenant)
        findings = [
            f for f in await troubleshoot.diagnose(ctx.db, ctx.tenant) if f.severity != "ok"
        ]
    return ctx.render(
        "overview.html",
        nav="overview",
        counts=counts,
        tokens=tokens,
        summary=summary,
        findings=findings,
    )


@fallback.get("/{path:path}")
async def not_found(request: Request, path: str) -> Response:
    raise ConsoleError(404, "Page not found", f"There is no console page at /admin/{path}.")

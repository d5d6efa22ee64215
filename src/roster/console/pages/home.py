"""The overview page, and the console's 404 and 405."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from roster import inputs
from roster.console.web import Admin, ConsoleError, render
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


def _unserved(request: Request) -> Response:
    """A console address nothing serves with this method: the console's 405 or 404
    page, never the SCIM JSON the app answers for other paths."""
    path = request.url.path
    catch_alls = (not_found, overview_other_methods)
    allowed = sorted(inputs.served_methods(request.app.routes, path, besides=catch_alls))
    if allowed:
        response = render(
            request,
            "error.html",
            status=405,
            title="Not available this way",
            message=f"{path} does not take a {request.method} request; open it from the "
            "console's pages instead.",
        )
        response.headers["Allow"] = ", ".join(allowed)
        return response
    raise ConsoleError(404, "Page not found", f"There is no console page at {path}.")


OTHER_METHODS = ["HEAD", "POST", "PUT", "PATCH", "DELETE"]


async def overview_other_methods(request: Request) -> Response:
    return _unserved(request)


@fallback.api_route("/{path:anypath}", methods=["GET", *OTHER_METHODS])
async def not_found(request: Request, path: str) -> Response:
    del path  # the request's own path, as normalised, is the one named
    return _unserved(request)

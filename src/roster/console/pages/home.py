"""The overview page, and the console's 404 and 405.

A company not yet connected sees a setup checklist (SCIM enabled, a token generated,
single sign-on configured, a first request from the identity provider) where a
connected one sees "All clear"."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from roster import inputs
from roster.console import charts
from roster.console.web import Admin, render
from roster.directory import browse, provisioning_log, sso, troubleshoot
from roster.services import services

fallback = APIRouter()


@dataclass(frozen=True)
class Step:
    """One line of the setup checklist."""

    done: bool
    label: str
    todo: str  # what to do while it is not done
    href: str  # where that is done (shown only to admins who may open it)
    required: bool = True  # single sign-on is not: a company may sign in with passwords


async def overview(ctx: Admin) -> Response:
    at_a_glance = await browse.overview(ctx.db, ctx.tenant)
    sso_settings = await sso.get_settings(ctx.db, ctx.tenant)
    summary = None
    activity = None
    findings = []
    if ctx.user.manages_integrations:
        await services(ctx.request).flush_provisioning_log()
        summary = await provisioning_log.recent_summary(ctx.db, ctx.tenant)
        activity = await charts.activity_chart(
            ctx.db, ctx.tenant, ctx.request.query_params.get("chart")
        )
        findings = [
            f for f in await troubleshoot.diagnose(ctx.db, ctx.tenant) if f.severity != "ok"
        ]
    # A request in the log, or anyone the identity provider has linked: it has synced
    # (the log may have been purged since).
    synced = bool(summary and summary["last_at"]) or at_a_glance.active > at_a_glance.unlinked
    scim = "/admin/integrations/scim"
    setup = [
        Step(ctx.tenant.scim_enabled, "SCIM enabled", "enable it on the SCIM 2.0 page", scim),
        Step(
            bool(at_a_glance.tokens),
            "Token generated",
            "generate one on the SCIM 2.0 page",
            f"{scim}#setup-h",
        ),
        Step(
            sso_settings.configured,
            "Single sign-on configured",
            "upload your identity provider's metadata",
            "/admin/integrations/sso",
            required=False,
        ),
        Step(
            synced,
            "First sync received",
            "paste the token into your identity provider and assign people",
            f"{scim}#setup-h",
        ),
    ]
    return ctx.render(
        "overview.html",
        nav="overview",
        activity=activity,
        setup=setup,
        setup_done=all(step.done for step in setup if step.required),
        sso=sso_settings,
        counts={
            "active": at_a_glance.active,
            "deactivated": at_a_glance.deactivated,
            "unlinked": at_a_glance.unlinked,
        },
        tokens=at_a_glance.tokens,
        summary=summary,
        findings=findings,
    )


def unserved(request: Request) -> Response:
    """A console address nothing serves with this method: the console's 405 or 404
    page, never the SCIM JSON the app answers for other paths (the app's HTTP error
    handler sends /admin's here too, e.g. OPTIONS, which no catch-all takes)."""
    path = request.url.path
    catch_alls = (not_found, overview_other_methods)
    allowed = sorted(inputs.served_methods(request.app.routes, path, besides=catch_alls))
    if allowed and request.method not in allowed:
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
    return render(
        request,
        "error.html",
        status=404,
        title="Page not found",
        message=f"There is no console page at {path}.",
    )


OTHER_METHODS = ["HEAD", "POST", "PUT", "PATCH", "DELETE"]


async def overview_other_methods(request: Request) -> Response:
    return unserved(request)


@fallback.api_route("/{path:anypath}", methods=["GET", *OTHER_METHODS])
async def not_found(request: Request, path: str) -> Response:
    del path  # the request's own path, as normalised, is the one named
    return unserved(request)

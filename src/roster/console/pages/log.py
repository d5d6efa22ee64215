"""The provisioning log: every SCIM request, failures first, filterable; one request's
detail with its redacted body and what the error means; retention."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from roster.console import charts
from roster.console.forms import kept_form, sentence
from roster.console.rendering import holder_id
from roster.console.web import (
    ConsoleError,
    IntegrationsAdmin,
    form_values,
    redirect,
    whole_number,
)
from roster.directory import person_edits, provisioning_log, tenants
from roster.model.errors import DirectoryError
from roster.services import services

router = APIRouter()
FILTERS = ("outcome", "status", "method", "type", "q", "order", "since", "until")


def moment(value: str, name: str) -> datetime | None:
    """`since`/`until` as the chart's links write them (2026-12-04T13:00Z): UTC."""
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None or not 2000 <= at.year <= 9999:
        raise ConsoleError(
            400,
            "Not a time",
            f"{name} must be a UTC time such as 2026-12-04T13:00Z (not {value[:40]!r})",
        )
    return at.astimezone(UTC)


async def _flush(ctx: IntegrationsAdmin) -> None:
    await services(ctx.request).flush_provisioning_log()


@router.get("/log")
async def log_page(ctx: IntegrationsAdmin) -> Response:
    return await _log_page(ctx)


async def _log_page(
    ctx: IntegrationsAdmin,
    *,
    error: str | None = None,
    kept_days: str | None = None,
    status: int = 200,
) -> Response:
    await _flush(ctx)
    params = {k: ctx.request.query_params.get(k, "").strip()[:200] for k in FILTERS}
    filters: dict[str, Any] = {
        "outcome": params["outcome"] if params["outcome"] in ("failures", "success") else None,
        "status": whole_number(
            params["status"],
            "status filter",
            minimum=100,
            maximum=599,
            fix="choose a status from the list",
        ),
        "method": params["method"]
        if params["method"] in ("GET", "POST", "PUT", "PATCH", "DELETE")
        else None,
        "resource_type": params["type"] if params["type"] in ("User", "Group") else None,
        "text": params["q"] or None,
        "since": moment(params["since"], "since"),
        "until": moment(params["until"], "until"),
    }
    page = await provisioning_log.list_entries(
        ctx.db,
        ctx.tenant,
        failures_first=params["order"] != "newest",
        after=ctx.request.query_params.get("after"),
        **filters,
    )
    template = (
        "log/results.html" if ctx.request.headers.get("hx-target") == "results" else "log/list.html"
    )
    return ctx.render(
        template,
        status=status,
        nav="log",
        page=page,
        params={k: v for k, v in params.items() if v},
        summary=await provisioning_log.recent_summary(ctx.db, ctx.tenant),
        activity=await charts.activity_chart(
            ctx.db, ctx.tenant, ctx.request.query_params.get("chart")
        ),
        retention=ctx.tenant.setting("log_retention_days"),
        retention_choices=provisioning_log.RETENTION_CHOICES,
        notice=ctx.request.query_params.get("done") if status == 200 else None,
        retention_error=error,
        kept_days=kept_days,
    )


@router.get("/log/{entry_id}")
async def log_entry(entry_id: str, ctx: IntegrationsAdmin) -> Response:
    await _flush(ctx)
    entry = await provisioning_log.get_entry(ctx.db, ctx.tenant, entry_id)
    if entry is None:
        raise ConsoleError(404, "Request not found", "No such request in your provisioning log.")
    return ctx.render(
        "log/detail.html",
        nav="log",
        e=entry,
        holder=await _holder(ctx, entry),
        explain=provisioning_log.explain(entry),
        done=await provisioning_log.what_roster_did(ctx.db, ctx.tenant, entry),
    )


async def _holder(ctx: IntegrationsAdmin, entry: dict[str, Any]) -> dict[str, Any] | None:
    """The person a 409 says holds the email or userName (the fix is theirs to free)."""
    person_id = holder_id(entry.get("error_detail")) if entry["status"] == 409 else None
    if person_id is None:
        return None
    try:
        return await person_edits.get_person(ctx.db, ctx.tenant, person_id)
    except DirectoryError:
        return None


@router.post("/log/retention")
async def log_retention(ctx: IntegrationsAdmin) -> Response:
    kept = await kept_form(ctx.request, "days")
    try:
        form = await form_values(ctx.request)
        days = whole_number(
            form.get("days", ""),
            "log retention",
            minimum=min(provisioning_log.RETENTION_CHOICES),
            maximum=max(provisioning_log.RETENTION_CHOICES),
            fix="choose a number of days from the list",
            title="Retention not changed",
        )
        days = provisioning_log.check_retention(-1 if days is None else days)
        await tenants.update_settings(
            ctx.db, ctx.tenant.subdomain, ctx.actor, log_retention_days=days
        )
        await provisioning_log.purge(ctx.db, ctx.tenant.id)
    except (ConsoleError, DirectoryError) as exc:
        return await _log_page(ctx, error=sentence(exc.message), kept_days=kept["days"], status=400)
    return redirect("/admin/log?done=retention")

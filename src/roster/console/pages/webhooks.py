"""Integrations → Webhooks: a company's endpoints (add, remove, rotate the secret), and
per endpoint its deliveries (retry one now, replay from an event or a time). The rules
are directory/webhooks.py's, the same commands `roster webhook ...` runs.

A new secret is shown after a redirect (POST, redirect, GET): the POST stashes it for
this browser session and redirects with a ticket, the GET takes it out once
(directory/reveals.py, shared with SCIM tokens), so reloading the page neither adds a
second endpoint nor shows the secret again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from roster import inputs
from roster.console.forms import kept, sentence
from roster.console.rendering import query
from roster.console.web import (
    Console,
    ConsoleError,
    IntegrationsAdmin,
    form_values,
    redirect,
    whole_number,
)
from roster.directory import webhooks
from roster.directory.events import TYPES
from roster.model.errors import DirectoryError

router = APIRouter()
BASE = "/admin/integrations/webhooks"
FORM_LABELS = {
    "url": "endpoint URL",
    "event_type": "event type",
    "from_seq": "event number",
    "since": "time",
}
GROUPS = (
    ("person.", "People"),
    ("group.", "Groups"),
    ("scim.", "SCIM tokens"),
    ("sso.", "Single sign-on"),
)
STATUS_FILTERS = ("", *webhooks.STATUSES)
DONE = {
    "added": "Endpoint added. It receives the events that happen from now on.",
    "rotated": "Secret rotated. The previous secret keeps signing beside the new one for 24 hours.",
    "removed": "Endpoint removed. Nothing more is sent to it.",
    "retried": "Delivery queued: it is sent within a few seconds.",
    "replayed": "Events queued again, with their original ids.",
}
STATUS_CODES = {"invalid": 400, "conflict": 409, "not_found": 404}


def type_groups() -> list[tuple[str, list[str]]]:
    return [(label, [t for t in TYPES if t.startswith(prefix)]) for prefix, label in GROUPS]


def delivery_state(d: webhooks.Delivery) -> tuple[str, str]:
    """(label, badge colour) of a delivery as people read it."""
    if d.status == webhooks.DELIVERED:
        return "Delivered", "green"
    if d.status == webhooks.DEAD:
        return "Dead-lettered", "red"
    if d.attempts:
        return "Failing, retrying", "amber"
    return "Pending", "blue"


def outcome(status: int | None, error: str | None) -> str:
    if error:
        return error
    return f"HTTP {status}" if status is not None else "—"


def _not_found(exc: DirectoryError) -> ConsoleError:
    return ConsoleError(404, "Webhook endpoint not found", exc.message)


async def _list_page(
    ctx: Console,
    *,
    status: int = 200,
    error: str | None = None,
    field: str | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    summaries = await webhooks.list_endpoints(ctx.db, ctx.tenant.subdomain)
    done = ctx.request.query_params.get("done", "")
    return ctx.render(
        "webhooks/list.html",
        status=status,
        nav="integrations",
        summaries=summaries,
        type_groups=type_groups(),
        values=values or {"url": "", "types": []},
        error=error,
        field=field,
        done=DONE.get(done),
        dropped=ctx.request.query_params.get("dropped") if done == "removed" else None,
        max_endpoints=webhooks.MAX_ENDPOINTS,
        outcome=outcome,
        now=datetime.now(UTC),
    )


@router.get("/integrations/webhooks")
async def webhooks_page(ctx: IntegrationsAdmin) -> Response:
    return await _list_page(ctx)


def _selected(items: Iterable[tuple[str, Any]]) -> list[str]:
    return [v for k, v in items if k == "event_type" and isinstance(v, str)]


@router.post("/integrations/webhooks")
async def webhook_add(ctx: IntegrationsAdmin) -> Response:
    raw = await ctx.request.form()
    values = {"url": kept(str(raw.get("url") or "")), "types": _selected(raw.multi_items())}
    try:
        form = await form_values(ctx.request, FORM_LABELS)
    except ConsoleError as exc:
        return await _list_page(ctx, status=400, error=exc.message, field="url", values=values)
    url = form.get("url", "").strip()
    if not url:
        return await _list_page(
            ctx,
            status=400,
            error="Give the endpoint URL, like https://hooks.example.com/roster.",
            field="url",
            values=values,
        )
    try:
        endpoint, secret = await webhooks.add_endpoint(
            ctx.db,
            ctx.tenant.subdomain,
            url,
            values["types"],
            allow_private=ctx.settings.webhook_allow_private,
            actor=ctx.actor,
        )
    except DirectoryError as exc:
        field = "event_types" if exc.attribute == "event_types" else "url"
        if exc.kind == "conflict":
            field = ""
        return await _list_page(
            ctx,
            status=STATUS_CODES.get(exc.kind, 400),
            error=sentence(exc.message),
            field=field,
            values=values,
        )
    return await _reveal_redirect(ctx, endpoint.id, secret, "added")


async def _reveal_redirect(ctx: Console, endpoint_id: str, secret: str, done: str) -> Response:
    ticket = await ctx.stash_secret(webhooks.RESOURCE, endpoint_id, secret)
    return redirect(f"{BASE}/{endpoint_id}?{query({}, done=done, reveal=ticket)}")


async def _endpoint_page(
    ctx: Console,
    endpoint_id: str,
    *,
    status: int = 200,
    replay_error: str | None = None,
    replay_values: dict[str, str] | None = None,
    retry_error: str | None = None,
) -> Response:
    params = ctx.request.query_params
    shown_status = params.get("status", "")
    if shown_status not in STATUS_FILTERS:
        raise ConsoleError(
            400, "Check the address", "The status filter must be pending, delivered or dead."
        )
    limit = whole_number(params.get("limit", ""), "number of deliveries", minimum=1, maximum=1000)
    try:
        endpoint = await webhooks.get_endpoint(ctx.db, ctx.tenant.subdomain, endpoint_id)
        rows = await webhooks.deliveries(
            ctx.db,
            ctx.tenant.subdomain,
            endpoint_id,
            status=shown_status or None,
            limit=limit or 50,
        )
    except DirectoryError as exc:
        raise _not_found(exc) from None
    summaries = await webhooks.list_endpoints(ctx.db, ctx.tenant.subdomain)
    summary = next((s for s in summaries if s.endpoint.id == endpoint_id), None)
    secret: str | None = None
    reveal = params.get("reveal")
    if reveal and endpoint.removed_at is None and status == 200:
        secret = await ctx.take_secret(webhooks.RESOURCE, endpoint_id, webhooks.SHOWN_ACTION)
    done = params.get("done", "")
    return ctx.render(
        "webhooks/endpoint.html",
        status=status,
        nav="integrations",
        endpoint=endpoint,
        summary=summary,
        rows=rows,
        limit=limit or 50,
        shown_status=shown_status,
        statuses=webhooks.STATUSES,
        reveal=bool(reveal),
        secret=secret,
        rotated=done == "rotated",
        done=DONE.get(done) if status == 200 else None,
        queued=params.get("queued") if done == "replayed" else None,
        replay_error=replay_error,
        replay_values=replay_values or {},
        retry_error=retry_error,
        state=delivery_state,
        outcome=outcome,
        now=datetime.now(UTC),
    )


@router.get("/integrations/webhooks/{endpoint_id}")
async def webhook_page(endpoint_id: str, ctx: IntegrationsAdmin) -> Response:
    return await _endpoint_page(ctx, endpoint_id)


@router.post("/integrations/webhooks/{endpoint_id}/rotate")
async def webhook_rotate(endpoint_id: str, ctx: IntegrationsAdmin) -> Response:
    try:
        secret, _until = await webhooks.rotate_secret(
            ctx.db, ctx.tenant.subdomain, endpoint_id, actor=ctx.actor
        )
    except DirectoryError as exc:
        raise _not_found(exc) from None
    return await _reveal_redirect(ctx, endpoint_id, secret, "rotated")


async def _live_summary(ctx: Console, endpoint_id: str) -> webhooks.EndpointSummary:
    summaries = await webhooks.list_endpoints(ctx.db, ctx.tenant.subdomain)
    found = next((s for s in summaries if s.endpoint.id == endpoint_id), None)
    if found is None:
        raise ConsoleError(
            404,
            "Webhook endpoint not found",
            "No such live webhook endpoint in your company: it may have been removed already.",
        )
    return found


@router.get("/integrations/webhooks/{endpoint_id}/remove")
async def webhook_remove_confirm(endpoint_id: str, ctx: IntegrationsAdmin) -> Response:
    summary = await _live_summary(ctx, endpoint_id)
    return ctx.render("webhooks/remove.html", nav="integrations", summary=summary)


@router.post("/integrations/webhooks/{endpoint_id}/remove")
async def webhook_remove(endpoint_id: str, ctx: IntegrationsAdmin) -> Response:
    try:
        dropped = await webhooks.remove_endpoint(
            ctx.db, ctx.tenant.subdomain, endpoint_id, actor=ctx.actor
        )
    except DirectoryError as exc:
        raise _not_found(exc) from None
    return redirect(f"{BASE}?{query({}, done='removed', dropped=str(dropped))}")


@router.post("/integrations/webhooks/{endpoint_id}/deliveries/{event_seq}/retry")
async def delivery_retry(endpoint_id: str, event_seq: str, ctx: IntegrationsAdmin) -> Response:
    seq = whole_number(event_seq, "event number in the address", minimum=1)
    if seq is None:
        raise ConsoleError(404, "Delivery not found", "No event number in the address.")
    try:
        await webhooks.retry_delivery(
            ctx.db, ctx.tenant.subdomain, endpoint_id, seq, actor=ctx.actor
        )
    except DirectoryError as exc:
        if exc.kind == "not_found":
            raise ConsoleError(404, "Delivery not found", exc.message) from None
        # The endpoint's page, saying why (a delivery already delivered): no dead end.
        return await _endpoint_page(ctx, endpoint_id, status=409, retry_error=sentence(exc.message))
    return redirect(f"{BASE}/{endpoint_id}?done=retried#delivery-{seq}")


def _since(value: str) -> datetime:
    """An ISO 8601 time; without a zone it is UTC (the form says so)."""
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        raise DirectoryError(
            "invalid",
            f"The time {value!r} is not a date and time: give one like 2026-12-01T09:00 (UTC).",
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@router.post("/integrations/webhooks/{endpoint_id}/replay")
async def webhook_replay(endpoint_id: str, ctx: IntegrationsAdmin) -> Response:
    raw = await ctx.request.form()
    values = {k: kept(str(raw.get(k) or "")).strip() for k in ("from_seq", "since")}
    try:
        form = await form_values(ctx.request, FORM_LABELS)
        from_text, since_text = form.get("from_seq", "").strip(), form.get("since", "").strip()
        if bool(from_text) == bool(since_text):
            raise DirectoryError(
                "invalid",
                "Give where the replay starts: an event number or a time, one of the two.",
            )
        from_seq = inputs.integer(from_text, "event number", minimum=1, fix="give 1 or more")
        since = _since(since_text) if since_text else None
        queued = await webhooks.replay(
            ctx.db,
            ctx.tenant.subdomain,
            endpoint_id,
            from_seq=from_seq,
            since=since,
            actor=ctx.actor,
        )
    except (ConsoleError, inputs.InvalidInput) as exc:
        return await _endpoint_page(
            ctx, endpoint_id, status=400, replay_error=exc.message, replay_values=values
        )
    except DirectoryError as exc:
        if exc.kind == "not_found":
            raise _not_found(exc) from None
        return await _endpoint_page(
            ctx, endpoint_id, status=400, replay_error=sentence(exc.message), replay_values=values
        )
    return redirect(f"{BASE}/{endpoint_id}?{query({}, done='replayed', queued=str(queued))}")

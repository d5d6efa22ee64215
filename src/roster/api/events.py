"""GET /api/v1/events?after=CURSOR&limit=N&types=a,b: a company's events in order, for
a downstream service holding an API token (`roster api-token create`). Answers JSON:
`{"data": [...], "next": "<cursor>", "has_more": bool}`; errors are
`{"error": {"code", "message"}}` with 400, 401, 410 (the cursor's events were purged)
or 429."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from roster.directory import tenancy
from roster.directory.events_feed import EventsPurged, read_feed
from roster.model.errors import DirectoryError
from roster.services import services

router = APIRouter(include_in_schema=False)

_HOW_TO_AUTHENTICATE = (
    "send an API token as 'Authorization: Bearer rstr_api_...' (create one with "
    "`roster api-token create SUBDOMAIN`)"
)


def _error(status: int, code: str, message: str, **headers: str) -> Response:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def _int(value: str | None, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise DirectoryError("invalid", f"{name} must be a whole number, got {value[:40]!r}")
    return int(value)


@router.get("/api/v1/events")
async def events(request: Request) -> Response:
    running = services(request)
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    credential = None
    if scheme.lower() == "bearer" and secret.strip():
        credential = await tenancy.by_api_token(
            running.db,
            secret.strip(),
            touch_every=running.settings.token_last_used_seconds_delta,
        )
    if credential is None:
        address = request.client.host if request.client else "unknown"
        retry_after = await running.rate_limiter.unauthenticated_request(address)
        if retry_after is not None:
            return _error(
                429,
                "rate_limited",
                f"too many requests without a valid token; retry after {retry_after} s",
                **{"Retry-After": str(retry_after)},
            )
        return _error(401, "unauthorized", _HOW_TO_AUTHENTICATE, **{"WWW-Authenticate": "Bearer"})
    request.state.tenant = credential.tenant.subdomain
    params = request.query_params
    try:
        types = [t.strip() for t in params.get("types", "").split(",") if t.strip()]
        page = await read_feed(
            running.db,
            credential.tenant,
            after=_int(params.get("after"), "after", 0),
            limit=_int(params.get("limit"), "limit", 100),
            types=types,
        )
    except DirectoryError as exc:
        if exc.kind != "invalid":
            raise
        return _error(400, "invalid_request", exc.message)
    except EventsPurged as exc:
        return _error(
            410,
            "cursor_expired",
            f"the events after your cursor were purged (kept "
            f"{running.settings.events_retention_days} days); the oldest kept is number "
            f"{exc.oldest}: resynchronise from the SCIM or console data, then read from "
            f"?after={exc.oldest - 1}",
        )
    return JSONResponse(
        {"data": page.events, "next": str(page.next), "has_more": page.has_more},
        headers={"Cache-Control": "no-store"},
    )

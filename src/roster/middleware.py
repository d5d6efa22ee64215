"""The outermost layer: request id, path normalisation, body limit, access log,
metrics, and a last line of defence that turns any unexpected failure into a 500
with the request id and no traceback: a SCIM error under /scim, an HTML page for the
console, SSO and everything else a browser may open."""

from __future__ import annotations

import re
import secrets
import time
from html import escape
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roster.logging import get_logger
from roster.scim.errors import ScimError
from roster.scim.http import error_response

REQUESTS = Counter("roster_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "roster_http_request_duration_seconds",
    "HTTP request duration",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
_SLASHES = re.compile(r"/{2,}")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
log = get_logger("roster.access")
_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Roster</title></head>
<body><main><h1>{title}</h1><p>{message}</p></main></body>
</html>
"""
# The console's error card (console/templates/error.html's markup), without a template:
# this layer sits below the console.
_CONSOLE_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Roster</title><link rel="stylesheet" href="/admin/static/console.css"></head>
<body class="plain"><main id="main" class="center-card"><div class="card narrow">
<div class="brand dark"><span class="logo" aria-hidden="true">R</span>
<span class="brand-name">Roster</span></div>
<h1>{title}</h1><p>{message}</p></div></main></body>
</html>
"""
_CONSOLE_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; frame-ancestors 'none'",
}
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


class BodyTooLarge(Exception):
    pass


class RequestMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_group_body_bytes: int,
        max_upload_bytes: int = 0,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_group_body_bytes = max_group_body_bytes
        # The console's CSV upload (100,000 people is ~10 MB).
        self.max_upload_bytes = max_upload_bytes or max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else secrets.token_hex(8)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        path = scope["path"]
        normalised = _SLASHES.sub("/", path)
        if len(normalised) > 1 and normalised.endswith("/"):
            normalised = normalised.rstrip("/") or "/"
        if normalised != path:
            scope = {**scope, "path": normalised, "raw_path": normalised.encode()}
        limit = (
            self.max_group_body_bytes
            if normalised.startswith("/scim/v2/Groups")
            or (normalised.startswith("/scim/v2/") and normalised[9:15].lower() == "groups")
            else self.max_upload_bytes
            if normalised == "/admin/import"
            else self.max_body_bytes
        )
        status = 500
        started_response = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                started_response = True
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        received = 0

        async def receive_wrapper() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        try:
            length = headers.get(b"content-length")
            if length is not None and length.isdigit() and int(length) > limit:
                raise BodyTooLarge
            await self.app(scope, receive_wrapper, send_wrapper)
        except BodyTooLarge:
            if not started_response:
                await self._error(
                    normalised,
                    send_wrapper,
                    ScimError(
                        413,
                        f"the request body is larger than {limit} bytes; "
                        "send fewer operations or members per request"
                        if _is_scim(normalised)
                        else f"what was sent is larger than {_size(limit)}, the most this "
                        "page takes; nothing was changed. Go back and send a smaller file "
                        "or less text",
                    ),
                    request_id,
                )
        except Exception:
            log.exception("unhandled error", request_id=request_id, path=scope["path"])
            if not started_response:
                await self._error(
                    normalised,
                    send_wrapper,
                    ScimError(
                        500,
                        f"unexpected error; nothing was changed. Quote request id "
                        f"{request_id} to support",
                    ),
                    request_id,
                )
        finally:
            duration = time.perf_counter() - started
            route = scope.get("route")
            route_path = getattr(route, "path", "unmatched")
            REQUESTS.labels(scope["method"], route_path, str(status)).inc()
            LATENCY.labels(scope["method"], route_path).observe(duration)
            log.info(
                "request",
                request_id=request_id,
                tenant=state.get("tenant"),
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round(duration * 1000, 2),
            )

    @staticmethod
    async def _error(path: str, send: Send, error: ScimError, request_id: str) -> None:
        del request_id  # send_wrapper adds X-Request-Id
        response: Response = error_response(error) if _is_scim(path) else _html_error(error, path)
        await response({"type": "http"}, _empty_receive, send)


def _size(limit: int) -> str:
    """A byte limit as people read it (1048576 → "1 MB")."""
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    return f"{limit / 1024:g} KB" if limit >= 1024 else f"{limit} bytes"


def _is_scim(path: str) -> bool:
    return path == "/scim" or path.startswith("/scim/")


def _html_error(error: ScimError, path: str = "") -> HTMLResponse:
    """The 413 and 500 a browser sees: a page, not SCIM's JSON; under /admin it looks
    like the console's other error pages (its stylesheet, nothing else)."""
    title = "Too much data" if error.status == 413 else "Something went wrong"
    message = error.detail[0].upper() + error.detail[1:] + "."
    if path == "/admin" or path.startswith("/admin/"):
        html = _CONSOLE_PAGE.format(title=title, message=escape(message))
        return HTMLResponse(html, status_code=error.status, headers=_CONSOLE_PAGE_HEADERS)
    html = _PAGE.format(title=title, message=escape(message))
    return HTMLResponse(html, status_code=error.status, headers=_PAGE_HEADERS)


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}

"""Records every authenticated SCIM request in the provisioning log.

An ASGI middleware inside the request middleware (so it sees the normalised path and
the request id). The bearer-token dependency (`deps.scim_context`) tells it which
company and token a request belongs to; requests that never authenticated belong to
no company and are not recorded. Everything kept is redacted first (roster.redaction:
the path and query string, the resource id, the error, the client and the body, with
the rules of the server log); the Authorization header never is kept.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roster.redaction import redact, redact_text
from roster.services import services_of
from roster.store.ids import new_id
from roster.store.types import utcnow

SCIM_PREFIX = "/scim/v2"
MAX_KEPT_BODY = 256 * 1024  # larger bodies (big group pushes) are summarised
MAX_KEPT_LIST = 50
MAX_ERROR_BODY = 32 * 1024
_RESOURCES = {"Users": "User", "Groups": "Group"}


def _shorten(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        kept = [_shorten(v) for v in value[:MAX_KEPT_LIST]]
        if len(value) > MAX_KEPT_LIST:
            kept.append(f"... {len(value) - MAX_KEPT_LIST} more not kept")
        return kept
    return value


def _no_nul(value: Any) -> Any:
    """PostgreSQL stores no NUL in text or JSON, and one such row would fail the whole
    batch it is written in: NULs are shown as U+FFFD."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, dict):
        return {_no_nul(k): _no_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nul(v) for v in value]
    return value


def kept_body(raw: bytes, overflow: bool) -> Any:
    if not raw and not overflow:
        return None
    if overflow:
        return {"_note": f"a body larger than {MAX_KEPT_BODY} bytes is not kept"}
    try:
        return _no_nul(_shorten(redact(orjson.loads(raw))))
    except orjson.JSONDecodeError:
        return {"_note": f"not JSON ({len(raw)} bytes)"}


def resource_of(path: str, location: str | None) -> tuple[str | None, str | None]:
    parts = path[len(SCIM_PREFIX) :].strip("/").split("/")
    kind = _RESOURCES.get(parts[0]) if parts and parts[0] else None
    if kind is None:
        return None, None
    if len(parts) > 1 and parts[1] and not parts[1].startswith("."):
        return kind, parts[1][:64]
    if location:
        return kind, location.rstrip("/").rsplit("/", 1)[-1][:64]
    return kind, None


def error_detail(raw: bytes) -> str | None:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw[:2000].decode("utf-8", "replace") or None
    if isinstance(body, dict):
        detail = body.get("detail")
        scim_type = body.get("scimType")
        if isinstance(detail, str):
            return f"{detail} [{scim_type}]" if isinstance(scim_type, str) else detail
    return None


class ProvisioningLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(SCIM_PREFIX):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        at = utcnow()
        body = bytearray()
        overflow = False
        status = 500
        location: str | None = None
        response = bytearray()

        async def receive_wrapper() -> Message:
            nonlocal overflow
            message = await receive()
            if message["type"] == "http.request" and not overflow:
                chunk = message.get("body", b"")
                if len(body) + len(chunk) > MAX_KEPT_BODY:
                    overflow = True
                    body.clear()
                else:
                    body.extend(chunk)
            return message

        async def send_wrapper(message: Message) -> None:
            nonlocal status, location
            if message["type"] == "http.response.start":
                status = message["status"]
                for key, value in message.get("headers", []):
                    if key.lower() == b"location":
                        location = value.decode("latin-1")
            elif (
                message["type"] == "http.response.body"
                and status >= 400
                and len(response) < MAX_ERROR_BODY
            ):
                response.extend(message.get("body", b"")[:MAX_ERROR_BODY])
            await send(message)

        try:
            await self.app(scope, receive_wrapper, send_wrapper)
        finally:
            state = scope.get("state") or {}
            tenant_id = state.get("tenant_id")
            if tenant_id is not None:
                self._record(
                    scope, state, tenant_id, at, started, status, location, body, overflow, response
                )

    @staticmethod
    def _record(
        scope: Scope,
        state: dict[str, Any],
        tenant_id: int,
        at: Any,
        started: float,
        status: int,
        location: str | None,
        body: bytearray,
        overflow: bool,
        response: bytearray,
    ) -> None:
        running = services_of(scope)
        if running is None or not running.started:
            return
        writer = running.provisioning_log
        headers = dict(scope.get("headers") or [])
        query = scope.get("query_string", b"").decode("latin-1")
        # A token pasted into a URL (a path segment, `?access_token=`, a filter) is
        # a secret all the same: redacted before the resource id is taken from it.
        route = redact_text(scope["path"])
        path = route + (f"?{redact_text(query)}" if query else "")
        kind, resource_id = resource_of(route, location)
        detail = error_detail(bytes(response)) if status >= 400 else None
        client = headers.get(b"user-agent", b"").decode("latin-1")[:200]
        writer.record(
            _no_nul(
                {
                    "tenant_id": tenant_id,
                    "id": new_id(),
                    "at": at,
                    "request_id": state.get("request_id"),
                    "token_id": state.get("token_id"),
                    "client": redact_text(client) or None,
                    "method": scope["method"][:10],
                    "path": path[:2000],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "resource_type": kind,
                    "resource_id": resource_id,
                    "error_detail": redact_text(detail) if detail else None,
                    "request": kept_body(bytes(body), overflow),
                }
            )
        )

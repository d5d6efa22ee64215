"""SCIM over HTTP: media types, JSON bodies, responses."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from roster.scim.errors import ScimError, invalid_syntax, invalid_value

SCIM_MEDIA_TYPE = "application/scim+json"
# What the OpenAPI description says of every SCIM endpoint's errors (RFC 7644 §3.12).
_ERROR_BODY = {
    "type": "object",
    "required": ["schemas", "status", "detail"],
    "properties": {
        "schemas": {"type": "array", "items": {"type": "string"}},
        "status": {"type": "string"},
        "scimType": {"type": "string"},
        "detail": {"type": "string"},
    },
}
_ERRORS = {
    400: "invalid request (scimType names the problem)",
    401: "no valid token",
    404: "no such resource in this company",
    405: "method not allowed",
    409: "uniqueness conflict",
    412: "If-Match does not match the current version",
    413: "request body too large",
    415: "unsupported Content-Type",
    429: "too many requests (integer Retry-After)",
    500: "unexpected error (request id in the detail)",
    503: "database unavailable (Retry-After)",
}
_RESOURCE = {"content": {SCIM_MEDIA_TYPE: {"schema": {"type": "object"}}}}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: _RESOURCE,
    201: _RESOURCE,
    **{
        code: {"description": text, "content": {SCIM_MEDIA_TYPE: {"schema": _ERROR_BODY}}}
        for code, text in _ERRORS.items()
    },
}
# GET of one resource with If-None-Match naming its current version (RFC 7232 §4.1).
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not Modified: If-None-Match names the current version (no body)"}
}
_ACCEPTED_BODY_TYPES = ("application/scim+json", "application/json", "text/json")


class ScimResponse(Response):
    media_type = SCIM_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        if content is None:
            return b""
        return orjson.dumps(content)


def scim_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> ScimResponse:
    return ScimResponse(body, status_code=status, headers=headers)


def error_response(error: ScimError, request_id: str | None = None) -> ScimResponse:
    headers = dict(error.headers)
    if error.status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="roster"')
    if request_id:
        headers["X-Request-Id"] = request_id
    return scim_response(error.body(), error.status, headers)


async def json_body(request: Request, *, refuse_nul: bool = True) -> dict[str, Any]:
    """The request's JSON object. Okta and Entra send application/scim+json or
    application/json, with or without a charset; a missing content type is tolerated."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type and content_type not in _ACCEPTED_BODY_TYPES:
        raise ScimError(
            415,
            f"Content-Type {content_type!r} is not supported: send application/scim+json "
            "or application/json",
        )
    raw = await request.body()
    if not raw.strip():
        raise invalid_syntax("the request body is empty: send a JSON object")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise invalid_syntax(f"the request body is not valid JSON ({exc.msg})") from None
    if not isinstance(body, dict):
        raise invalid_syntax("the request body must be a JSON object")
    if refuse_nul and b"\\u0000" in raw and _has_nul(body):
        # Roster keeps no value with a NUL, and PostgreSQL cannot store one even in the
        # audit row of an ignored attribute: refuse a write before anything is kept.
        # (Searches keep nothing; their filter parser names the bad character.)
        raise invalid_value("the request body must not contain NUL characters (\\u0000)")
    return body


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False

"""What every SCIM request starts with: the bearer token -> the company."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Annotated, NoReturn

from fastapi import Depends
from starlette.datastructures import URL
from starlette.requests import Request

from roster.config import Settings
from roster.directory import tenancy, tokens
from roster.directory.audit import Actor
from roster.directory.tenants import custom_attributes
from roster.model.registry import UserSchemas
from roster.ratelimit import RateLimiter
from roster.scim.errors import ScimError, not_found
from roster.services import services
from roster.store.db import Database
from roster.store.tenants import Tenant


@dataclass(frozen=True)
class ScimContext:
    tenant: Tenant
    token_id: str
    base_url: str  # .../scim/v2, no trailing slash
    schemas: UserSchemas
    request_id: str
    db: Database
    settings: Settings

    @property
    def actor(self) -> str:
        return f"token:{self.token_id}"


_NOT_VALID = (
    "the token is not valid or has been revoked: generate a new one on Roster's "
    "Integrations page and paste it into the identity provider"
)


def _unauthorized(detail: str) -> ScimError:
    return ScimError(401, detail, headers={"WWW-Authenticate": 'Bearer realm="roster"'})


async def _refuse_unauthenticated(limiter: RateLimiter, address: str, detail: str) -> NoReturn:
    """401 for a missing or wrong token, counted against the client's address; 429 once
    the address sent too many this minute (token guessing, or a flood)."""
    retry_after = await limiter.unauthenticated_request(address)
    if retry_after is not None:
        raise ScimError(
            429,
            "too many requests without a valid token from this address; check the token "
            f"in the identity provider, then retry after {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )
    raise _unauthorized(detail)


async def scim_context(request: Request) -> ScimContext:
    running = services(request)
    db, settings, limiter = running.db, running.settings, running.rate_limiter
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    address = request.client.host if request.client else "unknown"
    # Refusals are counted against the address (429 past the limit); what can never be
    # a token costs no database work. A valid token is never refused for another
    # client's failures: Okta and Entra send from shared addresses.
    if scheme.lower() != "bearer" or not secret:
        await _refuse_unauthenticated(
            limiter,
            address,
            "authentication required: send the SCIM token from Roster's Integrations page "
            "as 'Authorization: Bearer <token>'",
        )
    if not tokens.looks_like_token(secret):
        await _refuse_unauthenticated(limiter, address, _NOT_VALID)
    credential = await tenancy.by_token(
        db, secret, touch_every=settings.token_last_used_seconds_delta
    )
    if credential is None:
        await _refuse_unauthenticated(limiter, address, _NOT_VALID)
    tenant = credential.tenant
    request.state.tenant = tenant.subdomain
    # For the provisioning log (scim/routes/provisioning_log.py).
    request.state.tenant_id = tenant.id
    request.state.token_id = credential.token_id
    if not tenant.scim_enabled:
        raise _unauthorized(
            f"SCIM is disabled for {tenant.subdomain!r}: an Account Admin can enable it on "
            "Roster's Integrations page"
        )
    retry_after = await limiter.check(tenant.id, credential.token_id)
    if retry_after is not None:
        raise ScimError(
            429,
            f"too many requests for {tenant.subdomain!r}; retry after {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )
    if settings.public_url:
        base = settings.public_url.rstrip("/") + "/scim/v2"
    else:
        scope = request.scope
        host = next((v for k, v in scope["headers"] if k == b"host"), None)
        server = scope.get("server")
        base = _base_url(scope.get("scheme", "http"), host, tuple(server) if server else None)
    return ScimContext(
        tenant=tenant,
        token_id=credential.token_id,
        base_url=base,
        schemas=UserSchemas(settings.company_extension_urn, custom_attributes(tenant)),
        request_id=request.state.request_id,
        db=db,
        settings=settings,
    )


@functools.lru_cache(maxsize=256)
def _base_url(scheme: str, host: bytes | None, server: tuple[str, int] | None) -> str:
    """The SCIM base URL a request was addressed to (Starlette's own reading of the Host
    header, done once per distinct host rather than on every request)."""
    headers = [(b"host", host)] if host is not None else []
    scope = {"type": "http", "scheme": scheme, "server": server, "path": "/", "headers": headers}
    url = URL(scope=scope)
    return f"{url.scheme}://{url.netloc}/scim/v2"


Scim = Annotated[ScimContext, Depends(scim_context)]


# The request body every write route documents in the OpenAPI description.
JSON_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/scim+json": {"schema": {"type": "object"}}},
    }
}


def actor_of(ctx: ScimContext) -> Actor:
    return Actor(ctx.actor, ctx.request_id)


def valid_id(resource: str, resource_id: str) -> str:
    """Never a null, empty or "None" id: those are 404s, not lookups."""
    if (
        not resource_id
        or resource_id.lower() in ("none", "null", "undefined")
        or len(resource_id) > 64
        or "\x00" in resource_id
    ):
        raise not_found(resource, resource_id)
    return resource_id

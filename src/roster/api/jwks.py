"""GET /.well-known/jwks.json: the public keys that verify Roster's Security Event
Tokens (a JWK Set, RFC 7517 §5), for receivers; no credential needed, nothing secret
in it. The keys are the deployment's (directory/signing_keys.py): every company's SETs
verify with this one set, and each SET's `kid` names its key. Cached by receivers for
five minutes at most (a rotated key is published that long before it signs)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from roster.directory import signing_keys
from roster.directory.sealing import Sealer
from roster.services import services

router = APIRouter(include_in_schema=False)
PATH = "/.well-known/jwks.json"
MEDIA_TYPE = "application/jwk-set+json"  # RFC 7517 §8.5


@router.get(PATH)
async def jwks(request: Request) -> Response:
    running = services(request)
    keys = await signing_keys.jwks(running.db, Sealer.for_settings(running.settings))
    max_age = int(signing_keys.JWKS_MAX_AGE.total_seconds())
    return JSONResponse(
        keys, media_type=MEDIA_TYPE, headers={"Cache-Control": f"public, max-age={max_age}"}
    )

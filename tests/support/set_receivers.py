"""SET receivers for tests: added through the directory on the live server, their
deliveries, the JWKS the server serves, and a received SET read with or without its
signature checked (joserfc)."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from roster.directory import set_receivers
from roster.directory.sealing import Sealer
from roster.directory.set_receivers import NewReceiver
from roster.store.db import Database
from roster.store.webhooks import Delivery
from tests.support.harness import Company
from tests.support.webhook_receiver import Received


def add_receiver(company: Company, url: str, *events: str, **more: Any) -> str:
    """A receiver of the company, added through the directory on the live server."""
    sealer = Sealer.for_settings(company.server.settings)

    async def add(db: Database) -> str:
        receiver = await set_receivers.add_receiver(
            db,
            company.subdomain,
            NewReceiver(url, events, **more),
            public_url=company.server.url,
            allow_private=True,
            sealer=sealer,
        )
        return receiver.id

    return company.call(add)


def set_deliveries(company: Company, receiver_id: str) -> list[Delivery]:
    found = company.call(
        lambda db: set_receivers.deliveries(db, company.subdomain, receiver_id, limit=10_000)
    )
    return sorted(found, key=lambda d: d.event_seq)


def settled(company: Company, receiver_id: str, count: int) -> list[Delivery] | None:
    found = set_deliveries(company, receiver_id)
    if len(found) == count and all(d.status != "pending" for d in found):
        return found
    return None


def jwks(company: Company) -> dict[str, Any]:
    r = httpx.get(f"{company.server.url}/.well-known/jwks.json", timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/jwk-set+json"
    assert r.headers["cache-control"] == "public, max-age=300"
    keys: dict[str, Any] = r.json()
    return keys


def verified(request: Received, keys: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The SET's header and claims, if its signature verifies with the JWKS."""
    token = jwt.decode(request.body, KeySet.import_key_set(keys), algorithms=["ES256"])
    return dict(token.header), dict(token.claims)


def unverified(request: Received) -> dict[str, Any]:
    """The SET's claims, read without checking the signature (a receiver's test hook)."""
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(request.body.split(b".")[1] + b"==")
    )
    return claims


def jti(request: Received) -> str:
    return str(unverified(request)["jti"])

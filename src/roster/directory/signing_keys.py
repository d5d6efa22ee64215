"""The keys that sign Security Event Tokens: one set per deployment, ES256 (ECDSA P-256
with SHA-256, RFC 7518 §3.4), published as a JWKS (RFC 7517 §5) at
/.well-known/jwks.json (api/jwks.py). Decision 0010 says why this shape.

- The first key is made on first use (the first SET signed or the first JWKS served),
  by whichever process gets there first; a second process racing it finds its
  generation taken and uses the winner's.
- `kid` is the key's JWK thumbprint (RFC 7638), so the same key has the same kid
  wherever it is computed.
- Rotation (`roster events signing-key rotate`) adds the next generation. It is
  published at once and signs from `publish_ahead` later (by default as long as a
  receiver may cache the JWKS, api/jwks.py's Cache-Control), so a receiver that honours
  the cache never meets an unknown kid; the keys before it stay published for `grace`
  more (SETs signed just before the rotation still verify against a fresh JWKS), then
  are retired: left out of the JWKS and never used again. `publish_ahead=0, grace=0`
  replaces a compromised key at once.
- The private half is sealed (directory/sealing.py) under the deployment's secret key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from joserfc.jwk import ECKey

from roster.directory.sealing import Sealer
from roster.logging import get_logger
from roster.model.errors import conflict, invalid
from roster.store import signing_keys as store
from roster.store.db import Database
from roster.store.signing_keys import SigningKeyRow
from roster.store.types import utcnow

log = get_logger("roster.events")

ALGORITHM = "ES256"
CURVE = "P-256"
JWKS_MAX_AGE = timedelta(minutes=5)  # api/jwks.py's Cache-Control: max-age
PUBLISH_AHEAD = JWKS_MAX_AGE
GRACE = timedelta(days=7)


@dataclass(frozen=True)
class SigningKey:
    kid: str
    key: ECKey  # the private key


@dataclass(frozen=True)
class KeyState:
    """A key as `roster events signing-key list` shows it."""

    kid: str
    generation: int
    created_at: datetime
    signs_from: datetime
    retires_at: datetime | None
    state: str  # signing | next | published (in its grace) | retired


def _context(kid: str) -> str:
    return f"event-signing-key:{kid}"


def new_row(sealer: Sealer, generation: int, signs_from: datetime) -> SigningKeyRow:
    """A fresh key pair as a row, its private half sealed."""
    made = ECKey.generate_key(CURVE, parameters={"alg": ALGORITHM, "use": "sig"})
    kid = made.thumbprint()
    private = {**made.as_dict(private=True), "kid": kid}
    public = {**made.as_dict(private=False), "kid": kid}
    return SigningKeyRow(
        kid=kid,
        generation=generation,
        algorithm=ALGORITHM,
        public_jwk=public,
        private_jwk=sealer.seal(json.dumps(private).encode(), _context(kid)),
        created_at=utcnow(),
        signs_from=signs_from,
        retires_at=None,
    )


def _opened(sealer: Sealer, row: SigningKeyRow) -> SigningKey:
    private = json.loads(sealer.unseal(row.private_jwk, _context(row.kid)))
    return SigningKey(row.kid, ECKey.import_key(private))


async def _published(db: Database, sealer: Sealer) -> list[SigningKeyRow]:
    """The published keys, newest first; the first key made if there is none."""
    now = utcnow()
    async with db.read() as conn:
        keys = await store.published(conn, now)
    if keys:
        return keys
    async with db.write() as conn:
        keys = await store.published(conn, now)
        if not keys:
            row = new_row(sealer, await store.newest_generation(conn) + 1, now)
            if await store.insert(conn, row):
                log.info("SET signing key created", kid=row.kid)
            keys = await store.published(conn, now)
    return keys


def signing_row(keys: list[SigningKeyRow], now: datetime) -> SigningKeyRow:
    """Of the published keys (newest first), the one that signs now: the newest whose
    time has come (a key published ahead of its time waits)."""
    for row in keys:
        if row.signs_from <= now:
            return row
    return keys[-1]


async def current(db: Database, sealer: Sealer) -> SigningKey:
    """The key that signs a SET now (made on first use)."""
    keys = await _published(db, sealer)
    return _opened(sealer, signing_row(keys, utcnow()))


async def jwks(db: Database, sealer: Sealer) -> dict[str, Any]:
    """The JWK Set receivers verify with: every published key's public half."""
    return {"keys": [row.public_jwk for row in await _published(db, sealer)]}


def _state(row: SigningKeyRow, signer: str | None, now: datetime) -> str:
    if row.retires_at is not None and row.retires_at <= now:
        return "retired"
    if row.kid == signer:
        return "signing"
    return "next" if row.signs_from > now else "published"


async def list_keys(db: Database) -> list[KeyState]:
    """Every key, newest first, with what it does now (made none: read only)."""
    now = utcnow()
    async with db.read() as conn:
        rows = await store.all_keys(conn)
    live = [r for r in rows if r.retires_at is None or r.retires_at > now]
    signer = signing_row(live, now).kid if live else None
    return [
        KeyState(
            r.kid, r.generation, r.created_at, r.signs_from, r.retires_at, _state(r, signer, now)
        )
        for r in rows
    ]


async def rotate(
    db: Database,
    sealer: Sealer,
    *,
    publish_ahead: timedelta = PUBLISH_AHEAD,
    grace: timedelta = GRACE,
) -> tuple[KeyState, datetime]:
    """A new key, signing from `publish_ahead` on; every older key retires `grace`
    after that. Returns the new key and when the older ones retire."""
    if publish_ahead < timedelta(0) or grace < timedelta(0):
        raise invalid("--publish-ahead and --grace cannot be negative")
    now = utcnow()
    async with db.write() as conn:
        older = await store.published(conn, now)
        row = new_row(sealer, await store.newest_generation(conn) + 1, now + publish_ahead)
        if not await store.insert(conn, row):
            raise conflict("another rotation of the signing key ran at the same time: run again")
        retire_at = row.signs_from + grace
        for old in older:
            await store.retire(conn, old.kid, retire_at)
    state = "signing" if row.signs_from <= utcnow() else "next"
    return KeyState(row.kid, row.generation, row.created_at, row.signs_from, None, state), retire_at

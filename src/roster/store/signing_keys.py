"""The SET signing keys' rows (table event_signing_keys): SQL only. One set of keys per
deployment, so, unlike every other store module, no function takes a tenant. The
private JWK arrives and leaves sealed (directory/sealing.py); this module never sees
it in the clear."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.store.tables import event_signing_keys as k


@dataclass(frozen=True)
class SigningKeyRow:
    kid: str
    generation: int
    algorithm: str
    public_jwk: dict[str, Any]
    private_jwk: str  # sealed
    created_at: datetime
    signs_from: datetime
    retires_at: datetime | None


def _row(row: Any) -> SigningKeyRow:
    return SigningKeyRow(**dict(row._mapping))


async def all_keys(conn: AsyncConnection) -> list[SigningKeyRow]:
    """Every key, newest generation first."""
    rows = await conn.execute(sa.select(k).order_by(k.c.generation.desc()))
    return [_row(r) for r in rows]


async def published(conn: AsyncConnection, now: datetime) -> list[SigningKeyRow]:
    """The keys not yet retired, newest first: the JWKS, and the candidates to sign."""
    query = (
        sa.select(k)
        .where(sa.or_(k.c.retires_at.is_(None), k.c.retires_at > now))
        .order_by(k.c.generation.desc())
    )
    return [_row(r) for r in await conn.execute(query)]


async def get(conn: AsyncConnection, kid: str) -> SigningKeyRow | None:
    row = (await conn.execute(sa.select(k).where(k.c.kid == kid))).first()
    return _row(row) if row else None


async def newest_generation(conn: AsyncConnection) -> int:
    return int((await conn.execute(sa.select(sa.func.max(k.c.generation)))).scalar() or 0)


async def insert(conn: AsyncConnection, row: SigningKeyRow) -> bool:
    """The key, unless its generation is taken (another process made it at the same
    time): False then, and nothing written."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(k)
        .values(**row.__dict__)
        .on_conflict_do_nothing(index_elements=[k.c.generation])
    )
    result = await conn.execute(statement)
    return bool(result.rowcount)


async def retire(conn: AsyncConnection, kid: str, at: datetime) -> None:
    """The key leaves the JWKS at `at` (or earlier, if it was to retire sooner)."""
    await conn.execute(
        k.update()
        .where(k.c.kid == kid, sa.or_(k.c.retires_at.is_(None), k.c.retires_at > at))
        .values(retires_at=at)
    )

"""One-shot memory of assertion ids and request ids, shared by every worker: the
database table saml_replay by default, Redis when ROSTER_REDIS_URL is set.

python3-saml has no replay protection of its own (reference: saml-sso.md §3, gap a)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from roster.logging import get_logger
from roster.store import sso as store
from roster.store.db import Database
from roster.store.types import utcnow

log = get_logger("roster.sso")


class ReplayCacheUnavailable(Exception):
    pass


class ReplayCache(Protocol):
    async def first_use(self, tenant_id: int, key: str, expires_at: datetime) -> bool:
        """True the first time `key` is seen in this company (until `expires_at`)."""
        ...

    async def close(self) -> None: ...


class DatabaseReplayCache:
    PURGE_EVERY = 100  # sign-ins per worker between two sweeps of expired keys

    def __init__(self, db: Database) -> None:
        self._db = db
        self._uses = 0

    async def first_use(self, tenant_id: int, key: str, expires_at: datetime) -> bool:
        async with self._db.write() as conn:
            first = await store.remember_once(conn, tenant_id, key, expires_at, utcnow())
        if self._uses % self.PURGE_EVERY == 0:
            await self._purge()
        self._uses += 1
        return first

    async def _purge(self) -> None:
        # Housekeeping only: an expired key left behind is reclaimed by remember_once.
        try:
            async with self._db.write() as conn:
                await store.purge_expired(conn, utcnow())
        except Exception as exc:
            log.warning("saml replay cache purge failed", error=str(exc))

    async def close(self) -> None:
        return None


class RedisReplayCache:
    """SET NX with an absolute expiry: atomic across workers and machines. If Redis is
    unreachable sign-ins are refused (ReplayCacheUnavailable) rather than let through
    unchecked."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis: Any = redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    async def first_use(self, tenant_id: int, key: str, expires_at: datetime) -> bool:
        name = f"roster:saml-replay:{tenant_id}:{key}"
        expire_ms = max(int(expires_at.timestamp() * 1000), int(utcnow().timestamp() * 1000) + 1)
        try:
            created = await self._redis.set(name, b"1", nx=True, pxat=expire_ms)
        except Exception as exc:
            raise ReplayCacheUnavailable(str(exc)) from exc
        return bool(created)

    async def close(self) -> None:
        await self._redis.aclose()


def make_replay_cache(redis_url: str, db: Database) -> ReplayCache:
    return RedisReplayCache(redis_url) if redis_url else DatabaseReplayCache(db)

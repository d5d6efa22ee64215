"""Rate limits per company and per token (fixed one-second windows), and per address
for SCIM requests whose token is missing or wrong (one-minute windows); counted in
Redis when ROSTER_REDIS_URL is set (shared by every worker) and in process otherwise.

Over the limit Roster answers 429 with an integer Retry-After, the only form Okta
honours (anything else makes it wait five minutes)."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, Protocol

from roster.logging import get_logger

log = get_logger("roster.ratelimit")


class Counter(Protocol):
    async def hit(self, key: str, window: int, *, ttl: int = 2) -> int: ...


class MemoryCounter:
    """Per-process windows; bounded so that many companies cannot grow it forever."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._counts: OrderedDict[tuple[str, int], int] = OrderedDict()
        self._max_keys = max_keys

    async def hit(self, key: str, window: int, *, ttl: int = 2) -> int:
        del ttl  # old windows are evicted by size
        slot = (key, window)
        count = self._counts.get(slot, 0) + 1
        self._counts[slot] = count
        self._counts.move_to_end(slot)
        while len(self._counts) > self._max_keys:
            self._counts.popitem(last=False)
        return count


class RedisCounter:
    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis: Any = redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._fallback = MemoryCounter()

    async def hit(self, key: str, window: int, *, ttl: int = 2) -> int:
        name = f"roster:rl:{key}:{window}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, ttl)
                count, _ = await pipe.execute()
            return int(count)
        except Exception as exc:  # Redis down: keep limiting, per process
            log.warning("rate limit store unavailable; limiting per process", error=str(exc))
            return await self._fallback.hit(key, window)


UNAUTHENTICATED_WINDOW = 60


class RateLimiter:
    def __init__(
        self, counter: Counter, *, per_company: int, per_token: int, unauthenticated: int = 0
    ) -> None:
        self.counter = counter
        self.per_company = per_company
        self.per_token = per_token
        self.unauthenticated = unauthenticated

    async def unauthenticated_request(self, address: str) -> int | None:
        """Count a request from `address` whose token was missing or wrong; the seconds
        to wait when the address sent too many this minute, else None."""
        if self.unauthenticated <= 0:
            return None
        now = int(time.time())
        window = now // UNAUTHENTICATED_WINDOW
        ttl = UNAUTHENTICATED_WINDOW + 1
        if await self.counter.hit(f"u:{address}", window, ttl=ttl) <= self.unauthenticated:
            return None
        return UNAUTHENTICATED_WINDOW - now % UNAUTHENTICATED_WINDOW

    async def check(self, tenant_id: int, token_id: str) -> int | None:
        """None when the request may proceed, else the seconds to wait."""
        now = time.time()
        window = int(now)
        retry_after = 1
        if self.per_token > 0 and await self.counter.hit(f"t:{token_id}", window) > self.per_token:
            return retry_after
        if (
            self.per_company > 0
            and await self.counter.hit(f"c:{tenant_id}", window) > self.per_company
        ):
            return retry_after
        return None


def make_limiter(
    redis_url: str, *, per_company: int, per_token: int, unauthenticated: int = 0
) -> RateLimiter:
    counter: Counter = RedisCounter(redis_url) if redis_url else MemoryCounter()
    return RateLimiter(
        counter, per_company=per_company, per_token=per_token, unauthenticated=unauthenticated
    )

"""The deliverer: a loop that, every poll (and whenever a delivery finishes),

1. fans out: each live endpoint whose company has events after its cursor gets a
   pending delivery per event its types take, and the cursor moves on, in one
   transaction per endpoint and batch (store/deliveries.py);
2. claims what is due, per endpoint at most as many as that endpoint's free places
   (ROSTER_WEBHOOK_PER_ENDPOINT) and in all at most the free places of the deliverer
   (ROSTER_WEBHOOK_CONCURRENCY), and of one resource only its earliest pending event;
3. sends each claimed delivery in its own task (messages.py signs it, sending.py
   posts it) and records the outcome (the outcomes of attempts that finish together
   in one transaction, `_record`): 2xx is delivered; anything else is retried after
   the next step of ROSTER_WEBHOOK_RETRY_SCHEDULE (with ±20% jitter, so that the
   retries of an endpoint that was down do not all land at once), and after the last
   step the delivery is dead.

Why this shape: a slow or dead endpoint can hold only its own places, so others'
deliveries keep going; nothing of this runs on a request's path (a SCIM write only
writes its events, in its own transaction, store/events.py); and the deliverer has its
own database connections, so it never takes one a request is waiting for. Several
deliverers may run against one database (claims skip one another's rows, see
store/deliveries.py). Delivery is at least once: a deliverer that dies mid-attempt
leaves a claim that expires (timeout + 60 s) and is taken again.

The same loop delivers both channels (store/deliveries.py): signed webhooks, and
Security Event Tokens to SET receivers (set_push.py: RFC 8935's request, and its 400
refusals, which are dead at once instead of retried). They share the places
(ROSTER_WEBHOOK_CONCURRENCY) and are claimed in turn, so neither can starve the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from roster.config import Settings
from roster.delivery.messages import body_of, headers_for
from roster.delivery.security_events import NothingToTell
from roster.delivery.sending import Attempt, Sender
from roster.delivery.set_push import SetPush, refusal
from roster.directory.sealing import Sealer
from roster.logging import get_logger
from roster.model.errors import DirectoryError
from roster.store import deliveries as store
from roster.store import delivery_outcomes as outcomes_store
from roster.store.db import Database
from roster.store.deliveries import CHANNELS, SET, Channel, Claim
from roster.store.delivery_outcomes import Outcome
from roster.store.types import utcnow

log = get_logger("roster.delivery")

TASK_NAME = "roster-webhook-deliverer"
FAN_OUT_BATCH = 1000  # events per fan-out transaction
DUE_ENDPOINTS = 500  # endpoints looked at per round
JITTER = 0.2
PURGE_EVERY_SECONDS = 600.0  # finished deliveries past the events' retention
Key = tuple[str, int, str]  # (channel, tenant id, endpoint id)


@dataclass
class Stats:
    delivered: int = 0
    retried: int = 0  # failed attempts that will be tried again
    dead: int = 0

    def __str__(self) -> str:
        return f"{self.delivered} delivered, {self.retried} retried, {self.dead} dead-lettered"


class Deliverer:
    def __init__(self, db: Database, settings: Settings, *, owns_db: bool = False) -> None:
        settings.check_webhooks()  # a SettingError names the variable to fix
        self.db = db
        self.owns_db = owns_db
        self.delays = settings.retry_delays()
        self.timeout = settings.webhook_timeout_seconds
        self.concurrency = settings.webhook_concurrency
        self.per_endpoint = settings.webhook_per_endpoint
        self.poll = settings.webhook_poll_seconds
        self.lease = timedelta(seconds=self.timeout + 60)
        self.retention = timedelta(days=settings.events_retention_days)
        self._purged_at = float("-inf")  # the first round purges
        self.sender = Sender(
            timeout=self.timeout,
            allow_private=settings.webhook_allow_private,
            connections=self.concurrency,
        )
        self.settings = settings
        self._set_push: SetPush | None = None  # made on the first SET (it reads the secret key)
        self.stats = Stats()
        # A claim holds its place from its claim until its outcome is written.
        self._in_flight: dict[asyncio.Task[None], Claim] = {}
        # Attempts made whose outcomes are not yet written, with their tasks.
        self._finished: list[tuple[asyncio.Task[None] | None, Claim, Outcome]] = []
        self._recording: asyncio.Task[None] | None = None
        self._busy: Counter[Key] = Counter()
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def with_own_connections(cls, database_url: str, settings: Settings) -> Deliverer:
        """A deliverer with its own small pool, never waiting for a connection a request
        needs, nor taking one. Small: its reads are one at a time, and its writes (one
        short transaction per attempt) take turns on two connections."""
        return cls(Database(database_url, pool_size=4), settings, owns_db=True)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.run(), name=TASK_NAME)
        log.info(
            "webhook deliverer started",
            concurrency=self.concurrency,
            per_endpoint=self.per_endpoint,
            retries=len(self.delays),
        )

    async def run(self) -> None:
        failures = 0
        while not self._stopping:
            self._wake.clear()
            try:
                more = await self.round()
                failures = 0
            except Exception:
                failures += 1
                log.exception("webhook delivery round failed; trying again", failures=failures)
                more = False
            if more:
                continue
            wait = self.poll if not failures else min(self.poll * 2**failures, 30.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def round(self) -> bool:
        """One fan-out and one claim; True if there is more to fan out right away."""
        more = await self._fan_out()
        await self._claim()
        if time.monotonic() - self._purged_at > PURGE_EVERY_SECONDS:
            self._purged_at = time.monotonic()
            await self.purge()
        return more

    async def purge(self) -> int:
        """Finished deliveries kept as long as their events (ROSTER_EVENTS_RETENTION_DAYS)."""
        purged = 0
        for channel in CHANNELS.values():
            async with self.db.write() as conn:
                purged += await outcomes_store.purge_finished(
                    conn, utcnow() - self.retention, channel
                )
        if purged:
            log.info("webhook deliveries purged", count=purged)
        return purged

    async def _fan_out(self) -> bool:
        more = False
        async with self.db.read() as conn:
            behind = await store.endpoints_behind(conn)
        for channel, tenant_id, endpoint_id in behind:
            if self._stopping:
                return more
            async with self.db.write() as conn:
                passed = await store.fan_out(
                    conn,
                    tenant_id,
                    endpoint_id,
                    batch=FAN_OUT_BATCH,
                    now=utcnow(),
                    channel=channel,
                )
            more = more or passed == FAN_OUT_BATCH
        return more

    async def _due(self) -> list[tuple[Channel, int, str]]:
        """Endpoints with a delivery due and a free place, the channels in turn."""
        async with self.db.read() as conn:
            found = await store.due_endpoints(conn, utcnow(), DUE_ENDPOINTS)
        lists = [[(CHANNELS[name], t, e) for t, e in keys] for name, keys in found.items()]
        turns = [key for row in itertools.zip_longest(*lists) for key in row if key is not None]
        return [(ch, t, e) for ch, t, e in turns if self._busy[(ch.name, t, e)] < self.per_endpoint]

    async def _claim(self) -> None:
        free = self.concurrency - len(self._in_flight)
        if free <= 0 or self._stopping:
            return
        due = await self._due()
        if not due:
            return
        claims: list[Claim] = []
        async with self.db.write() as conn:
            now = utcnow()
            for channel, tenant_id, endpoint_id in due:
                room = min(
                    self.per_endpoint - self._busy[(channel.name, tenant_id, endpoint_id)], free
                )
                if room <= 0:
                    continue
                taken = await store.claim(
                    conn,
                    tenant_id,
                    endpoint_id,
                    now=now,
                    until=now + self.lease,
                    limit=room,
                    channel=channel,
                )
                claims += taken
                free -= len(taken)
                if free <= 0:
                    break
        for c in claims:
            task = asyncio.get_running_loop().create_task(self._deliver(c))
            self._in_flight[task] = c
            self._busy[(c.channel, c.tenant_id, c.endpoint_id)] += 1

    async def _deliver(self, c: Claim) -> None:
        try:
            try:
                outcome = await self._attempt(c)
            except Exception as exc:
                # A fault of Roster's own (a body it cannot build, say) is a failed
                # attempt like any other: recorded, retried on the schedule, then dead,
                # instead of a claim expiring and being taken again for ever.
                log.exception("webhook attempt failed", endpoint=c.endpoint_id, event_id=c.event_id)
                error = f"not sent: Roster failed to send it ({type(exc).__name__})"
                outcome = self.outcome_of(c.attempts, Attempt(None, error, None))
        except asyncio.CancelledError:
            self._release_place(asyncio.current_task(), c)
            raise  # stop() gives the claim back
        self._finished.append((asyncio.current_task(), c, outcome))
        if self._recording is None or self._recording.done():
            self._recording = asyncio.get_running_loop().create_task(self._record())

    async def _record(self) -> None:
        """Writes the outcomes of the attempts that have finished, together in one
        transaction (under load, many: one commit instead of one per delivery), and only
        then frees their places, so a resource's next event is claimed once this one's
        outcome is written. Attempts finishing meanwhile wait for the next transaction."""
        while self._finished:
            batch, self._finished = self._finished, []
            try:
                async with self.db.write() as conn:
                    outcomes = [(c, outcome) for _, c, outcome in batch]
                    stood = await outcomes_store.record_outcomes(conn, outcomes, utcnow())
                for (_, c, outcome), stands in zip(batch, stood, strict=True):
                    if stands:
                        self._count(c, outcome)
            except Exception:
                # Not written: the claims stay until they expire, and then the
                # deliveries are tried again.
                log.exception("webhook outcomes not recorded", count=len(batch))
            finally:
                for task, c, _ in batch:
                    self._release_place(task, c)
                self._wake.set()  # places are free, and resources' next events may be due

    def _release_place(self, task: asyncio.Task[None] | None, c: Claim) -> None:
        if task is not None:
            self._in_flight.pop(task, None)
        self._busy[(c.channel, c.tenant_id, c.endpoint_id)] -= 1

    async def _attempt(self, c: Claim) -> Outcome:
        if c.event is None:
            return Outcome(False, None, "the event is no longer kept (retention)", None, None)
        if c.channel == SET:
            return await self._attempt_set(c)
        now = utcnow()
        secrets = [c.secret]
        if c.previous_secret and c.previous_secret_until and c.previous_secret_until > now:
            secrets.append(c.previous_secret)  # the rotation's grace period
        body = body_of(c.event, c.company)
        attempt = await self.sender.post(
            c.url, body, headers_for(secrets, c.event_id, int(time.time()), body)
        )
        return self.outcome_of(c.attempts, attempt)

    async def _attempt_set(self, c: Claim) -> Outcome:
        if self._set_push is None:
            sealer = Sealer.for_settings(self.settings)
            self._set_push = SetPush(self.db, sealer, self.settings.company_extension_urn)
        try:
            body, headers = await self._set_push.request(c, utcnow())
        except NothingToTell as exc:  # nothing to send: done, and said why
            return Outcome(True, None, None, f"not sent: {exc}", None)
        except DirectoryError as exc:  # a key that does not open here, say: retried
            return self.outcome_of(c.attempts, Attempt(None, f"not sent: {exc.message}", None))
        attempt = await self.sender.post(c.url, body, headers)
        refused = refusal(attempt)
        if refused is not None:  # RFC 8935 §2.4: sending it again cannot succeed
            return self.outcome_of(c.attempts, Attempt(400, refused, attempt.response), retry=False)
        return self.outcome_of(c.attempts, attempt)

    def outcome_of(self, made_before: int, attempt: Attempt, *, retry: bool = True) -> Outcome:
        """Delivered, or retried at the schedule's next step, or dead after its last
        (or at once, `retry` False)."""
        if attempt.delivered:
            return Outcome(True, attempt.status, None, attempt.response, None)
        retry_at = None
        if retry and made_before < len(self.delays):
            delay = self.delays[made_before] * random.uniform(1 - JITTER, 1 + JITTER)
            # A receiver that asked for a longer pause gets it; a shorter one does not
            # hurry the schedule. Either way the attempt counts as one of the schedule's.
            delay = max(delay, attempt.retry_after or 0.0)
            retry_at = utcnow() + timedelta(seconds=delay)
        return Outcome(False, attempt.status, attempt.error, attempt.response, retry_at)

    def _count(self, c: Claim, outcome: Outcome) -> None:
        if outcome.delivered:
            self.stats.delivered += 1
            return
        fields = {
            "channel": c.channel,
            "endpoint": c.endpoint_id,
            "event_id": c.event_id,
            "error": outcome.error,
        }
        if outcome.next_attempt_at is None:
            self.stats.dead += 1
            log.warning("webhook delivery dead-lettered", attempts=c.attempts + 1, **fields)
        else:
            self.stats.retried += 1
            log.info("webhook delivery will be retried", attempts=c.attempts + 1, **fields)

    async def stop(self, grace: float | None = None) -> None:
        """Stop claiming; let attempts under way finish (up to `grace` seconds, by default
        the timeout of one), and give back the claims of any still unfinished."""
        self._stopping = True
        self._wake.set()
        grace = self.timeout + 1 if grace is None else grace
        if self._task is not None:
            with contextlib.suppress(TimeoutError):  # wait_for cancelled the round
                await asyncio.wait_for(self._task, timeout=grace)
        unfinished: list[Claim] = []
        attempting = [t for t in self._in_flight if not t.done()]
        if attempting:
            _, still = await asyncio.wait(attempting, timeout=grace)
            unfinished = [self._in_flight[t] for t in still if t in self._in_flight]
            for task in still:
                task.cancel()
            await asyncio.gather(*still, return_exceptions=True)
        try:
            if self._recording is not None:
                await self._recording
            await self._record()  # attempts that finished after it
            if unfinished:
                async with self.db.write() as conn:
                    await outcomes_store.release(conn, unfinished)
        finally:
            await self.sender.close()
            if self.owns_db:
                await self.db.dispose()

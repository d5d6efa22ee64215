"""Database engines: SQLite (embedded default, WAL) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from roster import jsontext
from roster.store.events import discard_pending, flush_pending


class DatabaseURLError(ValueError):
    pass


def async_url(url: str) -> str:
    """Accept the URLs admins write and pick the async driver for them."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("postgresql+asyncpg://") or url.startswith("sqlite+aiosqlite://"):
        return url
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    raise DatabaseURLError(
        f"unsupported database URL {url.split('://', 1)[0]!r}: "
        "use sqlite:///PATH or postgresql://USER@HOST:PORT/DB"
    )


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite's own lower() folds ASCII only, so "Élodie" and "élodie" would differ in
    # filters on attributes compared without regard to case; Python's folds Unicode,
    # as PostgreSQL's does and as the *_lower columns are written.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    # Driver-level autocommit: transactions are begun explicitly below, so that
    # writers take the lock up front (BEGIN IMMEDIATE) instead of failing late.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    options = conn.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        return
    if options.get("roster_write"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def _jsonb_decode(data: bytes) -> Any:
    return jsontext.loads(data[1:])  # after jsonb's binary format version byte


def _jsonb_encode(text: str) -> bytes:
    return b"\x01" + text.encode()


def _pg_json_codecs(dbapi_connection: Any, _record: Any) -> None:
    # JSON is decoded straight from the driver's bytes by jsontext.loads: one call per
    # value instead of SQLAlchemy's codec and its wrappers (an import page decodes ~400
    # values). Binary format, as COPY needs. Writes pass the JSON text that the
    # columns' bind processing already rendered.
    codecs = (("json", str.encode, jsontext.loads), ("jsonb", _jsonb_encode, _jsonb_decode))
    for name, encode, decode in codecs:
        dbapi_connection.run_async(
            lambda connection, name=name, encode=encode, decode=decode: connection.set_type_codec(
                name, encoder=encode, decoder=decode, schema="pg_catalog", format="binary"
            )
        )


RANDOM_PAGE_COST = "1.1"


def make_engine(url: str, *, pool_size: int = 10, autocommit: bool = False) -> AsyncEngine:
    """An engine; `autocommit` engines serve reads: no BEGIN/COMMIT round trips and no
    rollback when a connection goes back to the pool."""
    full = async_url(url)
    options: dict[str, object] = {
        "json_deserializer": jsontext.loads,
        "json_serializer": jsontext.dumps,
    }
    if autocommit:
        options.update(isolation_level="AUTOCOMMIT", pool_reset_on_return=None)
    # A fixed pool: connections opened beyond it would be closed again on return, and
    # under steady load that churn costs more than waiting (pool_timeout -> 503).
    options["pool_timeout"] = 30
    if full.startswith("sqlite"):
        engine = create_async_engine(full, pool_size=pool_size, max_overflow=0, **options)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    engine = create_async_engine(
        full,
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=False,
        connect_args={
            "timeout": 10,
            "command_timeout": 50,
            # Roster's rows are read from memory or SSD, where a random read costs about
            # what a sequential one does; with PostgreSQL's default (4, for spinning
            # disks) an import page of a company of a few thousand people was a hash
            # join over all of them (5.8 ms) instead of 100 key lookups (1.6 ms).
            # Docs/decisions/0011.
            "server_settings": {"random_page_cost": RANDOM_PAGE_COST},
        },
        **options,
    )
    event.listen(engine.sync_engine, "connect", _pg_json_codecs)
    return engine


class Database:
    """The one engine of a process, with read and write transactions."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        # Writes are short and serialised per row; reads are most of Okta's traffic. A
        # worker holds at most pool_size * 1.5 connections in all.
        self.engine = make_engine(url, pool_size=max(2, pool_size // 2))
        self.read_engine = make_engine(url, pool_size=pool_size, autocommit=True)
        self.dialect = self.engine.dialect.name
        self._writer: asyncio.Lock | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def _one_writer(self) -> contextlib.AbstractAsyncContextManager[Any]:
        """SQLite has one writer at a time. Writers of this process queue here, in
        order, and each starts the moment the last one commits; left to SQLite's busy
        handler, a waiting writer sleeps and retries with growing pauses, and those
        sleeps were the 0.8-1.7 s p99 of PUT and PATCH. (Other processes on the same
        file still meet at SQLite's lock.)"""
        if not self.is_sqlite:
            return contextlib.nullcontext()
        if self._writer is None:
            self._writer = asyncio.Lock()
        return self._writer

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One transaction that writes; commits on success, rolls back on error. The
        change's events (store/events.py) are its last statements before the commit."""
        async with self._one_writer(), self.engine.connect() as conn:
            if self.is_sqlite:
                await conn.execution_options(roster_write=True)
            try:
                async with conn.begin():
                    yield conn
                    await flush_pending(conn)
            finally:
                discard_pending(conn)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """Reads without a transaction: each statement sees committed data, and the
        BEGIN/COMMIT round trips a snapshot would cost are saved (reads that must agree
        with each other are made one statement)."""
        async with self.read_engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncConnection]:
        """A consistent read-only snapshot over several statements."""
        async with self.engine.connect() as conn, conn.begin():
            yield conn

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
        await self.read_engine.dispose()


# SQLSTATE classes that mean "the database cannot serve now", not "the request is
# wrong": connection exceptions (08), insufficient resources such as too many
# connections (53), operator intervention such as a shutdown in progress (57P), and
# a transaction chosen as a deadlock or serialization victim (40P01, 40001): rolled
# back whole, so nothing was changed and a retry succeeds.
_UNAVAILABLE_SQLSTATES = ("08", "53", "57P", "40P01", "40001")


def is_unavailable(exc: Exception) -> bool:
    """True for a driver error that means the database cannot serve now (any door
    answers it with "retry later"), False for one that means the request is wrong."""
    orig = getattr(exc, "orig", None)
    driver = getattr(orig, "driver_exception", None)
    state = (
        getattr(orig, "sqlstate", None)
        or getattr(orig, "pgcode", None)
        or getattr(driver, "sqlstate", None)
    )
    return isinstance(state, str) and state.startswith(_UNAVAILABLE_SQLSTATES)

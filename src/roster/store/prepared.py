"""Hot statements: built once, compiled once per database, run with little overhead.

Every SCIM request runs a handful of small statements (the token, the person, the
uniqueness check, the write, the audit row). Building a SQLAlchemy statement, deriving
its cache key and running it through the engine's execution machinery costs two to
five times the database round trip itself (bench/FINDINGS.md). A `Prepared` statement
is still written with SQLAlchemy Core, so its SQL is the same on both databases, but:

- it is built once, at import time, with `sa.bindparam()` for every value;
- on PostgreSQL it is compiled once and run directly on the asyncpg connection that
  the SQLAlchemy connection holds (asyncpg prepares it once per connection), inside
  the same transaction, with SQLAlchemy's own bind and result type processing and
  its exception types (IntegrityError, OperationalError, ...);
- on SQLite it runs through SQLAlchemy (the prebuilt statement's compiled form is
  cached there), so both paths are exercised by the same tests.

Statement listeners (`before_cursor_execute`) still see every statement, so the tests
that count statements per request count these too.

The fence: this module is the only one that reaches into SQLAlchemy's private names,
and they are listed in `PRIVATE_NAMES` for a test (tests/test_prepared_fence.py) that
fails, naming the missing one, when an upgrade of SQLAlchemy (pinned in pyproject.toml)
renames or removes any of them, instead of the hot path breaking at run time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.base import Executable

# What this module relies on that SQLAlchemy does not publish, by where it lives.
PRIVATE_NAMES = {
    "sqlalchemy.sql.compiler.SQLCompiler": ("_bind_processors", "_result_columns"),
    "sqlalchemy.types.TypeEngine": ("_cached_result_processor", "_cached_bind_processor"),
    "sqlalchemy.engine.Connection": ("_has_events", "_dbapi_connection"),
    "sqlalchemy.engine.Engine": ("_has_events",),
    "sqlalchemy.engine.Row": ("_mapping",),
    "sqlalchemy.dialects.postgresql.asyncpg.AsyncAdapt_asyncpg_connection": (
        "_transaction",
        "_start_transaction",
        "_connection",
        "_handle_exception",
    ),
}

Row = dict[str, Any]
_Processor = Callable[[Any], Any] | None


class _Compiled:
    """A statement's SQL for one database, with how to pass parameters and read rows."""

    __slots__ = ("keys", "params", "processors", "sql")

    def __init__(self, statement: Any, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if compiled.positiontup is None:
            raise TypeError("prepared statements need a positional-parameter database")
        processors = compiled._bind_processors
        self.sql: str = compiled.string
        # (name, constant value or None, processor) per positional parameter
        self.params: list[tuple[str, Any, bool, _Processor]] = []
        for name in compiled.positiontup:
            bind = compiled.binds[name]
            if bind.expanding or bind.literal_execute:
                raise TypeError(f"parameter {name!r}: use = ANY(array) in prepared statements")
            constant = bind.callable is None and not bind.required
            self.params.append((name, bind.value, constant, processors.get(name)))
        self.keys: list[str] = [col.keyname for col in compiled._result_columns]
        self.processors: list[tuple[str, Callable[[Any], Any]]] = [
            (col.keyname, processor)
            for col in compiled._result_columns
            if (processor := col.type._cached_result_processor(dialect, None)) is not None
        ]

    def arguments(self, values: dict[str, Any]) -> list[Any]:
        out = []
        for name, constant, is_constant, processor in self.params:
            value = constant if is_constant else values[name]
            out.append(processor(value) if processor is not None and value is not None else value)
        return out

    def row(self, record: Any) -> Row:
        row = dict(zip(self.keys, record, strict=True))
        for key, processor in self.processors:
            row[key] = processor(row[key])
        return row


class Prepared:
    """One statement, or (`per_database`) a builder called once per database for
    statements whose SQL differs between them (JSON functions, arrays)."""

    def __init__(
        self,
        statement: Executable | None = None,
        *,
        per_database: Callable[[str], Executable] | None = None,
    ) -> None:
        if (statement is None) == (per_database is None):
            raise TypeError("give a statement or a per-database builder")
        self._statement = statement
        self._build = per_database
        self._statements: dict[str, Executable] = {}
        self._compiled: dict[str, _Compiled] = {}

    def statement(self, database: str) -> Executable:
        if self._statement is not None:
            return self._statement
        built = self._statements.get(database)
        if built is None:
            assert self._build is not None
            built = self._statements[database] = self._build(database)
        return built

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            statement = self.statement(dialect.name)
            compiled = self._compiled[dialect.name] = _Compiled(statement, dialect)
        return compiled

    async def all(self, conn: AsyncConnection, **values: Any) -> list[Row]:
        if conn.dialect.name != "postgresql":
            result = await conn.execute(self.statement(conn.dialect.name), values)
            return [dict(r._mapping) for r in result]
        compiled = self._for(conn.dialect)
        records = await _run(conn, compiled, values, fetch=True)
        return [compiled.row(r) for r in records]

    async def first(self, conn: AsyncConnection, **values: Any) -> Row | None:
        rows = await self.all(conn, **values)
        return rows[0] if rows else None

    async def scalar(self, conn: AsyncConnection, **values: Any) -> Any:
        row = await self.first(conn, **values)
        return next(iter(row.values())) if row else None

    async def execute(self, conn: AsyncConnection, **values: Any) -> int:
        """A statement without rows; returns how many rows it changed."""
        if conn.dialect.name != "postgresql":
            result = await conn.execute(self.statement(conn.dialect.name), values)
            return int(result.rowcount)
        status = await _run(conn, self._for(conn.dialect), values, fetch=False)
        count = str(status).rsplit(" ", 1)[-1]
        return int(count) if count.isdigit() else -1


def value_binds(table: sa.Table, columns: Sequence[str]) -> dict[str, Any]:
    """The VALUES / SET of a prepared insert or update: `column = :new_column` (a bind
    parameter may not be named like the column it writes)."""
    return {c: sa.bindparam(f"new_{c}", type_=table.c[c].type) for c in columns}


def value_args(values: dict[str, Any]) -> dict[str, Any]:
    """The arguments for value_binds' parameters."""
    return {f"new_{c}": v for c, v in values.items()}


_MEMO: dict[tuple[Any, ...], Prepared] = {}


def memoized(key: tuple[Any, ...], make: Callable[[], Prepared]) -> Prepared:
    """A statement whose shape varies (the columns an update sets, the page shape an
    identity provider asks for), prepared once per shape."""
    prepared = _MEMO.get(key)
    if prepared is None:
        prepared = _MEMO[key] = make()
    return prepared


async def _run(
    conn: AsyncConnection, compiled: _Compiled, values: dict[str, Any], *, fetch: bool
) -> Any:
    arguments = compiled.arguments(values)

    async def call(driver: Any) -> Any:
        if fetch:
            return await driver.fetch(compiled.sql, *arguments)
        return await driver.execute(compiled.sql, *arguments)

    return await _on_driver(conn, compiled.sql, arguments, call)


async def copy_rows(conn: AsyncConnection, table: sa.Table, rows: Sequence[Row]) -> None:
    """Many rows into one table in one round trip: a binary COPY on PostgreSQL (with
    the columns' bind processing), executemany elsewhere."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        await conn.execute(table.insert(), list(rows))
        return
    columns = [c.name for c in table.c]
    processors = _copy_processors(table, conn.dialect)
    records = [
        tuple(
            value if value is None or processor is None else processor(value)
            for value, processor in zip((row.get(c) for c in columns), processors, strict=True)
        )
        for row in rows
    ]
    sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN (FORMAT binary)"

    async def call(driver: Any) -> Any:
        return await driver.copy_records_to_table(table.name, records=records, columns=columns)

    await _on_driver(conn, sql, [len(records)], call)


_COPY_PROCESSORS: dict[tuple[str, str], list[_Processor]] = {}


def _copy_processors(table: sa.Table, dialect: Dialect) -> list[_Processor]:
    key = (table.name, dialect.name)
    processors = _COPY_PROCESSORS.get(key)
    if processors is None:
        processors = _COPY_PROCESSORS[key] = [
            column.type._cached_bind_processor(dialect) for column in table.c
        ]
    return processors


async def _on_driver(
    conn: AsyncConnection,
    sql: str,
    arguments: Sequence[Any],
    call: Callable[[Any], Awaitable[Any]],
) -> Any:
    """Runs `call(asyncpg connection)` in the SQLAlchemy connection's transaction,
    seen by statement listeners, with SQLAlchemy's exception types."""
    sync = conn.sync_connection
    assert sync is not None
    if sync._has_events or sync.engine._has_events:
        sync.dispatch.before_cursor_execute(sync, None, sql, arguments, None, False)
    # The connection is checked out already: reading it needs no greenlet hop.
    fairy = sync._dbapi_connection or await conn.get_raw_connection()
    adapted: Any = fairy.dbapi_connection
    try:
        # A write transaction is begun by the first statement that needs it, as
        # SQLAlchemy's own cursor would.
        if adapted._transaction is None and adapted.isolation_level != "autocommit":
            await adapted._start_transaction()
        return await call(adapted._connection)
    except Exception as error:
        raise await _translated(conn, adapted, sql, arguments, error) from error


async def _translated(
    conn: AsyncConnection, adapted: Any, sql: str, arguments: Sequence[Any], error: Exception
) -> BaseException:
    """The exception SQLAlchemy itself would raise for this driver error."""
    if isinstance(error, sa.exc.SQLAlchemyError):
        return error
    try:
        adapted._handle_exception(error)
    except Exception as dbapi_error:
        dialect = conn.dialect
        invalidated = dialect.is_disconnect(dbapi_error, adapted, None)  # type: ignore[arg-type]
        if invalidated:
            await conn.invalidate()
        return sa.exc.DBAPIError.instance(
            sql,
            list(arguments),
            dbapi_error,
            dialect.loaded_dbapi.Error,
            connection_invalidated=invalidated,
            dialect=dialect,
        )
    return error  # pragma: no cover - _handle_exception always raises

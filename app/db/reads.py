"""How reads run: one typed interface, two ways, chosen in one place (:func:`read_path`).

- ``asyncpg``: Postgres reached directly (``DAGPORT_DB_POOLER=none``, the default). Reads run on a
  pool of plain asyncpg connections, outside any transaction, with the SQL SQLAlchemy compiled
  once per statement: a lookup skips SQLAlchemy's per-execution work, which cost more than the
  query's round trip on the hot lookups. The pool belongs to the engine: opened on the first
  read, terminated when the engine is disposed.
- ``core``: SQLite, or Postgres behind PgBouncer (``DAGPORT_DB_POOLER=pgbouncer``), where a
  prepared statement must not outlive a transaction. Reads run through SQLAlchemy Core on the
  engine's pool, in autocommit where that is safe (not through PgBouncer's transaction pooling).

Both return rows as sequences read by position; repositories turn them into typed results. Both
also stream a statement's rows in chunks (:meth:`Reader.stream`), for answers too long to hold:
an asyncpg cursor inside a read-only transaction, or SQLAlchemy's server-side cursor (``stream``).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncGenerator, Sequence
from typing import Any, Literal, Protocol

import asyncpg
import orjson
from sqlalchemy import event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler

from app.config import Settings

ReadPath = Literal["asyncpg", "core"]


def read_path(settings: Settings) -> ReadPath:
    """The one decision between the two ways of reading (see the module docstring)."""
    if settings.is_sqlite or settings.behind_pgbouncer:
        return "core"
    return "asyncpg"


class Reader(Protocol):
    """Runs a prebuilt SELECT and returns its rows, read by position."""

    async def rows(self, stmt: Executable, params: dict[str, Any]) -> Sequence[Sequence[Any]]: ...

    def stream(
        self, stmt: Executable, params: dict[str, Any], size: int
    ) -> AsyncGenerator[Sequence[Sequence[Any]]]:
        """The rows in chunks of at most ``size``, each fetched when the previous one is taken: one
        statement, one snapshot. Close the iterator (``aclose``) to end it early."""
        ...


class CoreReader:
    """Reads through SQLAlchemy Core on the unit of work's connection."""

    __slots__ = ("conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def rows(self, stmt: Executable, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        return (await self.conn.execute(stmt, params)).all()

    async def stream(
        self, stmt: Executable, params: dict[str, Any], size: int
    ) -> AsyncGenerator[Sequence[Sequence[Any]]]:
        result = await self.conn.stream(stmt, params)
        try:
            async for chunk in result.partitions(size):
                yield chunk
        finally:
            await result.close()


class _Compiled:
    __slots__ = ("defaults", "params", "sql", "stmt")

    def __init__(self, stmt: Executable, dialect: Dialect) -> None:
        compiled = stmt.compile(dialect=dialect) if isinstance(stmt, ClauseElement) else None
        if not isinstance(compiled, SQLCompiler):  # every statement dagport builds compiles to one
            raise TypeError(f"not a SQL statement: {type(stmt).__name__}")
        self.stmt = stmt  # kept alive: the cache below is keyed by its identity
        self.sql = compiled.string
        self.params = tuple(compiled.positiontup or ())
        self.defaults = dict(compiled.params)  # values bound in the statement itself, e.g. LIMIT 1


class AsyncpgReader:
    """Reads on a plain asyncpg connection, statements compiled once per process.

    Only for statements built once (module level or an lru_cache): the compiled form is cached by
    the statement's identity. Values come back as SQLAlchemy would hand them: timestamptz as
    aware UTC datetimes, JSON decoded (the pool registers the codec).
    """

    __slots__ = ("conn", "dialect")
    _compiled: dict[int, _Compiled] = {}  # noqa: RUF012 (one cache per process, on purpose)

    def __init__(self, conn: asyncpg.Connection, dialect: Dialect) -> None:
        self.conn = conn
        self.dialect = dialect

    def _bound(self, stmt: Executable, params: dict[str, Any]) -> tuple[str, list[Any]]:
        compiled = self._compiled.get(id(stmt))
        if compiled is None or compiled.stmt is not stmt:
            compiled = self._compiled[id(stmt)] = _Compiled(stmt, self.dialect)
        defaults = compiled.defaults
        return compiled.sql, [params[p] if p in params else defaults[p] for p in compiled.params]

    async def rows(self, stmt: Executable, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        sql, values = self._bound(stmt, params)
        records: Sequence[Sequence[Any]] = await self.conn.fetch(sql, *values)
        return records

    async def stream(
        self, stmt: Executable, params: dict[str, Any], size: int
    ) -> AsyncGenerator[Sequence[Sequence[Any]]]:
        sql, values = self._bound(stmt, params)
        # An asyncpg cursor lives in a transaction: a read-only one, ended with the stream.
        async with self.conn.transaction(readonly=True):
            cursor = await self.conn.cursor(sql, *values)
            while chunk := await cursor.fetch(size):
                yield chunk


async def _no_reset(_conn: asyncpg.Connection) -> None:
    """Reads change no session state: a released connection needs no RESET ALL round trip
    (asyncpg still rolls back a transaction left open and waits out a cancelled query)."""


async def _register_json(conn: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name, encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads, schema="pg_catalog"
        )


_pools: weakref.WeakKeyDictionary[Any, asyncpg.Pool] = weakref.WeakKeyDictionary()
_pool_locks: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


async def asyncpg_pool(engine: AsyncEngine, settings: Settings) -> asyncpg.Pool:
    """The engine's pool of read connections (as many as the engine's pool may hold), opened on first use."""
    key = engine.sync_engine
    pool = _pools.get(key)
    if pool is not None:
        return pool
    lock = _pool_locks.setdefault(key, asyncio.Lock())
    async with lock:
        pool = _pools.get(key)
        if pool is None:
            url = engine.url.set(drivername="postgresql")
            pool = await asyncpg.create_pool(
                url.render_as_string(hide_password=False),
                min_size=0,
                max_size=settings.db_connection_limit,
                statement_cache_size=settings.db_statement_cache_size,
                command_timeout=30,
                server_settings={"application_name": "dagport"},
                init=_register_json,
                reset=_no_reset,
            )
            _pools[key] = pool
            event.listen(key, "engine_disposed", _terminate_read_pool)
    return pool


def _terminate_read_pool(engine: Any) -> None:
    pool = _pools.pop(engine, None)
    if pool is not None:
        pool.terminate()


def read_pool_in_use(engine: AsyncEngine) -> tuple[int, int] | None:
    """(in use, idle) connections of the engine's read pool, if it has one open."""
    pool = _pools.get(engine.sync_engine)
    if pool is None:
        return None
    size, idle = pool.get_size(), pool.get_idle_size()
    return size - idle, idle

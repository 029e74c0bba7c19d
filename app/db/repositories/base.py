"""What every repository shares: the request's connection, dialect-aware statements, fast reads."""

from __future__ import annotations

import asyncio
from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import Executable
from sqlalchemy.util import greenlet_spawn

from app.errors import UNAVAILABLE_SQLSTATE_CLASSES, ServiceUnavailable, sqlstate_of

FINISHED_TI_STATES = ("success", "failed", "skipped", "upstream_failed")
FAILED_TI_STATES = ("failed", "upstream_failed")


@dataclass(slots=True)
class _RawStatement:
    sql: str
    params: tuple[str, ...]
    defaults: dict[str, Any]  # values bound in the statement itself, e.g. LIMIT 1
    row_type: Any = None  # a namedtuple of the result's columns, made from the first result

    def rows(self, records: list[asyncpg.Record]) -> list[Any]:
        """``records`` as rows whose columns read as attributes, like SQLAlchemy's Row.

        A namedtuple's attributes are read in C; an asyncpg.Record subclass with a Python
        ``__getattr__`` took ~0.5 us an attribute (11.4 us for the 22 fields of a task instance,
        against 0.5 us to make the namedtuple and 0.4 us to read them all).
        """
        if not records:
            return records
        row_type = self.row_type
        if row_type is None:
            row_type = self.row_type = namedtuple("Row", records[0].keys())
        make = row_type._make
        return [make(r) for r in records]


_raw_statements: dict[int, tuple[Executable, _RawStatement]] = {}


def _raw_statement(stmt: Executable, dialect: Dialect) -> _RawStatement:
    """The SQL SQLAlchemy compiles for ``stmt`` (once per process), for asyncpg to run directly.

    Only for statements built once (module level or an lru_cache): the cache is keyed by identity.
    """
    cached = _raw_statements.get(id(stmt))
    if cached is not None and cached[0] is stmt:
        return cached[1]
    compiled = stmt.compile(dialect=dialect)
    raw = _RawStatement(compiled.string, tuple(compiled.positiontup or ()), dict(compiled.params))
    _raw_statements[id(stmt)] = (stmt, raw)
    return raw


def _disconnect(exc: asyncpg.PostgresError) -> bool:
    return (sqlstate_of(exc) or "")[:2] in UNAVAILABLE_SQLSTATE_CLASSES


class RawConnection:
    """A pooled Postgres connection for reads, checked out of SQLAlchemy's pool without a
    SQLAlchemy ``Connection`` around it.

    ``engine.connect()`` builds a Connection, applies and resets the AUTOCOMMIT option and runs
    the pool events on every checkout: 87 us a request, measured; the pool's own checkout and
    checkin cost 21 us. Statements run on asyncpg directly (``Repository.fetch_all``), outside
    any transaction, so the pool's reset on return has nothing to roll back. Same pool, same
    size limit, same invalidation as every other connection.
    """

    __slots__ = ("_fairy", "dialect", "driver")

    def __init__(self, fairy: PoolProxiedConnection, dialect: Dialect) -> None:
        self._fairy: PoolProxiedConnection | None = fairy
        self.dialect = dialect
        self.driver: asyncpg.Connection = fairy.driver_connection

    @classmethod
    async def checkout(cls, engine: AsyncEngine) -> RawConnection:
        dialect = engine.dialect
        dbapi_error = dialect.loaded_dbapi.Error
        try:
            return cls(await engine.raw_connection(), dialect)
        except dbapi_error as exc:
            # The pool raises the driver's own error (a Connection would have wrapped it): wrap it
            # the same way, so a refused or lost connection is handled as everywhere else (503).
            raise DBAPIError.instance(
                None,
                None,
                exc,
                dbapi_error,
                connection_invalidated=dialect.is_disconnect(exc, None, None),
                dialect=dialect,
            ) from exc

    async def release(self) -> None:
        fairy, self._fairy = self._fairy, None
        if fairy is not None:
            # In a greenlet: a checkin may close the connection (overflow beyond the pool size).
            await greenlet_spawn(fairy.close)

    def invalidate(self) -> None:
        """Close the connection at once (no I/O: it may be mid-protocol) and forget it in the pool."""
        fairy, self._fairy = self._fairy, None
        if fairy is not None:
            fairy.invalidate()


class Repository:
    """A repository works inside the caller's transaction: it may flush, never commit.

    It runs on the request's connection: a SQLAlchemy ``AsyncConnection`` (writes; every read on
    SQLite or through PgBouncer), or a :class:`RawConnection` (reads on Postgres), which only
    ``fetch_all`` and its helpers can use.
    """

    def __init__(self, conn: AsyncConnection | RawConnection) -> None:
        self.conn: Any = conn

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name

    def insert(self, table: Table) -> Any:
        """An INSERT that supports ``on_conflict_*`` on both databases."""
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    async def fetch_all(self, stmt: Executable, params: dict[str, Any]) -> list[Any]:
        """Rows of a prebuilt SELECT; columns read as attributes.

        On a :class:`RawConnection` the statement runs on asyncpg directly with the SQL
        SQLAlchemy compiled once: SQLAlchemy's execution machinery cost more than the query's
        round trip on the hot lookups (120 us against 45 us a call, measured on one connection).
        Values are the same: asyncpg returns timestamptz as aware UTC datetimes, and SQLAlchemy
        registered its JSON codec (our deserializer) on the connection, so JSON columns arrive
        decoded.
        """
        return await self._fetch(stmt, params, attributes=True)

    async def fetch_rows(self, stmt: Executable, params: dict[str, Any]) -> list[Sequence[Any]]:
        """:meth:`fetch_all` for big results read by position: asyncpg's own records as they come
        (a 1,000-run listing reads five columns of each by index; no row type is made)."""
        return await self._fetch(stmt, params, attributes=False)

    async def _fetch(self, stmt: Executable, params: dict[str, Any], *, attributes: bool) -> list[Any]:
        conn = self.conn
        if not isinstance(conn, RawConnection):
            return list((await conn.execute(stmt, params)).all())
        raw = _raw_statement(stmt, conn.dialect)
        values = [params[p] if p in params else raw.defaults[p] for p in raw.params]
        try:
            records = await conn.driver.fetch(raw.sql, *values)
        except asyncio.CancelledError:
            # Cancelled mid-query (the client went away): the connection is mid-protocol and must
            # not go back to the pool, or the next request on it fails ("another operation is in
            # progress").
            conn.invalidate()
            raise
        except (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError) as exc:
            # SQLAlchemy never saw this call: tell its pool the connection is gone when it is, so
            # the next request gets a fresh one, and answer 503 rather than 500.
            if isinstance(exc, asyncpg.PostgresError) and not _disconnect(exc):
                raise
            conn.invalidate()
            raise ServiceUnavailable() from exc
        return raw.rows(records) if attributes else records

    async def fetch_one(self, stmt: Executable, params: dict[str, Any]) -> Any | None:
        rows = await self.fetch_all(stmt, params)
        return rows[0] if rows else None

    async def fetch_scalar(self, stmt: Executable, params: dict[str, Any]) -> Any | None:
        """The first column of the first row, or ``None``."""
        row = await self.fetch_one(stmt, params)
        return None if row is None else row[0]

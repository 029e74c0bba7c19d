"""What every repository shares: the request's connection, dialect-aware statements, fast reads."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable

from app.errors import UNAVAILABLE_SQLSTATE_CLASSES, ServiceUnavailable, sqlstate_of

FINISHED_TI_STATES = ("success", "failed", "skipped", "upstream_failed")
FAILED_TI_STATES = ("failed", "upstream_failed")

# Execution option set on the read engine (app/main.py) when reads may go straight to asyncpg.
RAW_READS = "dagport_raw_reads"


class Record(asyncpg.Record):
    """An asyncpg record whose columns also read as attributes, like SQLAlchemy's Row."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True, slots=True)
class _RawStatement:
    sql: str
    params: tuple[str, ...]
    defaults: dict[str, Any]  # values bound in the statement itself, e.g. LIMIT 1


_raw_statements: dict[int, tuple[Executable, _RawStatement]] = {}


def _raw_statement(stmt: Executable, conn: AsyncConnection) -> _RawStatement:
    """The SQL SQLAlchemy compiles for ``stmt`` (once per process), for asyncpg to run directly."""
    cached = _raw_statements.get(id(stmt))
    if cached is not None and cached[0] is stmt:
        return cached[1]
    compiled = stmt.compile(dialect=conn.dialect)
    raw = _RawStatement(compiled.string, tuple(compiled.positiontup or ()), dict(compiled.params))
    _raw_statements[id(stmt)] = (stmt, raw)
    return raw


def _disconnect(exc: asyncpg.PostgresError) -> bool:
    return (sqlstate_of(exc) or "")[:2] in UNAVAILABLE_SQLSTATE_CLASSES


class Repository:
    """A repository works inside the caller's transaction: it may flush, never commit."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name

    def insert(self, table: Table) -> Any:
        """An INSERT that supports ``on_conflict_*`` on both databases."""
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    async def fetch_all(self, stmt: Executable, params: dict[str, Any]) -> list[Any]:
        """Rows of a prebuilt SELECT; columns read as attributes.

        On a read connection to Postgres (not through PgBouncer) the statement runs on asyncpg
        directly with the SQL SQLAlchemy compiled once: SQLAlchemy's execution machinery cost
        more than the query's round trip on the hot lookups (120 us against 45 us a call,
        measured on one connection). Values are the same: asyncpg returns timestamptz as aware
        UTC datetimes, and SQLAlchemy registered its JSON codec (our deserializer) on the
        connection, so JSON columns arrive decoded.
        """
        sync = self.conn.sync_connection
        if sync is None or not sync.get_execution_options().get(RAW_READS):
            return list((await self.conn.execute(stmt, params)).all())
        raw = _raw_statement(stmt, self.conn)
        driver = (await self.conn.get_raw_connection()).driver_connection
        values = [params[p] if p in params else raw.defaults[p] for p in raw.params]
        try:
            return await driver.fetch(raw.sql, *values, record_class=Record)
        except asyncio.CancelledError:
            # Cancelled mid-query (the client went away): the connection is mid-protocol and must
            # not go back to the pool, or the next request on it fails ("another operation is in
            # progress").
            driver.terminate()
            with contextlib.suppress(Exception):
                await asyncio.shield(self.conn.invalidate())
            raise
        except (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError) as exc:
            # SQLAlchemy never saw this call: tell its pool the connection is gone when it is, so
            # the next request gets a fresh one, and answer 503 rather than 500.
            if isinstance(exc, asyncpg.PostgresError) and not _disconnect(exc):
                raise
            await self.conn.invalidate()
            raise ServiceUnavailable() from exc

    async def fetch_one(self, stmt: Executable, params: dict[str, Any]) -> Any | None:
        rows = await self.fetch_all(stmt, params)
        return rows[0] if rows else None

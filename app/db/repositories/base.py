"""What every repository shares: the unit of work's reader and, when writing, its connection."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable

from app.db.reads import Reader


class Repository:
    """SQL for one resource, inside the caller's unit of work: it may flush, never commit.

    Reads go through ``reader`` (``app/db/reads.py``); writes need ``conn``, the writing unit of
    work's transaction, which a reading unit of work does not have.
    """

    __slots__ = ("_conn", "dialect", "reader")

    def __init__(self, reader: Reader, conn: AsyncConnection | None, dialect: str) -> None:
        self.reader = reader
        self._conn = conn
        self.dialect = dialect

    @property
    def conn(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("a write inside a reading unit of work")
        return self._conn

    def insert(self, table: Table) -> Any:
        """An INSERT that supports ``on_conflict_*`` on both databases."""
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    async def rows(self, stmt: Executable, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        return await self.reader.rows(stmt, params)

    async def first(self, stmt: Executable, params: dict[str, Any]) -> Sequence[Any] | None:
        rows = await self.reader.rows(stmt, params)
        return rows[0] if rows else None

    async def scalar(self, stmt: Executable, params: dict[str, Any]) -> Any | None:
        """The first column of the first row, or ``None``."""
        row = await self.first(stmt, params)
        return None if row is None else row[0]

"""What every repository shares: the request's connection and dialect-aware statements."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

FINISHED_TI_STATES = ("success", "failed", "skipped", "upstream_failed")
FAILED_TI_STATES = ("failed", "upstream_failed")


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

"""Secrets dagport makes for itself, kept in its own database (table ``secret_key``).

A secret that every worker and replica of one deployment must share (the key that signs
``/api/v1``'s file tokens, when ``DAGPORT_SECRET_KEY`` does not give it) is made by whichever
process first needs it and read by all the others: INSERT ... ON CONFLICT DO NOTHING, then the
stored value, in one transaction, so concurrent first uses agree on one value. A value is never
changed; a worker reads it once and keeps it (app/services/v1/file_tokens.py).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.db.backend import Database
from app.db.models import secret_key as t


class SecretKeys(Database):
    """The secrets, through units of work like every access to dagport's tables (the pool gate,
    database failures as domain errors)."""

    def __init__(self, engine: AsyncEngine, settings: Settings) -> None:
        super().__init__(engine, settings)
        self._insert = pg_insert if self.dialect == "postgresql" else sqlite_insert

    async def secret(self, name: str, make: Callable[[], str]) -> str:
        """The stored value of ``name``; ``make()`` is stored first if there is none. A database
        failure is a domain error (``Unavailable`` for an outage)."""
        async with self.writing() as store:
            assert store.conn is not None  # a writing unit of work has its connection
            await store.conn.execute(self._insert(t).values(name=name, value=make()).on_conflict_do_nothing())
            value = (await store.conn.execute(select(t.c.value).where(t.c.name == name))).scalar_one()
        return str(value)

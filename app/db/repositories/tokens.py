"""API tokens: only a SHA-256 hash of each is stored."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db.models import api_token
from app.db.reads import CoreReader
from app.db.repositories.base import Repository


@dataclass(frozen=True, slots=True)
class TokenInfo:
    name: str
    created_at: datetime


class TokenRepository(Repository):
    """Tokens, on a plain SQLAlchemy connection (the CLI's and the token store's)."""

    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(CoreReader(conn), conn, conn.dialect.name)

    async def create(self, *, name: str, token_hash: str, now: datetime) -> bool:
        """False when the name is taken."""
        inserted = await self.conn.scalar(
            self.insert(api_token)
            .values(name=name, token_hash=token_hash, created_at=now)
            .on_conflict_do_nothing()
            .returning(api_token.c.id)
        )
        return inserted is not None

    async def list(self) -> list[TokenInfo]:
        rows = await self.rows(
            select(api_token.c.name, api_token.c.created_at).order_by(api_token.c.name), {}
        )
        return [TokenInfo(*row) for row in rows]

    async def revoke(self, *, name: str) -> bool:
        result = await self.conn.execute(delete(api_token).where(api_token.c.name == name))
        return result.rowcount > 0

    async def hashes(self) -> builtins.list[str]:
        return [row[0] for row in await self.rows(select(api_token.c.token_hash), {})]

    async def count(self) -> int:
        return len(await self.hashes())

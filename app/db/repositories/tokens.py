"""API tokens: only a SHA-256 hash of each is stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select

from app.db.models import api_token
from app.db.repositories.base import Repository


class TokenRepository(Repository):
    async def create(self, *, name: str, token_hash: str, now: datetime) -> bool:
        """False when the name is taken."""
        inserted = await self.conn.scalar(
            self.insert(api_token)
            .values(name=name, token_hash=token_hash, created_at=now)
            .on_conflict_do_nothing()
            .returning(api_token.c.id)
        )
        return inserted is not None

    async def list(self) -> list[Row[Any]]:
        return list(
            (
                await self.conn.execute(
                    select(api_token.c.name, api_token.c.created_at).order_by(api_token.c.name)
                )
            ).all()
        )

    async def revoke(self, *, name: str) -> bool:
        result = await self.conn.execute(delete(api_token).where(api_token.c.name == name))
        return result.rowcount > 0

    async def hashes(self) -> list[str]:
        return list((await self.conn.scalars(select(api_token.c.token_hash))).all())

    async def count(self) -> int:
        return len(await self.hashes())

"""API tokens in dagport's database (docs/api.md section 6): made, stored as a SHA-256 hash only,
listed, revoked, and read back for the token store (app/auth.py).

Each operation is one connection of the engine it is given, taken and returned here, so neither
the CLI nor the token store sees a SQLAlchemy type. The SQL is :class:`TokenRepository`'s.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from app.core import messages
from app.dates import utcnow
from app.db.failures import READ_FAILURES
from app.db.repositories.tokens import TokenInfo, TokenRepository
from app.errors import Unavailable


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "dp_" + secrets.token_urlsafe(32)


async def create_token(
    engine: AsyncEngine, name: str, deliver: Callable[[str], None] | None = None
) -> str | None:
    """A new token named ``name``, or None if the name is taken. ``deliver`` is called with the
    token before the transaction commits: if it raises, no token is stored."""
    token = new_token()
    async with engine.begin() as conn:
        created = await TokenRepository(conn).create(name=name, token_hash=hash_token(token), now=utcnow())
        if created and deliver is not None:
            deliver(token)
    return token if created else None


async def list_tokens(engine: AsyncEngine) -> list[TokenInfo]:
    """The stored tokens' names and creation times, by name."""
    async with engine.connect() as conn:
        return await TokenRepository(conn).list()


async def revoke_token(engine: AsyncEngine, name: str) -> bool:
    """False when no token has that name."""
    async with engine.begin() as conn:
        return await TokenRepository(conn).revoke(name=name)


async def has_tokens(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        return await TokenRepository(conn).count() > 0


async def read_token_hashes(engine: AsyncEngine, *, within: float) -> list[str]:
    """Every stored token's hash, read in at most ``within`` seconds (connecting included).

    Fails closed: whatever keeps the table from being read (the database down, refusing, too slow,
    the table missing) is :class:`Unavailable`, with the driver's exception as its cause."""
    try:
        async with asyncio.timeout(within), engine.connect() as conn:
            return await TokenRepository(conn).hashes()
    except READ_FAILURES as exc:
        raise Unavailable(messages.failure(exc)) from exc

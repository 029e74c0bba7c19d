"""Token authentication (docs/api.md section 6).

Tokens are checked against an in-memory set of SHA-256 digests: one hash of the presented token
per request, never a database round trip. The set is reloaded from the database every
``DAGPORT_TOKEN_CACHE_SECONDS`` (so a revoked token stops working within that time) and, at most
once a second, when an unknown token is presented (so a new token works at once).

While the database cannot be read, the tokens known so far keep working (the request itself then
meets the outage and answers 503, or succeeds once the database is back) and an unknown token is
503 rather than 401: it cannot be checked. A failed reload is retried at most once a second.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Iterable

import asyncpg
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.repositories.tokens import TokenRepository
from app.errors import Unavailable

log = logging.getLogger(__name__)

# What reading the token table raises when the database is down, refusing or too slow.
_UNAVAILABLE = (OSError, TimeoutError, SQLAlchemyError, asyncpg.PostgresError, asyncpg.InterfaceError)

MISS_RELOAD_INTERVAL = 1.0


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "dp_" + secrets.token_urlsafe(32)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class TokenStore:
    def __init__(self, engine: AsyncEngine, env_tokens: Iterable[str], ttl: float) -> None:
        self._engine = engine
        self._env = tuple(_digest(t) for t in env_tokens)
        self._db: tuple[bytes, ...] = ()
        self._ttl = ttl
        self._loaded_at = float("-inf")
        self._failed_at = float("-inf")
        self._lock = asyncio.Lock()

    async def reload(self) -> None:
        async with self._engine.connect() as conn:
            hashes = await TokenRepository(conn).hashes()
        self._db = tuple(bytes.fromhex(h) for h in hashes)
        self._loaded_at = time.monotonic()

    async def _reload_if_older_than(self, age: float) -> bool:
        """Reload when the set is older than ``age``; False if the database could not be read
        (now, or less than a second ago)."""
        if time.monotonic() - self._loaded_at <= age:
            return True
        async with self._lock:
            if time.monotonic() - self._loaded_at <= age:
                return True
            if time.monotonic() - self._failed_at < MISS_RELOAD_INTERVAL:
                return False
            try:
                await self.reload()
            except _UNAVAILABLE as exc:
                self._failed_at = time.monotonic()
                log.warning("API tokens could not be reloaded: %s: %s", type(exc).__name__, exc)
                return False
            return True

    def _known(self, digest: bytes) -> bool:
        # Compare against every known digest without stopping early: constant in the token's content.
        found = False
        for known in self._env + self._db:
            found |= hmac.compare_digest(digest, known)
        return found

    async def is_valid(self, token: str) -> bool:
        """Whether the token is accepted; :class:`Unavailable` when it is unknown and the
        database, which might hold it, cannot be read."""
        await self._reload_if_older_than(self._ttl)
        digest = _digest(token)
        if self._known(digest):
            return True
        if not await self._reload_if_older_than(MISS_RELOAD_INTERVAL):
            raise Unavailable()
        return self._known(digest)


def credentials_from(authorization: str | None) -> str | None:
    """The token from ``Bearer <token>`` or from the password of ``Basic base64(user:token)``."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "bearer" and value:
        return value
    if scheme == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        _, sep, password = decoded.partition(":")
        return password if sep and password else None
    return None

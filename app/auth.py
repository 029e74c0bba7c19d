"""Token authentication (docs/api.md section 6).

Tokens are checked against in-memory sets of SHA-256 digests: one hash of the presented token per
request, never a database round trip on the way. Tokens from ``DAGPORT_API_TOKENS`` are always
known. The set of stored tokens is reloaded from the database when it is older than
``DAGPORT_TOKEN_CACHE_SECONDS`` (so a revoked token stops working within that time) and, at most
once a second, when an unknown token is presented (so a new token works at once).

Reloads never queue behind the requests' pool: the store reads through an engine of its own
(``create_app`` gives it one without a pool, so each reload opens one connection and closes it),
one reload at a time, each bounded by ``DAGPORT_TOKEN_RELOAD_TIMEOUT`` (connecting included).
A request waits for a reload only when the set is due for one.

Fail closed: a stored token is accepted only while the set holding it was read within
``TOKEN_CACHE_SECONDS``. While reloads fail, every stored token, and any unknown token (it may be
a new stored one), is 503 ``Cannot verify credentials`` with ``Retry-After``: never accepted on
the strength of an old read, never 401. Tokens from ``DAGPORT_API_TOKENS`` are checked without
the database and keep working. A failed reload is retried at most once a second.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import logging
import time
from collections.abc import Iterable

from app.core import messages
from app.db.engine import Engine
from app.db.tokens import read_token_hashes
from app.errors import Unavailable

log = logging.getLogger(__name__)

MISS_RELOAD_INTERVAL = 1.0


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _member(digest: bytes, known: tuple[bytes, ...]) -> bool:
    # Compare against every digest without stopping early: constant in the token's content.
    found = False
    for candidate in known:
        found |= hmac.compare_digest(digest, candidate)
    return found


class TokenStore:
    def __init__(
        self, engine: Engine, env_tokens: Iterable[str], ttl: float, *, reload_timeout: float = 2.0
    ) -> None:
        self._engine = engine  # its own (see the module docstring), not the requests' pool
        self._env = tuple(_digest(t) for t in env_tokens)
        self._db: tuple[bytes, ...] = ()
        self._ttl = ttl
        self._reload_timeout = reload_timeout
        self._loaded_at = float("-inf")
        self._failed_at = float("-inf")
        self._lock = asyncio.Lock()

    async def reload(self) -> None:
        """Read the stored tokens again; :class:`Unavailable` when they cannot be read (app/db/tokens.py)."""
        hashes = await read_token_hashes(self._engine, within=self._reload_timeout)
        self._db = tuple(bytes.fromhex(h) for h in hashes)
        self._loaded_at = time.monotonic()

    async def _reload_if_older_than(self, age: float) -> bool:
        """Reload when the set is older than ``age``; False if it could not be read (now, or less
        than a second ago), so the set is older than ``age``."""
        if time.monotonic() - self._loaded_at <= age:
            return True
        async with self._lock:
            if time.monotonic() - self._loaded_at <= age:
                return True
            if time.monotonic() - self._failed_at < MISS_RELOAD_INTERVAL:
                return False
            try:
                await self.reload()
            except Unavailable as exc:
                self._failed_at = time.monotonic()
                log.warning("API tokens could not be reloaded: %s", exc.message)
                return False
            return True

    async def is_valid(self, token: str) -> bool:
        """Whether the token is accepted; :class:`Unavailable` when it may be a stored token and
        the stored tokens could not be read within ``TOKEN_CACHE_SECONDS``."""
        digest = _digest(token)
        if _member(digest, self._env):
            return True
        if not await self._reload_if_older_than(self._ttl):
            raise Unavailable(messages.CANNOT_VERIFY)
        if _member(digest, self._db):
            return True
        if not await self._reload_if_older_than(MISS_RELOAD_INTERVAL):
            raise Unavailable(messages.CANNOT_VERIFY)
        return _member(digest, self._db)

    async def close(self) -> None:
        await self._engine.dispose()


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

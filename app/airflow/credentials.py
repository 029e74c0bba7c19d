"""How dagport authenticates to Airflow (docs/airflow.md, "Authentication").

- ``ServiceAccount``: one Airflow user for every caller (``DAGPORT_AIRFLOW_USERNAME`` and
  ``_PASSWORD``): a JWT from ``POST /auth/token``, reused until shortly before it expires and fetched
  again once when Airflow answers 401.
- ``StaticToken``: ``DAGPORT_AIRFLOW_TOKEN``, sent as it is.
- ``Passthrough``: each caller's own credentials. A Bearer token is sent on as it is; HTTP Basic
  ``user:password`` is exchanged at ``/auth/token`` and the JWT kept, under a keyed hash of the
  credentials (never the password), until it expires. The caller's ``Authorization`` header reaches
  this module through :data:`caller_authorization`, set per request by
  :class:`app.airflow.passthrough.CallerCredentialsMiddleware`.

Credentials are never logged.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import os
import time
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from cachetools import TTLCache

from app.errors import Unauthenticated, UpstreamFailure

if TYPE_CHECKING:
    from app.airflow.client import AirflowClient

TOKEN_PATH = "/auth/token"
# A token is fetched again this long before it expires (Airflow's default lifetime: 86,400 s).
EXPIRY_MARGIN_SECONDS = 60.0
PASSTHROUGH_TOKENS = 10_000

caller_authorization: ContextVar[str | None] = ContextVar("caller_authorization", default=None)


def jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT (not verified: Airflow verifies it; this only schedules a refresh)."""
    try:
        payload = token.split(".")[1]
        claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"])
    except (IndexError, KeyError, TypeError, ValueError, binascii.Error, orjson.JSONDecodeError):
        return None


def _fresh(expires: float | None) -> bool:
    return expires is None or time.time() < expires - EXPIRY_MARGIN_SECONDS


class Credentials(Protocol):
    service: bool  # True: dagport's own account (a refusal is dagport's misconfiguration)

    def bind(self, client: AirflowClient) -> None: ...

    async def key(self) -> Any:
        """Who is asking, for the coalescing and caching keys (never a secret itself)."""
        ...

    async def headers(self) -> dict[str, str]: ...

    async def refresh(self, sent: dict[str, str]) -> bool:
        """After a 401 to ``sent``: whether a retry with new headers is worth it."""
        ...


class StaticToken:
    service = True

    def __init__(self, token: str) -> None:
        self._headers = {"Authorization": f"Bearer {token}"}

    def bind(self, client: AirflowClient) -> None:
        pass

    async def key(self) -> Any:
        return None

    async def headers(self) -> dict[str, str]:
        return self._headers

    async def refresh(self, sent: dict[str, str]) -> bool:
        return False


async def exchange(client: AirflowClient, username: str, password: str) -> str:
    """A JWT for ``username``; Unauthenticated if Airflow refuses the pair."""
    answer = await client.post_unauthenticated(
        TOKEN_PATH, {"username": username, "password": password}, template=TOKEN_PATH
    )
    if answer.status in (200, 201) and isinstance(answer.body, dict) and "access_token" in answer.body:
        return str(answer.body["access_token"])
    if answer.status in (400, 401, 403, 422):
        raise Unauthenticated(f"Airflow refused the credentials: {answer.detail}")
    raise UpstreamFailure(f"Airflow's {TOKEN_PATH} answered {answer.status}")


class ServiceAccount:
    service = True

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self.password = password
        self._client: AirflowClient | None = None
        self._headers: dict[str, str] | None = None
        self._expires: float | None = None
        self._lock = asyncio.Lock()

    def bind(self, client: AirflowClient) -> None:
        self._client = client

    async def key(self) -> Any:
        return None

    async def headers(self) -> dict[str, str]:
        if self._headers is not None and _fresh(self._expires):
            return self._headers
        async with self._lock:
            if self._headers is None or not _fresh(self._expires):
                await self._fetch()
        assert self._headers is not None
        return self._headers

    async def refresh(self, sent: dict[str, str]) -> bool:
        async with self._lock:
            if self._headers is sent:  # nobody fetched a newer one meanwhile
                await self._fetch()
        return True

    async def _fetch(self) -> None:
        assert self._client is not None
        try:
            token = await exchange(self._client, self.username, self.password)
        except Unauthenticated:
            raise UpstreamFailure("Airflow refused dagport's credentials") from None
        self._headers = {"Authorization": f"Bearer {token}"}
        self._expires = jwt_expiry(token)


class Passthrough:
    service = False

    def __init__(self) -> None:
        self._client: AirflowClient | None = None
        self._secret = os.urandom(32)  # keys the hashes of callers' credentials, per process
        self._tokens: TTLCache[bytes, tuple[dict[str, str], float | None]] = TTLCache(
            PASSTHROUGH_TOKENS, 86_400
        )
        self._locks: dict[bytes, asyncio.Lock] = {}

    def bind(self, client: AirflowClient) -> None:
        self._client = client

    def _digest(self, authorization: str) -> bytes:
        return hmac.new(self._secret, authorization.encode(), hashlib.sha256).digest()

    async def key(self) -> Any:
        authorization = caller_authorization.get()
        return None if authorization is None else self._digest(authorization)

    async def headers(self) -> dict[str, str]:
        authorization = caller_authorization.get()
        if authorization is None:
            return {}  # Airflow answers 401, which reaches the caller
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "basic":
            return {"Authorization": authorization}
        digest = self._digest(authorization)
        cached = self._tokens.get(digest)
        if cached is not None and _fresh(cached[1]):
            return cached[0]
        # One exchange per credentials at a time; the lock is dropped afterwards, also when Airflow
        # refuses them (so callers sending ever new wrong credentials cannot grow this table).
        lock = self._locks.setdefault(digest, asyncio.Lock())
        try:
            async with lock:
                cached = self._tokens.get(digest)
                if cached is None or not _fresh(cached[1]):
                    username, password = _basic(value)
                    assert self._client is not None
                    token = await exchange(self._client, username, password)
                    cached = ({"Authorization": f"Bearer {token}"}, jwt_expiry(token))
                    self._tokens[digest] = cached
        finally:
            self._locks.pop(digest, None)
        return cached[0]

    async def refresh(self, sent: dict[str, str]) -> bool:
        """A cached JWT of a Basic caller that Airflow no longer takes: exchanged again once."""
        authorization = caller_authorization.get()
        if authorization is None or not authorization.lower().startswith("basic "):
            return False
        digest = self._digest(authorization)
        cached = self._tokens.get(digest)
        if cached is None or cached[0] is not sent:
            return False
        del self._tokens[digest]
        return True


def _basic(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthenticated("Malformed HTTP Basic credentials") from None
    username, sep, password = decoded.partition(":")
    if not sep:
        raise Unauthenticated("Malformed HTTP Basic credentials")
    return username, password

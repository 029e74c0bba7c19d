"""How dagport authenticates to Airflow (docs/airflow.md, "Authentication").

- ``ServiceAccount``: one Airflow user for every caller (``DAGPORT_AIRFLOW_USERNAME`` and
  ``_PASSWORD``): a JWT from ``POST /auth/token``, reused until shortly before it expires and fetched
  again once when Airflow answers 401.
- ``StaticToken``: ``DAGPORT_AIRFLOW_TOKEN``, sent as it is.
- ``Passthrough``: each caller's own credentials (app/gateway/context.py hands them over). A Bearer
  token is sent on as it is. HTTP Basic is read as (username, password), whatever the spelling of
  the header, and exchanged at ``/auth/token``; the JWT is kept under a keyed hash of the pair (never
  the password) until it expires or ``DAGPORT_AIRFLOW_RECHECK_SECONDS`` have passed, whichever
  comes first, so a changed password or a removed user is seen within that time. Concurrent
  requests with the same pair share one exchange and its outcome, a refusal included.

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
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Protocol

import orjson
from cachetools import TTLCache

from app.core import messages
from app.errors import Unauthenticated, UpstreamFailure
from app.gateway.context import caller_authorization
from app.gateway.endpoints import TOKEN
from app.gateway.transport import Transport, decoded

# A token is fetched again this long before it expires (Airflow's default lifetime: 86,400 s).
EXPIRY_MARGIN_SECONDS = 60.0
PASSTHROUGH_TOKENS = 10_000


def jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT (not verified: Airflow verifies it; this only schedules a refresh)."""
    try:
        payload = token.split(".")[1]
        claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"])
    except (IndexError, KeyError, TypeError, ValueError, binascii.Error, orjson.JSONDecodeError):
        return None


class Credentials(Protocol):
    service: bool  # True: dagport's own account (a refusal is dagport's misconfiguration)

    def key(self) -> Hashable:
        """Who is asking, for the coalescing and caching keys (never a secret itself)."""
        ...

    async def headers(self) -> dict[str, str]: ...

    async def refresh(self, sent: dict[str, str]) -> bool:
        """After a 401 to ``sent``: whether a retry with new headers is worth it."""
        ...


class TokenExchange:
    """``POST /auth/token`` ``{"username", "password"}`` -> a JWT (Airflow's simple and FAB auth
    managers both serve it)."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    async def __call__(self, username: str, password: str) -> str:
        """A JWT for the pair; :class:`Unauthenticated` if Airflow refuses it."""
        response = await self.transport.call(
            "POST", TOKEN.at(), json={"username": username, "password": password}
        )
        answer = decoded(response)
        body = answer.body
        if answer.status in (200, 201) and isinstance(body, dict) and "access_token" in body:
            return str(body["access_token"])
        if answer.status in (400, 401, 403, 422):
            raise Unauthenticated(messages.airflow_refused_credentials(answer.detail))
        raise UpstreamFailure(messages.airflow_token_endpoint_failed(TOKEN.template, answer.status))


@dataclass(frozen=True, slots=True)
class Issued:
    headers: dict[str, str]
    renew_at: float  # time.time() after which the pair is exchanged again

    @classmethod
    def of(cls, token: str, *, recheck: float | None) -> Issued:
        expires = jwt_expiry(token)
        renew_at = float("inf") if expires is None else expires - EXPIRY_MARGIN_SECONDS
        if recheck is not None:
            renew_at = min(renew_at, time.time() + recheck)
        return cls({"Authorization": f"Bearer {token}"}, renew_at)

    @property
    def fresh(self) -> bool:
        return time.time() < self.renew_at


class StaticToken:
    service = True

    def __init__(self, token: str) -> None:
        self._headers = {"Authorization": f"Bearer {token}"}

    def key(self) -> Hashable:
        return None

    async def headers(self) -> dict[str, str]:
        return self._headers

    async def refresh(self, sent: dict[str, str]) -> bool:
        return False


class ServiceAccount:
    service = True

    def __init__(self, exchange: TokenExchange, username: str, password: str) -> None:
        self.exchange = exchange
        self.username = username
        self.password = password
        self._issued: Issued | None = None
        self._lock = asyncio.Lock()

    def key(self) -> Hashable:
        return None

    async def headers(self) -> dict[str, str]:
        issued = self._issued
        if issued is not None and issued.fresh:
            return issued.headers
        async with self._lock:
            if self._issued is None or not self._issued.fresh:
                await self._fetch()
        assert self._issued is not None
        return self._issued.headers

    async def refresh(self, sent: dict[str, str]) -> bool:
        async with self._lock:
            if self._issued is None or self._issued.headers is sent:  # nobody fetched a newer one
                await self._fetch()
        return True

    async def _fetch(self) -> None:
        try:
            token = await self.exchange(self.username, self.password)
        except Unauthenticated:
            raise UpstreamFailure(messages.AIRFLOW_REFUSED_SERVICE_CREDENTIALS) from None
        self._issued = Issued.of(token, recheck=None)


@dataclass(frozen=True, slots=True)
class Caller:
    """A caller's ``Authorization`` header as read: Basic as its (username, password) pair."""

    header: str  # as it is sent on (Bearer and other schemes)
    basic: tuple[str, str] | None
    digest: bytes  # keyed hash of what identifies the caller, for tables and keys


class Passthrough:
    service = False

    def __init__(self, exchange: TokenExchange, *, recheck_seconds: float) -> None:
        self.exchange = exchange
        self.recheck_seconds = recheck_seconds
        self._secret = os.urandom(32)  # keys the hashes of callers' credentials, per process
        self._tokens: TTLCache[bytes, Issued] = TTLCache(PASSTHROUGH_TOKENS, 86_400)
        self._exchanges: dict[bytes, asyncio.Future[Issued]] = {}

    def _caller(self) -> Caller | None:
        authorization = caller_authorization()
        if authorization is None:
            return None
        scheme, _, value = authorization.strip().partition(" ")
        scheme, value = scheme.lower(), value.strip()
        if scheme == "basic":
            pair = basic_pair(value)
            material = b"basic\0" + pair[0].encode() + b"\0" + pair[1].encode()
            return Caller(authorization, pair, self._digest(material))
        if scheme == "bearer" and value:
            return Caller(f"Bearer {value}", None, self._digest(b"bearer\0" + value.encode()))
        return Caller(authorization, None, self._digest(b"other\0" + authorization.encode()))

    def _digest(self, material: bytes) -> bytes:
        return hmac.new(self._secret, material, hashlib.sha256).digest()

    def key(self) -> Hashable:
        try:
            caller = self._caller()
        except Unauthenticated:
            return b"malformed"
        return None if caller is None else caller.digest

    async def headers(self) -> dict[str, str]:
        caller = self._caller()
        if caller is None:
            return {}  # Airflow answers 401, which reaches the caller
        if caller.basic is None:
            return {"Authorization": caller.header}
        issued = self._tokens.get(caller.digest)
        if issued is not None and issued.fresh:
            return issued.headers
        return (await self._shared_exchange(caller.digest, caller.basic)).headers

    async def _shared_exchange(self, digest: bytes, pair: tuple[str, str]) -> Issued:
        """One exchange per pair at a time; every request waiting for it gets its outcome, a
        refusal or a failure included. Nothing is kept of a refused pair."""
        pending = self._exchanges.get(digest)
        if pending is None:
            pending = asyncio.ensure_future(self._exchange(digest, pair))
            self._exchanges[digest] = pending
            pending.add_done_callback(lambda done: self._exchange_done(digest, done))
        return await asyncio.shield(pending)

    async def _exchange(self, digest: bytes, pair: tuple[str, str]) -> Issued:
        issued = Issued.of(await self.exchange(*pair), recheck=self.recheck_seconds)
        self._tokens[digest] = issued
        return issued

    def _exchange_done(self, digest: bytes, done: asyncio.Future[Issued]) -> None:
        self._exchanges.pop(digest, None)
        if not done.cancelled():
            done.exception()  # retrieved here: a refusal nobody waits for any more is not an error

    async def refresh(self, sent: dict[str, str]) -> bool:
        """A kept JWT of a Basic caller that Airflow no longer takes: exchanged again once."""
        caller = self._caller()
        if caller is None or caller.basic is None:
            return False
        issued = self._tokens.get(caller.digest)
        if issued is None or issued.headers is not sent:
            return False
        del self._tokens[caller.digest]
        return True


def basic_pair(value: str) -> tuple[str, str]:
    """(username, password) of HTTP Basic's base64 value; :class:`Unauthenticated` if unreadable."""
    try:
        decoded_value = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthenticated(messages.MALFORMED_BASIC) from None
    username, sep, password = decoded_value.partition(":")
    if not sep:
        raise Unauthenticated(messages.MALFORMED_BASIC)
    return username, password

"""The client every caller of Airflow goes through: credentials, coalescing, the cache, budgets.

Calls name an endpoint of app/gateway/endpoints.py and its parameters; the path is built there,
each parameter quoted as one segment. A parameter Airflow's REST API cannot address (``.``,
``~``, empty) is answered 404 without a call: nothing of that name can be reached there.

Reads (``get``) are coalesced: identical concurrent reads with the same credentials share one
upstream call, always. With ``DAGPORT_AIRFLOW_CACHE_SECONDS`` > 0 their answers are also kept that
long, in at most ``DAGPORT_AIRFLOW_CACHE_MB`` (answers weighed by their size). Invariant of both: a
read started after a write through this worker completed never sees an answer obtained before it
(a write that Airflow accepted, or whose outcome is unknown, bumps a generation that is part of
every key; a write refused or never sent changes nothing). Other workers and replicas keep their
own caches, so their reads may lag a write by up to the cache's lifetime. :meth:`shared` coalesces
a whole computation (a listing that fans out) the same way.

Budgets, so that no request or caller takes everyone's connections:

- a caller (app/gateway/context.py) has at most ``DAGPORT_AIRFLOW_CALLER_CONNECTIONS`` calls in
  flight (default: half of ``DAGPORT_AIRFLOW_MAX_CONNECTIONS``);
- fan-out (:meth:`gather`) runs at most ``DAGPORT_AIRFLOW_FANOUT`` calls of one request at once,
  and all requests' fan-outs together at most half of the connections;
- one request makes at most ``DAGPORT_AIRFLOW_MAX_CALLS`` calls (:class:`TooMuchWork`, 503, past it);
- health checks have connections of their own (app/gateway/transport.py).

Airflow answers 500 "Database error" when its own transaction failed and was rolled back, most
often a deadlock between the request and its scheduler updating the same run. A read or a PATCH
(dagport's PATCHes set fields to given values: sending one twice changes nothing more) is sent
again up to ``DAGPORT_AIRFLOW_DATABASE_RETRIES`` times, after a short pause; a POST or a DELETE is
not (a second trigger or deletion would not answer as the first).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
from cachetools import TTLCache

from app.core import messages
from app.errors import DomainError, Forbidden, TooMuchWork, Unauthenticated, Unavailable, UpstreamFailure
from app.gateway.context import current
from app.gateway.credentials import Credentials
from app.gateway.endpoints import Endpoint, Target, Unaddressable, Wildcard
from app.gateway.transport import Answer, Query, Transport, decoded

log = logging.getLogger("dagport.airflow")

T = TypeVar("T")
Params = Mapping[str, str | Wildcard]
# What an entry of the read cache costs besides its body (the key, the Answer, the dict slot).
CACHE_ENTRY_OVERHEAD = 400
# Methods sent again after Airflow's 500 "Database error" (see the module), and the pause before
# the n-th retry (n times this): Postgres has already broken the deadlock when Airflow answers.
RETRIED_METHODS = frozenset({"GET", "PATCH"})
RETRY_PAUSE = 0.2


def _frozen(query: Query) -> tuple[Any, ...]:
    """Query parameters as a hashable key (a list value: a repeated parameter)."""
    if not query:
        return ()
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in query.items()))


def _rolled_back(response: httpx.Response) -> bool:
    """Whether this is Airflow's answer to a failed transaction of its own (see the module)."""
    if response.status_code != 500:
        return False
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return False
    return isinstance(detail, dict) and detail.get("reason") == "Database error"


def too_much_work(limit: int) -> TooMuchWork:
    return TooMuchWork(messages.too_many_airflow_calls(limit))


class CallerShare:
    """At most ``limit`` calls in flight per caller; a caller's table entry lives while it calls."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}

    @asynccontextmanager
    async def held(self, caller: str) -> AsyncIterator[None]:
        entry = self._slots.get(caller)
        if entry is None:
            entry = self._slots[caller] = (asyncio.Semaphore(self.limit), [0])
        gate, users = entry
        users[0] += 1
        try:
            async with gate:
                yield
        finally:
            users[0] -= 1
            if not users[0]:
                del self._slots[caller]


class AirflowClient:
    def __init__(
        self,
        *,
        transport: Transport,
        credentials: Credentials,
        cache_seconds: float,
        cache_bytes: int,
        fanout: int,
        max_calls: int,
        caller_connections: int,
        fanout_connections: int,
        database_retries: int = 0,
    ) -> None:
        self.transport = transport
        self.credentials = credentials
        self.metrics = transport.metrics
        self.fanout = fanout
        self.max_calls = max_calls
        self.database_retries = database_retries
        self._inflight: dict[Hashable, asyncio.Future[Any]] = {}
        self._cache: TTLCache[Hashable, Answer] | None = (
            TTLCache(cache_bytes, cache_seconds, getsizeof=lambda a: a.size + CACHE_ENTRY_OVERHEAD)
            if cache_seconds > 0 and cache_bytes > 0
            else None
        )
        self._generation = 0
        self._callers = CallerShare(caller_connections)
        self._fanout_gate = asyncio.Semaphore(fanout_connections)

    async def aclose(self) -> None:
        await self.transport.aclose()

    @property
    def cached_bytes(self) -> int:
        """What the read cache holds now, as it weighs answers (0 without a cache)."""
        return 0 if self._cache is None else int(self._cache.currsize)

    @property
    def generation(self) -> int:
        """Bumped by every write that may have changed something (see the module)."""
        return self._generation

    def charge(self, calls: int = 1) -> None:
        """Count ``calls`` against the request's budget (:class:`TooMuchWork` past it)."""
        context = current.get()
        if context is not None:
            context.calls += calls
            if context.calls > self.max_calls:
                raise too_much_work(self.max_calls)

    def affordable(self, calls: int) -> None:
        """Refuse at once a request that is known to need ``calls`` more calls than its budget
        allows (before it starts a walk it cannot finish)."""
        context = current.get()
        if context is not None and context.calls + calls > self.max_calls:
            raise too_much_work(self.max_calls)

    # -- reads: coalesced, optionally cached ---------------------------------------------------------

    async def get(
        self,
        endpoint: Endpoint,
        params: Params | None = None,
        query: Query = None,
        *,
        forbidden_ok: bool = False,
    ) -> Answer:
        """GET the endpoint; 404 without a call for an unaddressable parameter. ``forbidden_ok``:
        a 403 is the answer (see :meth:`refusal`), not a refusal of the credentials."""
        self.charge()
        try:
            target = endpoint.at(**(params or {}))
        except Unaddressable as exc:
            return Answer(404, {"detail": str(exc)})
        key = (self._generation, self.credentials.key(), target.path, _frozen(query), forbidden_ok)
        cache = self._cache
        if cache is not None:
            cached = cache.get(key)
            if cached is not None:
                self.metrics.spared("cached")
                return cached
        answer: Answer = await self._once(
            key, lambda: self._call("GET", target, query, None, forbidden_ok=forbidden_ok)
        )
        if cache is not None and key[0] == self._generation:
            try:
                cache[key] = answer
            except ValueError:  # larger than the whole cache
                pass
        return answer

    async def shared(self, name: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        """``compute()``, shared by identical concurrent requests with the same credentials (as reads
        are; a write meanwhile separates those started after it). It runs in the first request's
        context: its calls count against that request's budget, and a request that joins shares its
        outcome, a 503 for too much work included."""
        key = ("shared", self._generation, self.credentials.key(), name)
        result: T = await self._once(key, compute)
        return result

    async def _once(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        shared = self._inflight.get(key)
        if shared is not None:
            self.metrics.spared("coalesced")
            joined: T = await asyncio.shield(shared)
            return joined
        call = asyncio.ensure_future(compute())
        self._inflight[key] = call
        call.add_done_callback(lambda done: self._done(key, done))
        result: T = await asyncio.shield(call)  # a cancelled caller leaves the call to the others
        return result

    def _done(self, key: Hashable, done: asyncio.Future[Any]) -> None:
        if self._inflight.get(key) is done:
            del self._inflight[key]
        if not done.cancelled():
            done.exception()  # retrieved: a failure nobody waits for any more is not an error

    async def gather(self, calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
        """The calls' results in order: at most ``fanout`` of this request at once, and all
        requests' fan-out within the worker's fan-out connections."""
        gate = asyncio.Semaphore(self.fanout)

        async def run(call: Callable[[], Awaitable[T]]) -> T:
            async with gate, self._fanout_gate:
                return await call()

        # A task group: when one call fails, the others are cancelled rather than left calling
        # Airflow for a request that has already failed; the first failure is raised.
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(run(c)) for c in calls]
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        return [task.result() for task in tasks]

    # -- writes ----------------------------------------------------------------------------------------

    async def send(
        self,
        method: str,
        endpoint: Endpoint,
        params: Params | None = None,
        *,
        json: Any = None,
        query: Query = None,
        forbidden_ok: bool = False,
    ) -> Answer:
        """A write: never coalesced. Afterwards no read of this worker is served from before it,
        unless Airflow refused it or never saw it (see the module). ``forbidden_ok``: as for
        :meth:`get`."""
        self.charge()
        try:
            target = endpoint.at(**(params or {}))
        except Unaddressable as exc:
            return Answer(404, {"detail": str(exc)})
        return await self._call(method, target, query, json, write=True, forbidden_ok=forbidden_ok)

    async def ask(
        self,
        method: str,
        endpoint: Endpoint,
        params: Params | None = None,
        *,
        json: Any = None,
        query: Query = None,
        forbidden_ok: bool = False,
    ) -> Answer:
        """A call that changes nothing in Airflow though it is not a GET (a batch listing's POST, a
        dry run, a connection test): never coalesced nor cached, and the cache is left as it is.
        ``forbidden_ok``: as for :meth:`get`."""
        self.charge()
        try:
            target = endpoint.at(**(params or {}))
        except Unaddressable as exc:
            return Answer(404, {"detail": str(exc)})
        return await self._call(method, target, query, json, forbidden_ok=forbidden_ok)

    def _invalidate(self) -> None:
        self._generation += 1
        if self._cache is not None:
            self._cache.clear()

    # -- the call itself -------------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        target: Target,
        query: Query,
        json: Any,
        *,
        write: bool = False,
        forbidden_ok: bool = False,
    ) -> Answer:
        context = current.get()
        retries = self.database_retries if method in RETRIED_METHODS else 0
        async with self._callers.held(context.caller if context is not None else ""):
            headers = await self.credentials.headers()  # a refusal here: nothing was sent
            refreshed = False
            while True:
                try:
                    response = await self.transport.call(
                        method, target, headers=headers, query=query, json=json
                    )
                except Unavailable:
                    raise  # never reached Airflow: nothing changed
                except BaseException:  # a timeout, a broken connection, this request cancelled
                    if write:
                        self._invalidate()  # sent without a complete answer: Airflow may have acted
                    raise
                if response.status_code == 401 and not refreshed and await self.credentials.refresh(headers):
                    refreshed = True
                    headers = await self.credentials.headers()  # an expired token: fetched again once
                    continue
                if retries and _rolled_back(response):
                    retries -= 1
                    log.warning("Airflow's database failed %s %s; sending it again", method, target.template)
                    if write:
                        self._invalidate()  # a 5xx: Airflow may have committed part of it
                    self.charge()
                    await asyncio.sleep(RETRY_PAUSE * (self.database_retries - retries))
                    continue
                if write and not 400 <= response.status_code < 500:
                    self._invalidate()  # accepted, or a 5xx (outcome unknown)
                return self._answer(response, forbidden_ok=forbidden_ok)

    def _answer(self, response: httpx.Response, *, forbidden_ok: bool = False) -> Answer:
        """The decoded answer, and a refusal of the credentials as :meth:`refusal` says (a 403
        left to the caller with ``forbidden_ok``)."""
        answer = decoded(response)
        if answer.status == 401 or (answer.status == 403 and not forbidden_ok):
            raise self.refusal(answer)
        return answer

    def refusal(self, answer: Answer) -> DomainError:
        """Airflow's 401 or 403 as the mode says: dagport's own credentials refused is a 502 and a
        log line naming the settings; a passthrough caller's, 401 / 403. For a caller that asked
        for a 403 as an answer (``forbidden_ok``: Airflow refuses some requests for a reason of its
        own, a setting that disables the operation) and found it was not that reason."""
        if self.credentials.service:
            log.error(
                "Airflow refused dagport's service credentials (%s): check DAGPORT_AIRFLOW_USERNAME, "
                "DAGPORT_AIRFLOW_PASSWORD or DAGPORT_AIRFLOW_TOKEN",
                answer.status,
            )
            return UpstreamFailure(messages.AIRFLOW_REFUSED_SERVICE_CREDENTIALS)
        if answer.status == 401:
            return Unauthenticated(messages.airflow_refused_credentials(answer.detail))
        return Forbidden(messages.airflow_refused_request(answer.detail))

    async def get_public(self, endpoint: Endpoint, *, health: bool = False) -> Answer:
        """A call Airflow answers without credentials (``/api/v2/version``, ``/monitor/health``);
        ``health``: on the health checks' own connections (``/ready``'s). Otherwise a request's
        call: on the requests' connections, within the caller's share, and coalesced with every
        identical call in flight whoever asks (no credentials go with it). No credentials were
        sent, so a 401 or 403 (a proxy in front of Airflow) is Airflow failing, not a refusal."""
        target = endpoint.at()

        async def call() -> Answer:
            answer = decoded(await self.transport.call("GET", target, health=health))
            if answer.status in (401, 403):
                raise UpstreamFailure(messages.airflow_answered(answer.status))
            return answer

        if health:
            return await call()
        self.charge()
        context = current.get()

        async def held() -> Answer:
            async with self._callers.held(context.caller if context is not None else ""):
                return await call()

        public: Answer = await self._once(("public", target.path), held)
        return public

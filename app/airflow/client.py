"""The one HTTP client dagport uses to reach Airflow's REST API v2 (docs/airflow.md).

Per worker: one ``httpx.AsyncClient`` (keep-alive, at most ``DAGPORT_AIRFLOW_MAX_CONNECTIONS``
connections, ``DAGPORT_AIRFLOW_TIMEOUT`` per call). Everything Airflow can do wrong becomes a domain
error here, so no caller ever sees an httpx exception or an Airflow 5xx:

- connection refused: 503 ``Airflow at <url> refused the connection``;
- no answer in time: 504 ``Airflow at <url> did not answer within <n> s``;
- an Airflow 5xx or a broken connection: 502, naming Airflow's status;
- dagport's service credentials refused (after one fresh token): 502, and a log line naming the
  settings; a passthrough caller's refused: 401 / 403 with Airflow's text.

Reads (``get``) are coalesced: identical concurrent reads with the same credentials share one
upstream call, always. With ``DAGPORT_AIRFLOW_CACHE_SECONDS`` > 0 their answers are also kept that
long. Invariant of both: a read started after a write through this worker completed never sees an
answer obtained before it (a write bumps a generation that is part of every key). Other workers and
replicas keep their own caches, so their reads may lag a write by up to the cache's lifetime.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from cachetools import TTLCache

from app.airflow.credentials import Credentials
from app.airflow.metrics import UpstreamMetrics
from app.errors import Forbidden, Unauthenticated, Unavailable, UpstreamFailure, UpstreamTimeout

log = logging.getLogger("dagport.airflow")

API = "/api/v2"
CACHE_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class Answer:
    """An Airflow answer the caller has to interpret: its status and its decoded JSON body."""

    status: int
    body: Any

    @property
    def detail(self) -> str:
        """Airflow's error text (``{"detail": ...}``), for messages."""
        body = self.body
        if isinstance(body, dict) and "detail" in body:
            detail = body["detail"]
            if isinstance(detail, str):
                return detail
            if isinstance(detail, list) and detail and isinstance(detail[0], dict):
                first = detail[0]
                where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
                return f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
            if isinstance(detail, dict):
                return str(detail.get("reason") or detail)
        return f"Airflow answered {self.status}"


Params = Mapping[str, Any] | None


def _frozen(params: Params) -> tuple[Any, ...]:
    """Query parameters as a hashable key (a list value: a repeated parameter)."""
    if not params:
        return ()
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))


class AirflowClient:
    def __init__(
        self,
        *,
        url: str,
        credentials: Credentials,
        timeout: float,
        max_connections: int,
        cache_seconds: float,
        metrics: UpstreamMetrics,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.credentials = credentials
        self.metrics = metrics
        self.http = httpx.AsyncClient(
            base_url=url,
            timeout=timeout,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            transport=transport,
            headers={"Accept": "application/json"},
        )
        self._inflight: dict[tuple[Any, ...], asyncio.Future[Answer]] = {}
        self._cache: TTLCache[tuple[Any, ...], Answer] | None = (
            TTLCache(CACHE_ENTRIES, cache_seconds) if cache_seconds > 0 else None
        )
        self._generation = 0
        credentials.bind(self)

    async def aclose(self) -> None:
        await self.http.aclose()

    # -- reads: coalesced, optionally cached ---------------------------------------------------------

    async def get(self, path: str, params: Params = None, *, template: str) -> Answer:
        """GET ``/api/v2<path>``; ``template`` (``/dags/{dag_id}``) labels the metrics."""
        who = await self.credentials.key()
        key = (self._generation, who, path, _frozen(params))
        cache = self._cache
        if cache is not None:
            cached = cache.get(key)
            if cached is not None:
                self.metrics.spared("cached")
                return cached
        shared = self._inflight.get(key)
        if shared is not None:
            self.metrics.spared("coalesced")
            return await asyncio.shield(shared)
        call = asyncio.ensure_future(self._call("GET", path, params=params, template=template))
        self._inflight[key] = call
        try:
            answer = await asyncio.shield(call)
        finally:
            if call.done():
                self._inflight.pop(key, None)
            else:  # this caller was cancelled: the others still wait for the call
                call.add_done_callback(lambda _: self._inflight.pop(key, None))
        if cache is not None and answer.status < 500 and key[0] == self._generation:
            cache[key] = answer
        return answer

    # -- writes ----------------------------------------------------------------------------------------

    async def send(
        self, method: str, path: str, *, json: Any = None, params: Params = None, template: str
    ) -> Answer:
        """A write: never coalesced; afterwards no read of this worker is served from before it."""
        try:
            return await self._call(method, path, json=json, params=params, template=template)
        finally:
            self._generation += 1
            if self._cache is not None:
                self._cache.clear()

    # -- the call itself -------------------------------------------------------------------------------

    async def _call(
        self, method: str, path: str, *, json: Any = None, params: Params = None, template: str
    ) -> Answer:
        for attempt in (1, 2):
            headers = await self.credentials.headers()
            response = await self._request(method, API + path, headers, json, params, template)
            if response.status_code == 401 and attempt == 1 and await self.credentials.refresh(headers):
                continue  # an expired service token: fetched again once
            return self._answer(response)
        raise AssertionError("unreachable")

    async def _request(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        json: Any,
        params: Params,
        template: str,
    ) -> httpx.Response:
        started = time.perf_counter()
        status = "error"
        try:
            content = None if json is None else orjson.dumps(json)
            if content is not None:
                headers = {**headers, "Content-Type": "application/json"}
            response = await self.http.request(method, url, headers=headers, content=content, params=params)
            status = str(response.status_code)
            return response
        except httpx.ConnectError as exc:
            raise Unavailable(f"Airflow at {self.url} refused the connection") from exc
        except httpx.TimeoutException as exc:
            status = "timeout"
            raise UpstreamTimeout(f"Airflow at {self.url} did not answer within {self.timeout:g} s") from exc
        except httpx.TransportError as exc:
            raise UpstreamFailure(
                f"Airflow at {self.url} broke the connection ({type(exc).__name__})"
            ) from exc
        finally:
            self.metrics.observe(template, method, status, time.perf_counter() - started)

    @staticmethod
    def _decoded(response: httpx.Response) -> Answer:
        """The answer with its body decoded (JSON, else text); an Airflow 5xx is a 502."""
        status = response.status_code
        content = response.content
        try:
            body = orjson.loads(content) if content else None
        except orjson.JSONDecodeError:
            body = content.decode("utf-8", "replace")
        answer = Answer(status, body)
        if status >= 500:
            raise UpstreamFailure(f"Airflow answered {status} {response.reason_phrase}: {answer.detail}")
        return answer

    def _answer(self, response: httpx.Response) -> Answer:
        """:meth:`_decoded`, and a refusal of the credentials as the mode says (see the module)."""
        answer = self._decoded(response)
        status = answer.status
        if status in (401, 403):
            if self.credentials.service:
                log.error(
                    "Airflow refused dagport's service credentials (%s): check DAGPORT_AIRFLOW_USERNAME, "
                    "DAGPORT_AIRFLOW_PASSWORD or DAGPORT_AIRFLOW_TOKEN",
                    status,
                )
                raise UpstreamFailure("Airflow refused dagport's credentials")
            if status == 401:
                raise Unauthenticated(f"Airflow refused the credentials: {answer.detail}")
            raise Forbidden(f"Airflow refused the request: {answer.detail}")
        return answer

    async def post_unauthenticated(self, path: str, json: Any, *, template: str) -> Answer:
        """A call that carries its own credentials in the body (``/auth/token``): its 401 is the
        caller's to interpret."""
        return self._decoded(await self._request("POST", path, {}, json, None, template))

    async def get_public(self, path: str, *, template: str) -> Answer:
        """A call Airflow answers without credentials (``/api/v2/version``, ``/monitor/health``)."""
        return self._answer(await self._request("GET", API + path, {}, None, None, template))

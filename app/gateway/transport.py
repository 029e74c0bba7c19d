"""The wire to Airflow: one httpx client per worker, Airflow's failures as domain errors, metrics.

Everything Airflow can do wrong becomes a domain error here, so nothing above ever sees an httpx
exception or an Airflow 5xx. The texts say "Airflow", never its address (callers may be anonymous);
the log lines name it, with any ``user:password@`` masked:

- connection refused: 503 ``Airflow refused the connection``;
- no answer in time: 504 ``Airflow did not answer within <n> s``;
- an Airflow 5xx, a broken connection or an answer that cannot be read: 502, naming what.

Connections come from two budgets: the requests' pool (``DAGPORT_AIRFLOW_MAX_CONNECTIONS``) and a
small one of its own for health checks (:data:`HEALTH_CONNECTIONS`), so ``/ready`` answers while
the requests' pool is busy with slow calls.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson
from pydantic import BaseModel, ValidationError

from app.core import messages
from app.errors import Unavailable, UpstreamFailure, UpstreamTimeout
from app.gateway.endpoints import Target
from app.gateway.metrics import UpstreamMetrics

log = logging.getLogger("dagport.airflow")

HEALTH_CONNECTIONS = 2
M = TypeVar("M", bound=BaseModel)
Query = Mapping[str, Any] | None


def masked(url: str, mask: str = "***@") -> str:
    """``url`` with any ``user:password@`` replaced by ``mask`` (``***@`` for logs; ``""`` for a
    link shown to callers)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=mask + parts.netloc.rpartition("@")[2]))


@dataclass(frozen=True, slots=True)
class Answer:
    """An Airflow answer the caller interprets: its status, its decoded JSON body, its size."""

    status: int
    body: Any
    size: int = 0  # bytes as received: what the answer weighs in the cache

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
        return messages.airflow_answered(self.status)

    def parsed(self, model: type[M]) -> M:
        """The body as ``model`` (app/gateway/models.py); an answer dagport cannot read is a 502."""
        try:
            return model.model_validate(self.body)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem.get("loc", ()))
            raise UpstreamFailure(
                messages.airflow_unreadable(model.__name__, where, problem.get("msg"))
            ) from None


def decoded(response: httpx.Response) -> Answer:
    """The answer with its body decoded (JSON, else text); an Airflow 5xx is a 502."""
    status = response.status_code
    content = response.content
    try:
        body = orjson.loads(content) if content else None
    except orjson.JSONDecodeError:
        body = content.decode("utf-8", "replace")
    answer = Answer(status, body, len(content))
    if status >= 500:
        raise UpstreamFailure(messages.airflow_failed(status, response.reason_phrase, answer.detail))
    return answer


class Transport:
    def __init__(
        self,
        *,
        url: str,
        timeout: float,
        max_connections: int,
        metrics: UpstreamMetrics,
        http_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.where = masked(url)  # for logs only
        self.timeout = timeout
        self.metrics = metrics
        self.http = _client(url, timeout, max_connections, http_transport)
        self.health_http = _client(url, timeout, HEALTH_CONNECTIONS, http_transport)

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.health_http.aclose()

    async def call(
        self,
        method: str,
        target: Target,
        *,
        headers: Mapping[str, str] | None = None,
        query: Query = None,
        json: Any = None,
        health: bool = False,
    ) -> httpx.Response:
        """One HTTP call; Airflow's transport failures as domain errors (see the module): only
        :class:`Unavailable` means Airflow never saw the call."""
        started = time.perf_counter()
        status = "error"
        request_headers = dict(headers or {})
        content = None
        if json is not None:
            content = orjson.dumps(json)
            request_headers["Content-Type"] = "application/json"
        http = self.health_http if health else self.http
        try:
            response = await http.request(
                method, target.path, headers=request_headers, content=content, params=query
            )
            status = str(response.status_code)
            return response
        except httpx.ConnectError as exc:
            log.warning("Airflow at %s refused the connection (%s %s)", self.where, method, target.template)
            raise Unavailable(messages.AIRFLOW_REFUSED_CONNECTION) from exc
        except httpx.TimeoutException as exc:
            status = "timeout"
            log.warning(
                "Airflow at %s did not answer %s %s within %g s",
                self.where,
                method,
                target.template,
                self.timeout,
            )
            raise UpstreamTimeout(messages.airflow_timeout(self.timeout)) from exc
        except httpx.TransportError as exc:
            log.warning("Airflow at %s broke the connection: %s: %s", self.where, type(exc).__name__, exc)
            raise UpstreamFailure(messages.airflow_broke_connection(type(exc).__name__)) from exc
        except httpx.RequestError as exc:  # a body that does not decode (its Content-Encoding), redirects
            log.warning("Airflow at %s sent an answer not read: %s: %s", self.where, type(exc).__name__, exc)
            raise UpstreamFailure(messages.airflow_answer_not_read(type(exc).__name__)) from exc
        finally:
            self.metrics.observe(target.template, method, status, time.perf_counter() - started)


def _client(
    url: str, timeout: float, connections: int, transport: httpx.AsyncBaseTransport | None
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=url,
        timeout=timeout,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        transport=transport,
        headers={"Accept": "application/json"},
    )

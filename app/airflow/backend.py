"""The Backend of app/services/backend.py in front of an Airflow 3 (``DAGPORT_BACKEND=airflow``).

dagport keeps no state of Airflow's here: a unit of work is Airflow's REST API itself (each write
is one Airflow call, made in Airflow's own transaction), and dagport's database holds only its API
tokens and the ids of app/airflow/ids.py. ``check()`` is the start-up check: an Airflow it cannot
serve (unreachable, older than 3.0, refusing the service credentials) is refused with one line.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from app.airflow.client import AirflowClient
from app.airflow.credentials import Credentials, Passthrough, ServiceAccount, StaticToken
from app.airflow.ids import IdRegistry
from app.airflow.metrics import UpstreamMetrics
from app.airflow.store import AirflowStore
from app.config import Settings
from app.errors import DomainError

log = logging.getLogger("dagport.airflow")

MINIMUM_MAJOR = 3


class AirflowUnusable(Exception):
    """Why dagport cannot serve in front of this Airflow (one line, for start-up)."""


def credentials_for(settings: Settings) -> Credentials:
    if settings.airflow_passthrough:
        return Passthrough()
    if settings.airflow_token:
        return StaticToken(settings.airflow_token)
    return ServiceAccount(settings.airflow_username, settings.airflow_password)


class AirflowBackend:
    accepts_definitions = False
    outage_message = "Airflow unavailable"

    def __init__(
        self,
        settings: Settings,
        engine: AsyncEngine,
        registry: CollectorRegistry | None,
        **client_options: object,
    ) -> None:
        self.url = settings.airflow_url
        self.engine = engine
        self.passthrough = settings.airflow_passthrough
        self.client = AirflowClient(
            url=settings.airflow_url,
            credentials=credentials_for(settings),
            timeout=settings.airflow_timeout,
            max_connections=settings.airflow_max_connections,
            cache_seconds=settings.airflow_cache_seconds,
            metrics=UpstreamMetrics(registry),
            **client_options,  # type: ignore[arg-type]
        )
        self.store = AirflowStore(self.client, IdRegistry(engine), fanout=settings.airflow_fanout)
        self._version: str | None = None

    async def aclose(self) -> None:
        await self.client.aclose()

    async def upstream_version(self) -> str | None:
        """Airflow's version (``GET /api/v2/version``, read once); ``None`` while it cannot be read."""
        if self._version is None:
            try:
                answer = await self.client.get_public("/version", template="/version")
            except DomainError:
                return None
            if answer.status == 200 and isinstance(answer.body, dict):
                self._version = str(answer.body.get("version"))
        return self._version

    async def check(self) -> str:
        """Airflow's version if dagport can serve in front of it; else AirflowUnusable, one line."""
        try:
            answer = await self.client.get_public("/version", template="/version")
        except DomainError as exc:
            raise AirflowUnusable(f"cannot serve in front of Airflow: {exc.message}") from None
        body = answer.body if isinstance(answer.body, dict) else {}
        version = str(body.get("version") or "")
        if answer.status != 200 or not version:
            what = f"status {answer.status}" + ("" if body else ", not Airflow's JSON")
            raise AirflowUnusable(
                f"{self.url}/api/v2/version did not name a version ({what}): is DAGPORT_AIRFLOW_URL the "
                "base URL of an Airflow 3 API server? (Airflow 2 has no /api/v2)"
            )
        try:
            major = int(version.split(".")[0])
        except ValueError:
            major = 0
        if major < MINIMUM_MAJOR:
            raise AirflowUnusable(f"Airflow at {self.url} is {version}; dagport fronts Airflow 3.0 or newer")
        if not self.passthrough:
            try:  # the service credentials, now rather than at the first request
                await self.client.get("/dags", {"limit": 1}, template="/dags")
            except DomainError as exc:
                raise AirflowUnusable(
                    f"cannot serve in front of Airflow at {self.url}: {exc.message}"
                ) from None
        self._version = version
        return version

    async def ping(self) -> bool:
        """Airflow's health endpoint answers and its metadata database is healthy."""
        try:
            answer = await self.client.get_public("/monitor/health", template="/monitor/health")
        except DomainError:
            return False
        body = answer.body if isinstance(answer.body, dict) else {}
        return answer.status == 200 and (body.get("metadatabase") or {}).get("status") == "healthy"

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AirflowStore]:
        yield self.store

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AirflowStore]:
        yield self.store

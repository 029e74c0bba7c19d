"""The Backend of app/core/ports.py in front of an Airflow 3 (``DAGPORT_BACKEND=airflow``).

dagport keeps no state of Airflow's here: a unit of work is Airflow's REST API itself (each write
is one Airflow call, made in Airflow's own transaction: ``reading()`` and ``writing()`` yield the
same store), and dagport's database holds only its API tokens and the ids of
app/db/repositories/airflow_ids.py. What Airflow does not let a client do of the contract is
declared here (no ``Capability`` at all; the task-instance states a client may set), and the
services answer it (docs/airflow.md). ``check()`` is the start-up check: an Airflow it cannot
serve (unreachable, older than 3.0, refusing the service credentials) is refused with one line.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import CollectorRegistry

from app.airflow.store import AirflowStore
from app.config import Settings
from app.core.ports import Capability
from app.db.engine import Engine
from app.db.repositories.airflow_ids import IdRegistry
from app.errors import DomainError
from app.gateway import endpoints as api
from app.gateway import models as v2
from app.gateway.build import gateway_client
from app.gateway.client import AirflowClient
from app.gateway.pager import expect
from app.gateway.transport import masked

log = logging.getLogger("dagport.airflow")

MINIMUM_MAJOR = 3


class AirflowUnusable(Exception):
    """Why dagport cannot serve in front of this Airflow (one line, for start-up)."""


class AirflowBackend:
    # Airflow's scheduler and workers run the runs: none of the contract's optional behaviours.
    capabilities: frozenset[Capability] = frozenset()
    # What Airflow 3 lets a client set (PATCH .../taskInstances/{task_id}).
    settable_task_instance_states: tuple[str | None, ...] = ("success", "failed", "skipped")

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        registry: CollectorRegistry | None,
        *,
        client: AirflowClient | None = None,
    ) -> None:
        self.where = masked(settings.airflow_url)
        self.engine = engine
        self.passthrough = settings.airflow_passthrough
        self.client = client or gateway_client(settings, registry)
        self.store = AirflowStore(self.client, IdRegistry(engine, settings))
        self._version: str | None = None

    async def aclose(self) -> None:
        await self.client.aclose()

    async def upstream_version(self) -> str | None:
        """Airflow's version (``GET /api/v2/version``, read once); ``None`` while it cannot be read."""
        if self._version is None:
            try:
                answer = await self.client.get_public(api.VERSION)
            except DomainError:
                return None
            if answer.status == 200 and isinstance(answer.body, dict):
                self._version = str(answer.body.get("version"))
        return self._version

    async def check(self) -> str:
        """Airflow's version if dagport can serve in front of it; else AirflowUnusable, one line."""
        try:
            answer = await self.client.get_public(api.VERSION)
        except DomainError as exc:
            raise AirflowUnusable(
                f"cannot serve in front of Airflow at {self.where}: {exc.message}"
            ) from None
        body = answer.body if isinstance(answer.body, dict) else {}
        version = str(body.get("version") or "")
        if answer.status != 200 or not version:
            what = f"status {answer.status}" + ("" if body else ", not Airflow's JSON")
            raise AirflowUnusable(
                f"{self.where}/api/v2/version did not name a version ({what}): is DAGPORT_AIRFLOW_URL the "
                "base URL of an Airflow 3 API server? (Airflow 2 has no /api/v2)"
            )
        try:
            major = int(version.split(".")[0])
        except ValueError:
            major = 0
        if major < MINIMUM_MAJOR:
            raise AirflowUnusable(
                f"Airflow at {self.where} is {version}; dagport fronts Airflow 3.0 or newer"
            )
        if not self.passthrough:
            try:  # the service credentials, now rather than at the first request
                await self.client.get(api.DAGS, query={"limit": 1})
            except DomainError as exc:
                raise AirflowUnusable(
                    f"cannot serve in front of Airflow at {self.where}: {exc.message}"
                ) from None
        self._version = version
        return version

    async def ping(self) -> bool:
        """Airflow's health endpoint answers and its metadata database is healthy (on the health
        checks' own connections: busy requests never make a healthy Airflow look down)."""
        try:
            answer = await self.client.get_public(api.HEALTH, health=True)
        except DomainError:
            return False
        body = answer.body if isinstance(answer.body, dict) else {}
        return answer.status == 200 and (body.get("metadatabase") or {}).get("status") == "healthy"

    async def check_caller(self) -> None:
        """Passthrough: the caller's credentials, checked by Airflow (a cheap read, cached like any
        other; 401 / 403 as Airflow answers). Service mode: dagport checked its own token already."""
        if self.passthrough:
            answer = await self.client.get(api.DAGS, query={"limit": 1})
            expect(answer, 200)
            answer.parsed(v2.DagCollection)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AirflowStore]:
        yield self.store

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AirflowStore]:
        yield self.store

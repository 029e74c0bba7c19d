"""What the conformance suite's tests share: the worlds, what a test needs, its helpers (tests/conformance/conftest.py
has the fixtures)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.airflow.backend import AirflowBackend
from app.core.ports import Capability
from app.db.backend import SqlBackend
from tests.conftest import BACKENDS

DAGS_DIR = Path(__file__).parent / "dags"
DEFINITIONS = {path.stem: path.read_text() for path in sorted(DAGS_DIR.glob("*.json"))}
AIRFLOW = "airflow"
WORLDS = [*BACKENDS, pytest.param(AIRFLOW, marks=[pytest.mark.airflow, pytest.mark.xdist_group(AIRFLOW)])]
# What each world's backend declares (class attributes: read without starting anything).
DECLARED = {"postgresql": SqlBackend, "sqlite": SqlBackend, AIRFLOW: AirflowBackend}


# -- what a test needs ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Settable:
    """A task-instance state a client may set (``Backend.settable_task_instance_states``)."""

    state: str | None
    differs = "docs/airflow.md, The mapping (PATCH /dags/{id}/dag_runs/{date}/tasks/{task})"

    @property
    def label(self) -> str:
        return f"client-settable task-instance state {self.state!r}"


def settable(state: str | None) -> Settable:
    return Settable(state)


def requires(*needs: Capability | Settable) -> pytest.MarkDecorator:
    return pytest.mark.requires(*needs)


def lacks(world: str, need: Capability | Settable) -> bool:
    backend = DECLARED[world]
    if isinstance(need, Settable):
        return need.state not in backend.settable_task_instance_states
    return need not in backend.capabilities


@dataclass
class World:
    """One test's view of its world: an authenticated client of the app, the app itself."""

    api: httpx.AsyncClient
    app: Any

    def links(self, dag_id: str, execution_date: str, run_id: str) -> str:
        """The dag_run_url the app writes for a run (its link style is the app's setting)."""
        return self.app.state.services.dag_runs.run_links([dag_id], [execution_date], [run_id])[0]


# -- helpers -----------------------------------------------------------------------------------------


def iso(value: datetime) -> str:
    """A date as the API writes it in JSON (docs/api.md section 2)."""
    return value.astimezone(UTC).isoformat()


def shown(value: datetime) -> str:
    """A date as the API writes it in messages and info (Python's ``str``)."""
    return str(value.astimezone(UTC))


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The error envelope without its request_id (which must echo X-Request-ID)."""
    body = response.json()
    assert body.pop("request_id") == response.headers["x-request-id"]
    return body


async def trigger(api: httpx.AsyncClient, dag_id: str, **body: Any) -> dict[str, Any]:
    response = await api.post(f"/dags/{dag_id}/dag_runs", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def trigger_at(api: httpx.AsyncClient, dag_id: str, when: datetime, **body: Any) -> dict[str, Any]:
    return await trigger(api, dag_id, execution_date=iso(when), **body)


def definition(dag_id: str) -> dict[str, Any]:
    return json.loads(DEFINITIONS[dag_id])

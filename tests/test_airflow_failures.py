"""What a real Airflow cannot be made to answer on demand: an Airflow 2 at start-up, a 5xx, a hang past
the timeout, and a count of concurrent calls. A small local HTTP server stands in for Airflow here
(tests/airflow_standin.py, a real socket and real HTTP); everything else is tested against a real
Airflow in tests/test_airflow_backend.py.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from app.airflow.backend import AirflowBackend, AirflowUnusable
from app.config import Settings
from app.db import migrate
from app.db.engine import create_engine
from app.main import create_app
from tests.airflow_standin import StandIn

TOKEN = "stand-in-test-token-0001"
VERSION_3 = {"version": "3.3.2", "git_version": None}
RUNS = {"dag_runs": [], "total_entries": 0}
RUN = {
    "dag_run_id": "r1", "dag_id": "d", "logical_date": "2025-01-01T00:00:00Z", "run_after": "2025-01-01T00:00:00Z",
    "queued_at": None, "start_date": None, "end_date": None, "state": "running", "run_type": "manual",
}  # fmt: skip


@pytest.fixture(scope="module")
async def dagport_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('stand-in') / 'dagport.db'}"
    engine = create_engine(Settings(database_url=url))
    await migrate.upgrade(engine)
    await engine.dispose()
    return url


def settings_for(url: str, database_url: str, **overrides: Any) -> Settings:
    return Settings(
        database_url=database_url,
        api_tokens=TOKEN,
        backend="airflow",
        airflow_url=url,
        airflow_token="a-static-token",
        **overrides,
    )


@asynccontextmanager
async def dagport(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://dagport.test",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as client:
        yield client
    await app.state.backend.aclose()
    await app.state.engine.dispose()


async def test_an_airflow_older_than_3_is_refused_at_start_up(dagport_db_url: str) -> None:
    async with StandIn({"/api/v2/version": (200, {"version": "2.11.0"}, 0.0)}) as airflow:
        settings = settings_for(airflow.url, dagport_db_url)
        backend = AirflowBackend(settings, create_engine(settings), None)
        with pytest.raises(AirflowUnusable, match=r"is 2\.11\.0; dagport fronts Airflow 3\.0 or newer"):
            await backend.check()
        await backend.aclose()

        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DAGPORT_")},
            "DAGPORT_DATABASE_URL": dagport_db_url,
            "DAGPORT_API_TOKENS": TOKEN,
            "DAGPORT_BACKEND": "airflow",
            "DAGPORT_AIRFLOW_URL": airflow.url,
            "DAGPORT_AIRFLOW_TOKEN": "a-static-token",
            "DAGPORT_PORT": "1",  # never reached: the check comes first
        }
        served = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "app.cli", "serve"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert served.returncode == 1
    assert "Traceback" not in served.stderr
    assert f"Airflow at {airflow.url} is 2.11.0; dagport fronts Airflow 3.0 or newer" in served.stderr


async def test_airflow_5xx_is_a_502_and_a_hang_a_504(dagport_db_url: str) -> None:
    routes = {
        "/api/v2/version": (200, VERSION_3, 0.0),
        "/api/v2/dags/broken": (500, {"detail": "boom"}, 0.0),
        "/api/v2/dags/slow": (200, {"is_paused": False}, 5.0),
    }
    async with (
        StandIn(routes) as airflow,
        dagport(settings_for(airflow.url, dagport_db_url, airflow_timeout=0.5)) as api,
    ):
        broken = await api.get("/api/experimental/dags/broken/paused")
        assert broken.status_code == 502
        assert broken.json()["error"].startswith("Airflow answered 500")
        slow = await api.get("/api/experimental/dags/slow/paused")
        assert (slow.status_code, slow.json()["error"]) == (
            504,
            "Airflow did not answer within 0.5 s",
        )
        not_ready = await api.get("/ready")  # /monitor/health is a 404 here
        assert not_ready.status_code == 503


async def test_polling_clients_keep_at_most_one_upstream_call_in_flight(dagport_db_url: str) -> None:
    """The first round finds the run by date; the next ones read it by the run id that date gave."""
    routes = {
        "/api/v2/dags/d/dagRuns": (200, {"dag_runs": [RUN], "total_entries": 1}, 0.2),
        "/api/v2/dags/d/dagRuns/r1": (200, RUN, 0.2),
    }
    async with StandIn(routes) as airflow, dagport(settings_for(airflow.url, dagport_db_url)) as api:
        for _ in range(3):  # three rounds of 32 concurrent polls of one run
            answers = await asyncio.gather(
                *(api.get("/api/experimental/dags/d/dag_runs/2025-01-01T00:00:00+00:00") for _ in range(32))
            )
            assert {(a.status_code, a.text) for a in answers} == {(200, '{"state":"running"}')}
    assert airflow.most_in_flight == 1
    assert airflow.requests == [
        "/api/v2/dags/d/dagRuns",
        "/api/v2/dags/d/dagRuns/r1",
        "/api/v2/dags/d/dagRuns/r1",
    ]


async def test_with_a_cache_repeated_polls_do_not_reach_airflow(dagport_db_url: str) -> None:
    """The first poll finds the run by date, the second reads it by id, the others are cached."""
    routes = {
        "/api/v2/dags/d/dagRuns": (200, {"dag_runs": [RUN], "total_entries": 1}, 0.0),
        "/api/v2/dags/d/dagRuns/r1": (200, RUN, 0.0),
    }
    async with (
        StandIn(routes) as airflow,
        dagport(settings_for(airflow.url, dagport_db_url, airflow_cache_seconds=60)) as api,
    ):
        for _ in range(10):
            answer = await api.get("/api/experimental/dags/d/dag_runs/2025-01-01T00:00:00+00:00")
            assert answer.json() == {"state": "running"}
    assert airflow.requests == ["/api/v2/dags/d/dagRuns", "/api/v2/dags/d/dagRuns/r1"]


async def test_refused_passthrough_credentials_leave_nothing_behind(dagport_db_url: str) -> None:
    """Callers sending ever new wrong Basic credentials get 401 and grow no table of dagport's."""
    routes = {"/auth/token": (401, {"detail": "Invalid credentials"}, 0.0)}
    async with StandIn(routes) as airflow:
        settings = Settings(
            database_url=dagport_db_url,
            backend="airflow",
            airflow_url=airflow.url,
            airflow_auth="passthrough",
        )
        app = create_app(settings)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://d") as client:
            for n in range(20):
                answer = await client.get("/api/experimental/dags/d/paused", auth=(f"user{n}", "wrong"))
                assert answer.status_code == 401
                assert answer.json()["error"] == "Airflow refused the credentials: Invalid credentials"
        credentials = app.state.backend.client.credentials
        assert (len(credentials._exchanges), len(credentials._tokens)) == (0, 0)
        await app.state.backend.aclose()
        await app.state.engine.dispose()

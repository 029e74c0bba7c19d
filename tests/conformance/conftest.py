"""The conformance suite: the experimental API's contract (docs/api.md), written once, run against
every backend.

Each test runs in every *world*: dagport's own store on Postgres and on SQLite, and dagport in front
of a real Airflow 3.3.2 (tests/airflow_deployment.py, the ``airflow`` marker: ``-m "not airflow"``
leaves that world out). A test says which capabilities it needs (``requires(Capability.X)``,
``requires(settable("running"))``), never which backend: where the world's backend lacks one, the
test is skipped with a reason naming the capability and the docs section that says how the API
answers without it. A new backend, or a new Airflow version, is proven by running this suite.

The DAGs the suite needs exist in both worlds, with the same ids and tasks: as the definitions of
tests/conformance/dags/ (PUT before each test in dagport's store, which starts every test empty) and
as the Python files tests/airflow_dags/conformance_*.py (created paused, so Airflow's scheduler
leaves the runs the suite triggers queued; the Airflow world keeps what every test did). So that
tests never meet each other's runs there, each test dates its runs in days of its own
(``day``), and its clock (what "now" is to dagport) starts on a day of its own too.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.core.ports import Capability
from app.main import create_app
from tests.airflow_deployment import ADMIN, AirflowDeployment
from tests.conformance.support import AIRFLOW, DECLARED, DEFINITIONS, WORLDS, World, lacks
from tests.conftest import TOKEN, FakeClock


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requires(*needs): the capabilities (or client-settable states) a conformance test needs"
    )


@pytest.fixture(scope="session", params=WORLDS)
def world(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(autouse=True)
def _needs(request: pytest.FixtureRequest, world: str) -> None:
    for marker in request.node.iter_markers("requires"):
        for need in marker.args:
            if lacks(world, need):
                pytest.skip(f"needs the capability {need.label!r}; without it, see {need.differs}")


@pytest.fixture(scope="session")
def backend(world: str) -> str:
    """dagport's own database in this world (tests/conftest.py's fixtures build on it): the store's
    in its own worlds, a SQLite file for its tokens and ids in front of Airflow."""
    return "sqlite" if world == AIRFLOW else world


# -- dates of its own for each test --------------------------------------------------------------

_TESTS = itertools.count()
FIRST_DAY = datetime(2031, 1, 1, tzinfo=UTC)
FIRST_NOW = datetime(2026, 11, 24, 2, 49, 29, 97350, tzinfo=UTC)


@pytest.fixture
def number() -> int:
    """This test's number in the session: its days, its clock and its names derive from it."""
    return next(_TESTS)


@pytest.fixture
def day(number: int) -> datetime:
    """Midnight UTC of this test's own 10 days (no other test dates a run in them)."""
    return FIRST_DAY + timedelta(days=10 * number)


@pytest.fixture
def clock(number: int) -> FakeClock:
    """dagport's clock for this test: its own second of "now", advancing only when told."""
    return FakeClock(FIRST_NOW + timedelta(days=number))


# -- the worlds ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def conformance_airflow(airflow_deployment: AirflowDeployment) -> AirflowDeployment:
    """The suite's Airflow: its conformance DAGs parsed, and paused (as created)."""
    for dag_id in DEFINITIONS:
        await airflow_deployment.wait_dag(dag_id, unpause=False)
        response = await airflow_deployment.api("PATCH", f"/dags/{dag_id}", json={"is_paused": True})
        assert response.status_code == 200, response.text
    return airflow_deployment


@pytest.fixture
def conformance_app(world: str, request: pytest.FixtureRequest, clock: FakeClock) -> Any:
    """The app of this test's world (a plain fixture: it asks for the world's own fixtures)."""
    if world != AIRFLOW:
        return request.getfixturevalue("app_factory")()
    airflow: AirflowDeployment = request.getfixturevalue("conformance_airflow")
    engine: AsyncEngine = request.getfixturevalue("engine")
    settings = Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        api_tokens=TOKEN,
        backend="airflow",
        airflow_url=airflow.url,
        airflow_username=ADMIN[0],
        airflow_password=ADMIN[1],
        airflow_timeout=60,  # the api-server shares two cores with the scheduler and the suite
    )
    return create_app(settings, engine=engine, clock=clock)


@pytest.fixture
async def conformance(world: str, conformance_app: Any) -> AsyncIterator[World]:
    app = conformance_app
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://dagport.test/api/experimental",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=60,
    ) as api:
        if Capability.DEFINITIONS in DECLARED[world].capabilities:
            for dag_id, text in DEFINITIONS.items():
                response = await api.put(f"/dags/{dag_id}", content=text)
                assert response.status_code == 201, response.text
        yield World(api, app)
    if world == AIRFLOW:
        await app.state.backend.aclose()


@pytest.fixture
def api(conformance: World) -> httpx.AsyncClient:
    return conformance.api

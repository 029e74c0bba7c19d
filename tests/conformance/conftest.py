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
from app.db import migrate
from app.db.engine import create_engine
from app.main import create_app
from tests.airflow_deployment import ADMIN, AirflowDeployment
from tests.conformance.support import AIRFLOW, DECLARED, DEFINITIONS, WORLDS, World, lacks
from tests.conftest import TOKEN, FakeClock, cleaned, cleaning_script_of, new_database


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


# dagport's own database in each world: the store's in its own worlds, a SQLite file for its tokens
# and ids in front of Airflow. Fixtures of the suite's own, not tests/conftest.py's: those are
# cached per `backend`, which the rest of the suite parametrizes.


@pytest.fixture(scope="session")
async def dagport_engine(world: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncEngine]:
    kind = "sqlite" if world == AIRFLOW else world
    async with new_database(kind, tmp_path_factory) as url:
        engine = create_engine(Settings(database_url=url))
        try:
            await migrate.upgrade(engine)
            yield engine
        finally:
            await engine.dispose()


@pytest.fixture(scope="session")
async def dagport_cleaning(dagport_engine: AsyncEngine) -> str:
    return await cleaning_script_of(dagport_engine)


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
def conformance_app(
    world: str, request: pytest.FixtureRequest, clock: FakeClock, dagport_engine: AsyncEngine
) -> Any:
    """The app of this test's world (a plain fixture: it asks for the Airflow world's own fixture)."""
    url = dagport_engine.url.render_as_string(hide_password=False)
    if world != AIRFLOW:
        settings = Settings(database_url=url, api_tokens=TOKEN, db_pool_size=30, db_max_overflow=10)
        return create_app(settings, engine=dagport_engine, clock=clock)
    airflow: AirflowDeployment = request.getfixturevalue("conformance_airflow")
    settings = Settings(
        database_url=url,
        api_tokens=TOKEN,
        backend="airflow",
        airflow_url=airflow.url,
        airflow_username=ADMIN[0],
        airflow_password=ADMIN[1],
        airflow_timeout=60,  # the api-server shares two cores with the scheduler and the suite
    )
    return create_app(settings, engine=dagport_engine, clock=clock)


@pytest.fixture
async def conformance(
    world: str, conformance_app: Any, dagport_engine: AsyncEngine, dagport_cleaning: str
) -> AsyncIterator[World]:
    app = conformance_app
    if world != AIRFLOW:
        await cleaned(dagport_engine, dagport_cleaning)  # every test starts from empty tables
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

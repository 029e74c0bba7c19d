"""Test fixtures: the whole suite runs once on Postgres and once on SQLite, on real databases.

The schema is built once per database through the migrations (which tests them). Each test starts
from empty tables (plus the migration's ``default_pool``) and ids restarting at 1. Postgres must be
reachable: if it is not, the Postgres half of the suite errors, it is never skipped. Which server,
and how what the suite creates there is named: tests/postgres.py (``DAGPORT_TEST_POSTGRES_URL``, else
a private cluster started for the run; ``DAGPORT_TEST_PREFIX``).

Each pytest process has databases of its own (a Postgres database named after the process, a SQLite
file in its own temporary directory), so pytest-xdist's workers (``pytest -n 2``) never share one.

Tests marked ``system`` need installed programs or servers of their own (nginx, pgbouncer,
chromium, a private Postgres cluster, ``dagport serve`` processes): ``-m "not system"`` leaves them
out for a quick local loop; without it they run, and fail when a program is missing. They are best
run in a process of their own (``pytest -m system``): the reliability run's timing checks should
not compete with other tests for the CPU. Each of their modules is one ``xdist_group``, so under
``-n 2 --dist loadgroup`` its module-scoped servers still start once, on one worker.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.db import migrate
from app.db.engine import create_engine
from app.main import create_app
from reliability.cluster import MissingBinary
from tests import postgres

# The airflow_deployment fixture and the airflow marker.
pytest_plugins = ("tests.airflow_fixtures",)

BACKENDS = [b for b in os.environ.get("DAGPORT_TEST_BACKENDS", "postgresql,sqlite").split(",") if b]
TOKEN = "test-token-0123456789"
# Every table but alembic_version, children before their parents (clean_db deletes in this order).
TABLES = (
    "lineage",
    "task_instance",
    "dag_run",
    "dag_run_stamp",
    "task",
    "dag_tag",
    "dag",
    "slot_pool",
    "api_token",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "system: needs an installed program or a server of its own (nginx, pgbouncer, chromium, a "
        "private Postgres cluster, dagport serve processes); fails, never skips, when it is missing",
    )
    # pytest-xdist registers xdist_group itself; without it the marks must still pass --strict-markers.
    config.addinivalue_line("markers", "xdist_group(name): run these tests on one pytest-xdist worker")
    # The run's Postgres, before pytest-xdist starts its workers (they inherit the environment).
    # Without the server binaries only the tests that use Postgres fail, saying what to install.
    stack = ExitStack()
    try:
        stack.enter_context(postgres.suite_postgres())
    except MissingBinary as exc:
        os.environ[postgres.MISSING_VARIABLE] = str(exc)
    config.stash[_POSTGRES] = stack


def pytest_unconfigure(config: pytest.Config) -> None:
    config.stash.get(_POSTGRES, ExitStack()).close()


_POSTGRES = pytest.StashKey[ExitStack]()


# The longest work units, in this order: system tests, then the tests against a real Airflow.
FIRST_MARKERS = ("system", "airflow")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """System tests first, then the ``airflow`` ones (tests/airflow_fixtures.py), each in their
    order: they are the longest work units (the reliability run alone takes ~40 s, starting Airflow
    about a minute), so under pytest-xdist they start at once, beside the rest, instead of holding
    one worker at the end. After pytest's own reordering (trylast), which groups the tests by
    backend; these tests use no backend, so that grouping stays as it was."""

    def rank(item: pytest.Item) -> int:
        marked = [i for i, name in enumerate(FIRST_MARKERS) if item.get_closest_marker(name)]
        return marked[0] if marked else len(FIRST_MARKERS)

    items.sort(key=rank)  # stable: the order within each rank is kept


class FakeClock:
    """The app's clock, under the test's control: ``now`` advances only when told to."""

    def __init__(self, start: datetime = datetime(2026, 11, 24, 2, 49, 29, 97350, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 1.0) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
async def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    async with new_database(backend, tmp_path_factory) as url:
        yield url


@asynccontextmanager
async def new_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """The URL of a new, empty database of ``backend`` (a SQLite file, or a Postgres database dropped after)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite') / 'dagport.db'}"
        return
    name = await postgres.create_database()
    try:
        yield postgres.database_url(name)
    finally:
        await postgres.drop_database(name)


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, api_tokens=TOKEN, db_pool_size=30, db_max_overflow=10)


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    await migrate.upgrade(engine)
    yield engine
    await engine.dispose()


# Sequences TRUNCATE ... RESTART IDENTITY would restart: those owned by a column of TABLES (serial or
# identity). dag_run_stamp_seq belongs to no column and keeps counting, as it did under TRUNCATE.
OWNED_SEQUENCES = """
SELECT s.seqrelid::regclass::text, s.seqstart FROM pg_sequence s
JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid AND d.deptype IN ('a', 'i')
WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = ANY(CAST(:tables AS regclass[]))
ORDER BY 1
"""
DEFAULT_POOL_ROW = (
    "INSERT INTO slot_pool (pool, slots, description, include_deferred) "
    "VALUES ('default_pool', 128, 'Default pool', false)"
)


@pytest.fixture(scope="session")
async def cleaning_script(engine: AsyncEngine) -> str:
    return await cleaning_script_of(engine)


async def cleaning_script_of(engine: AsyncEngine) -> str:
    """The statements that empty the tables (children first) and restore default_pool, as one script.

    DELETE, not TRUNCATE: on tables this small Postgres deletes in well under a millisecond, while
    TRUNCATE gives each table and index a new file (~20 ms a test). Deleting runs fires their
    triggers, as any deletion does; the tables are emptied all the same. Owned sequences restart
    with setval(), so ids restart at 1 as with TRUNCATE ... RESTART IDENTITY. SQLite numbers a
    rowid after the greatest one left, so its ids restart at 1 once the table is empty.
    """
    statements = [f"DELETE FROM {table}" for table in TABLES]
    if engine.dialect.name != "postgresql":
        return ";\n".join(["BEGIN", *statements, DEFAULT_POOL_ROW, "COMMIT"])
    async with engine.connect() as conn:
        sequences = (await conn.execute(text(OWNED_SEQUENCES), {"tables": list(TABLES)})).all()
    restarts = [f"SELECT setval('{name}', {start}, false)" for name, start in sequences]
    return ";\n".join([*statements, *restarts, DEFAULT_POOL_ROW])


@pytest.fixture
async def clean_db(engine: AsyncEngine, cleaning_script: str) -> AsyncEngine:
    """Empty tables and the migration's default_pool, ids restarting at 1."""
    return await cleaned(engine, cleaning_script)


async def cleaned(engine: AsyncEngine, cleaning_script: str) -> AsyncEngine:
    """``engine``'s database emptied by ``cleaning_script``, in one round trip: asyncpg runs a
    multi-statement script as one implicit transaction, aiosqlite's executescript runs it between
    its own BEGIN and COMMIT."""
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        if engine.dialect.name == "postgresql":
            await driver.execute(cleaning_script)
        else:
            await driver.executescript(cleaning_script)
    return engine


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app_factory(settings: Settings, clean_db: AsyncEngine, clock: FakeClock):
    def build(**overrides: object):
        # A new Settings, not model_copy(): derived values (tz, env_tokens) must follow the overrides.
        app_settings = Settings(**{**settings.model_dump(), **overrides}) if overrides else settings
        return create_app(app_settings, engine=clean_db, clock=clock)

    return build


@pytest.fixture
def app(app_factory):
    return app_factory()


@pytest.fixture
async def anon(app) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sends no credentials."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dagport.test") as c:
        yield c


@asynccontextmanager
async def client_for(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An authenticated client of ``app`` rooted at /api/experimental."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://dagport.test/api/experimental",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as c:
        yield c


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    """An authenticated client of the test's app, rooted at /api/experimental."""
    async with client_for(app) as c:
        yield c


DATA_DIR = Path(__file__).parent / "data"
REFERENCE_DAGS_DIR = DATA_DIR / "dags"
EXAMPLE_DAGS_DIR = Path(__file__).resolve().parents[1] / "app" / "examples" / "dags"

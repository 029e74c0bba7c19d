"""Schema migrations (app/db/migrate.py) on a fresh, empty database of each backend.

Every test gets its own database: a throwaway Postgres database (created through the admin URL, as
conftest does) or a new SQLite file. Upgrading must build exactly the tables of app/db/models.py,
seed ``default_pool``, survive a downgrade to base, and, on Postgres, run once when several
processes start together (advisory lock).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, create_mock_engine, inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.schema import CreateIndex

from app.config import Settings
from app.db import migrate
from app.db.engine import create_engine
from app.db.models import metadata
from tests import postgres

DEFAULT_POOL = (1, "default_pool", 128, "Default pool", False)


@pytest.fixture
async def fresh_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of a new, empty database of the current backend."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    name = await postgres.create_database()
    try:
        yield postgres.database_url(name)
    finally:
        await postgres.drop_database(name)


def _engine(url: str) -> AsyncEngine:
    settings = Settings(database_url=url)
    return create_engine(settings, null_pool=not settings.is_sqlite)


@pytest.fixture
async def fresh_engine(fresh_url: str) -> AsyncIterator[AsyncEngine]:
    engine = _engine(fresh_url)
    yield engine
    await engine.dispose()


def _indexes_created_on(dialect: str) -> set[str]:
    """The model indexes ``metadata.create_all`` creates on ``dialect``, emitted to a mock engine:
    an ``Index(...).ddl_if(dialect=...)`` of another database is not among them."""
    names: set[str] = set()

    def record(ddl: Any, *_: Any, **__: Any) -> None:
        if isinstance(ddl, CreateIndex):
            names.add(ddl.element.name)

    metadata.create_all(create_mock_engine(f"{dialect}://", record), checkfirst=False)
    return names


def _schema_diff(conn: Connection) -> list[Any]:
    created = _indexes_created_on(conn.dialect.name)

    def for_this_database(obj: Any, name: Any, type_: str, reflected: bool, compare_to: Any) -> bool:
        # A model index created on one database only (``ddl_if``, which alembic's comparison does
        # not read) is expected only there.
        return reflected or type_ != "index" or name in created

    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "include_object": for_this_database}
    )
    return compare_metadata(context, metadata)


def _table_names(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


async def schema_diff(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as conn:
        return await conn.run_sync(_schema_diff)


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(_table_names)


async def pools(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT id, pool, slots, description, include_deferred FROM slot_pool ORDER BY id")
        )
        return [tuple(row) for row in rows]


MODEL_TABLES = set(metadata.tables)


def test_head_revision_is_the_newest_script() -> None:
    assert migrate.head_revision() == "0009"


async def test_run_listings_are_covered_by_the_unique_index(backend: str, fresh_engine: AsyncEngine) -> None:
    """Migration 0002: on Postgres the (dag_id, execution_date) index carries the listed columns."""
    await migrate.upgrade(fresh_engine)
    if backend != "postgresql":
        return  # SQLite has no INCLUDE: its constraint stays as 0001 made it
    async with fresh_engine.connect() as conn:
        definition = await conn.scalar(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_dag_run_dag_id_execution_date'")
        )
    assert definition.endswith("(dag_id, execution_date) INCLUDE (id, run_id, state, start_date)")


async def test_empty_database_has_no_revision(fresh_engine: AsyncEngine) -> None:
    assert await migrate.revision_of(fresh_engine) is None
    assert await table_names(fresh_engine) == set()


async def test_upgrade_from_empty_reaches_head(fresh_engine: AsyncEngine) -> None:
    await migrate.upgrade(fresh_engine)
    assert await migrate.revision_of(fresh_engine) == migrate.head_revision()


async def test_upgrade_creates_every_model_table(fresh_engine: AsyncEngine) -> None:
    await migrate.upgrade(fresh_engine)
    assert await table_names(fresh_engine) == MODEL_TABLES | {"alembic_version"}


async def test_upgraded_schema_matches_the_models_exactly(fresh_engine: AsyncEngine) -> None:
    await migrate.upgrade(fresh_engine)
    assert await schema_diff(fresh_engine) == []


async def test_schema_diff_sees_a_missing_table(fresh_engine: AsyncEngine) -> None:
    """The comparison above is not blind: a dropped table shows up in it."""
    await migrate.upgrade(fresh_engine)
    async with fresh_engine.begin() as conn:
        await conn.execute(text("DROP TABLE lineage"))
    diff = await schema_diff(fresh_engine)
    assert [(op[0], op[1].name) for op in diff] == [("add_table", "lineage")]


async def test_upgrade_seeds_the_default_pool(fresh_engine: AsyncEngine) -> None:
    await migrate.upgrade(fresh_engine)
    assert await pools(fresh_engine) == [DEFAULT_POOL]


async def test_upgrade_at_head_changes_nothing(fresh_engine: AsyncEngine) -> None:
    await migrate.upgrade(fresh_engine)
    await migrate.upgrade(fresh_engine)
    assert await migrate.revision_of(fresh_engine) == migrate.head_revision()
    assert await pools(fresh_engine) == [DEFAULT_POOL]


async def test_downgrade_to_base_drops_every_table(fresh_engine: AsyncEngine) -> None:
    await migrate.upgrade(fresh_engine)
    await migrate.downgrade(fresh_engine, "base")
    assert await migrate.revision_of(fresh_engine) is None
    assert await table_names(fresh_engine) == {"alembic_version"}


async def test_upgrade_after_downgrade_rebuilds_the_same_schema(fresh_engine: AsyncEngine) -> None:
    await migrate.upgrade(fresh_engine)
    await migrate.downgrade(fresh_engine, "base")
    await migrate.upgrade(fresh_engine)
    assert await migrate.revision_of(fresh_engine) == migrate.head_revision()
    assert await schema_diff(fresh_engine) == []
    assert await pools(fresh_engine) == [DEFAULT_POOL]


async def _insert_dags(conn: AsyncConnection, dag_ids: tuple[str, ...], now: datetime) -> None:
    """Bare DAG rows at an old revision: only 0002's columns are named (later ones are nullable or
    generated)."""
    from sqlalchemy import insert

    from app.db.models import dag

    row = {
        "is_paused": False,
        "tags": [],
        "owners": [],
        "default_args": {},
        "fileloc": "f",
        "source_text": "",
    }
    for dag_id in dag_ids:
        await conn.execute(insert(dag).values(**row, dag_id=dag_id, created_at=now, updated_at=now))


async def test_0003_to_0005_point_each_existing_dag_at_its_latest_run(fresh_engine: AsyncEngine) -> None:
    """Runs stored before migrations 0003 to 0005 get their DAG's pointer and the run's
    start_date, also as isoformat() text; a DAG without runs gets NULLs."""

    from sqlalchemy import insert, select

    from app.db.models import dag, dag_run

    await migrate.upgrade(fresh_engine, "0002")
    now = datetime(2026, 11, 24, tzinfo=UTC)
    async with fresh_engine.begin() as conn:
        await _insert_dags(conn, ("a", "b"), now)
        for day in (3, 9, 5):
            await conn.execute(
                insert(dag_run).values(
                    dag_id="a",
                    run_id=f"r{day}",
                    execution_date=datetime(2016, 11, day, tzinfo=UTC),
                    start_date=datetime(2016, 11, day, 1, tzinfo=UTC),
                    state="success",
                    external_trigger=False,
                )
            )
    await migrate.upgrade(fresh_engine)
    async with fresh_engine.connect() as conn:
        rows = (
            await conn.execute(
                select(
                    dag.c.dag_id,
                    dag_run.c.run_id,
                    dag.c.latest_execution_date,
                    dag.c.latest_start_date,
                    dag.c.latest_execution_date_iso,
                    dag.c.latest_start_date_iso,
                )
                .select_from(dag.outerjoin(dag_run, dag_run.c.id == dag.c.latest_run_id))
                .order_by(dag.c.dag_id)
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        (
            "a",
            "r9",
            datetime(2016, 11, 9, tzinfo=UTC),
            datetime(2016, 11, 9, 1, tzinfo=UTC),
            "2016-11-09T00:00:00+00:00",
            "2016-11-09T01:00:00+00:00",
        ),
        ("b", None, None, None, None, None),
    ]


async def test_0007_gives_each_existing_dag_a_stamp_of_its_own(fresh_engine: AsyncEngine) -> None:
    """DAGs stored before 0007 get distinct stamps, so their listings can be cached at once; the
    triggers then give the next change a stamp none of them had."""

    from sqlalchemy import insert, select

    from app.db.models import dag_run, dag_run_stamp

    await migrate.upgrade(fresh_engine, "0006")
    now = datetime(2026, 11, 24, tzinfo=UTC)
    async with fresh_engine.begin() as conn:
        await _insert_dags(conn, ("a", "b", "c"), now)
    await migrate.upgrade(fresh_engine)
    query = select(dag_run_stamp.c.dag_id, dag_run_stamp.c.stamp).order_by(dag_run_stamp.c.dag_id)
    async with fresh_engine.begin() as conn:
        before = dict((await conn.execute(query)).all())
        await conn.execute(
            insert(dag_run).values(
                dag_id="b", run_id="r", execution_date=now, state="queued", external_trigger=True
            )
        )
    async with fresh_engine.connect() as conn:
        after = dict((await conn.execute(query)).all())
    assert sorted(before) == ["a", "b", "c"]
    assert len(set(before.values())) == 3
    assert {k: v for k, v in after.items() if k != "b"} == {k: v for k, v in before.items() if k != "b"}
    assert after["b"] not in before.values()


async def test_revision_of_the_suite_database_is_head(engine: AsyncEngine) -> None:
    assert await migrate.revision_of(engine) == migrate.head_revision()


async def test_concurrent_upgrades_on_postgres_migrate_once(backend: str, fresh_url: str) -> None:
    if backend != "postgresql":
        pytest.skip("the advisory lock exists on Postgres only; SQLite serves one process")
    engines = [_engine(fresh_url) for _ in range(4)]
    try:
        await asyncio.gather(*(migrate.upgrade(e) for e in engines))
        assert await migrate.revision_of(engines[0]) == migrate.head_revision()
        assert await schema_diff(engines[0]) == []
        assert await pools(engines[0]) == [DEFAULT_POOL]
        async with engines[0].connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert [tuple(v) for v in versions] == [(migrate.head_revision(),)]
    finally:
        for e in engines:
            await e.dispose()


async def test_advisory_lock_is_released_after_upgrade(backend: str, fresh_engine: AsyncEngine) -> None:
    if backend != "postgresql":
        pytest.skip("advisory locks exist on Postgres only")
    await migrate.upgrade(fresh_engine)
    async with fresh_engine.connect() as conn:
        held = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                "WHERE l.locktype = 'advisory' AND d.datname = current_database()"
            )
        )
    assert held == 0

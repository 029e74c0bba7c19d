"""The start-up preparation (app/startup.py) outside ``dagport serve``: the lifespan of an app built
with ``prepare=True`` (``app.main:serve_app``) migrates, loads and creates a first token before it
serves, or stops the start-up with one line; an app built without it (``app.main:prepared_app``,
what ``dagport serve`` hands its workers) prepares nothing. Then the real processes: uvicorn started
directly, and ``dagport serve`` preparing once for its two workers.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from app.config import Settings
from app.db import migrate
from app.db.engine import create_engine
from app.main import create_app
from app.startup import StartupError
from tests import postgres
from tests.conftest import EXAMPLE_DAGS_DIR
from tests.processes import (
    DAGPORT,
    Process,
    dagport_environment,
    free_port,
    throwaway_database,
    wait_for_http,
)

HEAD = migrate.head_revision()
EXAMPLES = ["etl_pipeline", "example_bash_operator", "lineage_example"]
NOT_MIGRATED = "the database is not migrated: run `dagport db upgrade` (DAGPORT_AUTO_MIGRATE is off)"


@pytest.fixture
async def db_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'startup.db'}"
        return
    name = await postgres.create_database("startup")
    try:
        yield postgres.database_url(name, drivername="postgresql")
    finally:
        await postgres.drop_database(name)


async def column(url: str, sql: str) -> list[object]:
    engine = create_engine(Settings(database_url=url), null_pool=True)
    try:
        async with engine.connect() as conn:
            return list((await conn.scalars(text(sql))).all())
    finally:
        await engine.dispose()


async def revision(url: str) -> str | None:
    engine = create_engine(Settings(database_url=url), null_pool=True)
    try:
        return await migrate.revision_of(engine)
    finally:
        await engine.dispose()


async def start_and_stop(settings: Settings, *, prepare: bool) -> None:
    """The app's lifespan, as uvicorn runs it: start-up, then shutdown at once."""
    app = create_app(settings, prepare=prepare)
    async with app.router.lifespan_context(app):
        pass


async def test_an_app_that_prepares_migrates_loads_and_creates_a_first_token(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token_file = tmp_path / "initial-token"
    settings = Settings(database_url=db_url, load_examples=True, initial_token_file=token_file)
    await start_and_stop(settings, prepare=True)
    assert await revision(db_url) == HEAD
    assert await column(db_url, "SELECT dag_id FROM dag ORDER BY dag_id") == EXAMPLES
    assert await column(db_url, "SELECT name FROM api_token") == ["initial"]
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert f"it was written to {token_file} (mode 0600)" in capsys.readouterr().out


async def test_an_app_that_prepares_refuses_an_unmigrated_database_without_auto_migrate(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(database_url=db_url, auto_migrate=False, load_examples=True)
    with pytest.raises(StartupError, match=f"^{re.escape(NOT_MIGRATED)}$"):
        await start_and_stop(settings, prepare=True)
    assert ("dagport", "ERROR", NOT_MIGRATED) in [
        (r.name, r.levelname, r.getMessage()) for r in caplog.records
    ]
    assert await revision(db_url) is None


async def test_an_app_that_does_not_prepare_leaves_the_database_alone(db_url: str) -> None:
    await start_and_stop(Settings(database_url=db_url, load_examples=True), prepare=False)
    assert await revision(db_url) is None


def log_records(process: Process) -> list[dict[str, object]]:
    return [json.loads(line) for line in process.stderr_lines() if line.startswith("{")]


@pytest.mark.system
@pytest.mark.xdist_group("startup")
async def test_uvicorn_started_directly_stops_on_an_unmigrated_database(tmp_path: Path) -> None:
    database = tmp_path / "direct.db"
    env = dagport_environment(database_url=f"sqlite:///{database}", auto_migrate="false")
    argv = [sys.executable, "-m", "uvicorn", "app.main:serve_app", "--factory", "--port", str(free_port())]
    process = Process("uvicorn", argv, tmp_path, env).start()
    try:
        assert process.wait(60) == 3  # uvicorn's status for a failed start-up
    finally:
        process.stop()
    records = [(r["level"], r["logger"], r["msg"]) for r in log_records(process)]
    assert ("info", "dagport", f"database sqlite:///{database}") in records, process.output()
    assert ("error", "dagport", NOT_MIGRATED) in records, process.output()


@pytest.mark.system
@pytest.mark.xdist_group("startup")
async def test_uvicorn_started_directly_prepares_before_it_serves(tmp_path: Path) -> None:
    database = tmp_path / "direct.db"
    port = free_port()
    env = dagport_environment(
        database_url=f"sqlite:///{database}",
        load_examples="true",
        initial_token_file=tmp_path / "initial-token",
    )
    argv = [sys.executable, "-m", "uvicorn", "app.main:serve_app", "--factory", "--port", str(port)]
    process = Process("uvicorn", argv, tmp_path, env).start()
    try:
        await wait_for_http(f"http://127.0.0.1:{port}/ready", process, within=60)
    finally:
        process.stop()
    assert await revision(f"sqlite:///{database}") == HEAD
    assert await column(f"sqlite:///{database}", "SELECT dag_id FROM dag ORDER BY dag_id") == EXAMPLES
    assert (tmp_path / "initial-token").exists()


@pytest.mark.system
@pytest.mark.xdist_group("startup")
async def test_dagport_serve_prepares_once_for_all_its_workers(tmp_path: Path) -> None:
    async with throwaway_database("serve_once") as database_url:
        port = free_port()
        env = dagport_environment(
            database_url=database_url,
            port=port,
            workers=2,
            load_examples="true",
            initial_token_file=tmp_path / "initial-token",
        )
        process = Process("dagport", [DAGPORT, "serve"], tmp_path, env).start()
        try:
            await wait_for_http(f"http://127.0.0.1:{port}/ready", process, within=60)
        finally:
            process.stop()
        assert await column(database_url, "SELECT name FROM api_token") == ["initial"]
    lines = process.stdout_path.read_text().splitlines()
    loaded = [line for line in lines if line.startswith("[")]
    assert loaded == [
        f"[{i}/3] {EXAMPLE_DAGS_DIR / name}: created {dag_id} ({tasks} tasks)"
        for i, (name, dag_id, tasks) in enumerate(
            [
                ("etl_pipeline.yaml", "etl_pipeline", 3),
                ("example_bash_operator.json", "example_bash_operator", 7),
                ("lineage_example.json", "lineage_example", 2),
            ],
            start=1,
        )
    ], process.output()
    assert sum("No API token existed" in line for line in lines) == 1

"""dagport through PgBouncer in transaction pooling mode (docs/api.md section 7: DB_STATEMENT_CACHE_SIZE=0).

Debian's pgbouncer runs as a child process on a free loopback port, with a fallback database entry
(``*``: the suite's Postgres, tests/postgres.py) so every test reaches its own throwaway database through it, and
only 2 server connections per database: a dagport pool of 8 connections and dozens of concurrent
requests are multiplexed over them, which is where prepared statements go astray. PgBouncer also
runs DISCARD ALL after every transaction, so that a prepared statement used across transactions
fails every time rather than when the scheduling happens to hand over another server connection.

The schema is migrated directly: migrations take a session-level advisory lock, which transaction
pooling does not keep on one server connection. The resulting rows are checked directly too.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.db import migrate
from app.db.engine import create_engine
from app.main import create_app
from tests import postgres
from tests.conftest import REFERENCE_DAGS_DIR
from tests.helpers import put_dag
from tests.processes import Process, free_port, require_binary, throwaway_database

# Needs pgbouncer (conftest.py: system). One xdist group: it starts once, on one worker.
pytestmark = [pytest.mark.system, pytest.mark.xdist_group("pgbouncer")]

TOKEN = "pgbouncer-test-token"
DAG = "example_bash"
TASKS = ("extract", "transform", "load")
RUNS = [f"2020-01-{day:02d}T00:00:00+00:00" for day in range(1, 25)]
POOLS = ("etl_pool", "reporting", "adhoc")


def write_config(work: Path, port: int) -> Path:
    """pgbouncer.ini and its auth file, readable by the postgres user pgbouncer runs as under root
    (it refuses to run as root itself; pytest's temp dirs are private to root, hence mkdtemp)."""
    work.chmod(0o755)
    users = work / "users.txt"
    users.write_text('"postgres" ""\n')
    server = make_url(postgres.admin_url())
    ini = work / "pgbouncer.ini"
    ini.write_text(
        "[databases]\n"
        f"* = host={server.host} port={server.port or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {users}\n"
        "pool_mode = transaction\ndefault_pool_size = 2\nmax_client_conn = 500\n"
        # Every prepared statement is dropped when its transaction ends (see the module docstring).
        "server_reset_query = DISCARD ALL\nserver_reset_query_always = 1\n"
    )
    for path in (users, ini):
        path.chmod(0o644)
    return ini


@pytest.fixture(scope="module")
async def pgbouncer_port() -> AsyncIterator[int]:
    binary = require_binary("pgbouncer")
    work = Path(tempfile.mkdtemp(prefix="dagport-pgbouncer-"))
    port = free_port()
    ini = write_config(work, port)
    argv = [binary, *(["-u", "postgres"] if os.geteuid() == 0 else []), str(ini)]
    process = Process("pgbouncer", argv, work).start()
    try:
        await wait_for_port(port, process)
        yield port
    finally:
        process.stop()
        shutil.rmtree(work, ignore_errors=True)


async def wait_for_port(port: int, process: Process, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while True:
        if not process.running:
            pytest.fail(f"pgbouncer exited\n{process.output()}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"pgbouncer did not listen within {within:g} s\n{process.output()}")
            await asyncio.sleep(0.05)
        else:
            writer.close()
            await writer.wait_closed()
            return


@pytest.fixture
async def database(pgbouncer_port: int) -> AsyncIterator[tuple[str, str]]:
    """A migrated throwaway database: (its direct URL, its URL through PgBouncer)."""
    async with throwaway_database("pgbouncer") as direct:
        engine = create_engine(Settings(database_url=direct), null_pool=True)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()
        yield direct, make_url(direct).set(port=pgbouncer_port).render_as_string(hide_password=False)


@asynccontextmanager
async def api(database_url: str, **settings: object) -> AsyncIterator[httpx.AsyncClient]:
    """dagport on ``database_url`` with a pool of 8 connections, and an authenticated client."""
    app = create_app(
        Settings(database_url=database_url, api_tokens=TOKEN, db_pool_size=4, db_max_overflow=4, **settings)
    )
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://dagport.test/api/experimental",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30.0,
        ) as client:
            yield client
    finally:
        await app.state.engine.dispose()


async def statuses(requests: list[Awaitable[httpx.Response]]) -> dict[int, int]:
    """How many responses had each status code."""
    counts: dict[int, int] = {}
    for response in await asyncio.gather(*requests):
        counts[response.status_code] = counts.get(response.status_code, 0) + 1
    return counts


async def rows(engine: AsyncEngine, sql: str) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        return [tuple(row) for row in await conn.execute(text(sql))]


def triggers_and_pool_upserts(client: httpx.AsyncClient) -> list[Awaitable[httpx.Response]]:
    """24 triggers and 12 upserts of 3 pools, all at once (far more than the 8 pooled connections)."""
    return [client.post(f"/dags/{DAG}/dag_runs", json={"execution_date": date}) for date in RUNS] + [
        client.post("/pools", json={"name": POOLS[i % 3], "slots": 5, "description": f"upsert {i % 3}"})
        for i in range(12)
    ]


# -- DAGPORT_DB_POOLER=pgbouncer, or DAGPORT_DB_STATEMENT_CACHE_SIZE=0 -----------------------------------

PGBOUNCER_SETTINGS = [{"db_pooler": "pgbouncer"}, {"db_statement_cache_size": 0}]


@pytest.mark.parametrize("setting", PGBOUNCER_SETTINGS, ids=["db_pooler", "statement_cache_0"])
async def test_concurrent_triggers_patches_and_pool_upserts_succeed(
    database: tuple[str, str], setting: dict[str, object]
) -> None:
    direct, bounced = database
    async with api(bounced, **setting) as client:
        await put_dag(client, REFERENCE_DAGS_DIR / f"{DAG}.json")
        first = await statuses(triggers_and_pool_upserts(client))
        patches = await statuses(
            [
                client.patch(f"/dags/{DAG}/dag_runs/{date}/tasks/{task}", json={"state": "running"})
                for date in RUNS
                for task in TASKS
            ]
        )
    assert first == {200: len(RUNS) + 12}
    assert patches == {200: len(RUNS) * len(TASKS)}
    engine = create_engine(Settings(database_url=direct), null_pool=True)
    try:
        assert await rows(engine, "SELECT state, count(*) FROM dag_run GROUP BY state") == [("running", 24)]
        assert await rows(engine, "SELECT state, try_number, count(*) FROM task_instance GROUP BY 1, 2") == [
            ("running", 1, 72)
        ]
        assert await rows(engine, "SELECT pool, slots, description FROM slot_pool ORDER BY pool") == [
            ("adhoc", 5, "upsert 2"),
            ("default_pool", 128, "Default pool"),
            ("etl_pool", 5, "upsert 0"),
            ("reporting", 5, "upsert 1"),
        ]
    finally:
        await engine.dispose()


@pytest.mark.parametrize("setting", PGBOUNCER_SETTINGS, ids=["db_pooler", "statement_cache_0"])
async def test_concurrent_reads_succeed(database: tuple[str, str], setting: dict[str, object]) -> None:
    _, bounced = database
    # Chunks of 2 runs, no listing cache: each listing of 24 runs is streamed, through a cursor.
    async with api(bounced, listing_chunk_rows=2, listing_cache_mb=0, **setting) as client:
        await put_dag(client, REFERENCE_DAGS_DIR / f"{DAG}.json")
        assert await statuses(triggers_and_pool_upserts(client)) == {200: len(RUNS) + 12}
        lists, states, pools = await asyncio.gather(
            asyncio.gather(*(client.get(f"/dags/{DAG}/dag_runs") for _ in range(10))),
            asyncio.gather(*(client.get(f"/dags/{DAG}/dag_runs/{date}") for date in RUNS)),
            asyncio.gather(*(client.get("/pools") for _ in range(10))),
        )
    assert [(r.status_code, len(r.json())) for r in lists] == [(200, len(RUNS))] * 10
    assert all("content-length" not in r.headers for r in lists)  # streamed
    assert [item["execution_date"] for item in lists[0].json()] == RUNS
    assert len({r.content for r in lists}) == 1
    assert [(r.status_code, r.json()) for r in states] == [(200, {"state": "queued"})] * len(RUNS)
    assert [(r.status_code, len(r.json())) for r in pools] == [(200, 1 + len(POOLS))] * 10


# -- the default statement cache -----------------------------------------------------------------------------


async def test_default_statement_cache_breaks_through_pgbouncer(
    database: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """Why DB_STATEMENT_CACHE_SIZE=0 is needed: asyncpg's cached statements (__asyncpg_stmt_N__, one
    numbering per client connection) are prepared on whichever server connection PgBouncer lent,
    and the next transaction may get another one."""
    _, bounced = database
    caplog.set_level(logging.ERROR, logger="dagport")
    async with api(bounced) as client:
        await put_dag(client, REFERENCE_DAGS_DIR / f"{DAG}.json")
        counts = await statuses(triggers_and_pool_upserts(client))
    assert counts.get(500, 0) > 0, counts
    assert "prepared statement" in caplog.text

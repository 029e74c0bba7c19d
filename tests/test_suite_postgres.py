"""The suite's own Postgres (tests/postgres.py): a private cluster when no server is given, and the
prefix of every database and role it creates."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests import postgres

ROOT = Path(__file__).resolve().parents[1]


def test_names_carry_the_configured_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(postgres.PREFIX_VARIABLE, raising=False)
    assert postgres.unique_name().startswith(f"dagport_test_{os.getpid()}_")
    monkeypatch.setenv(postgres.PREFIX_VARIABLE, "ci42_")
    assert postgres.unique_name("proxy").startswith(f"ci42_proxy_{os.getpid()}_")
    assert postgres.unique_name() != postgres.unique_name()
    monkeypatch.setenv(postgres.PREFIX_VARIABLE, 'x"; DROP')
    with pytest.raises(RuntimeError, match="DAGPORT_TEST_PREFIX"):
        postgres.unique_name()


async def test_databases_and_roles_created_on_the_server_carry_the_prefix(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "postgresql":
        pytest.skip("Postgres only")
    monkeypatch.setenv(postgres.PREFIX_VARIABLE, "dagport_prefixcheck_")
    name = await postgres.create_database("x")
    try:
        conn = await asyncpg.connect(postgres.database_url(name, drivername="postgresql"))
        try:
            assert await conn.fetchval("SELECT current_database()") == name
        finally:
            await conn.close()
    finally:
        await postgres.drop_database(name)
    assert name.startswith(f"dagport_prefixcheck_x_{os.getpid()}_")


def test_without_a_server_url_a_private_cluster_is_started_shared_and_removed(tmp_path: Path) -> None:
    """A child process with no DAGPORT_TEST_POSTGRES_URL: suite_postgres() starts a cluster on a
    free port (not the machine's 5432), exports its URL to the child's own subprocesses, answers
    queries, and is gone (port closed, directory deleted) when the block ends."""
    script = tmp_path / "child.py"
    script.write_text(
        "import os, subprocess, sys\n"
        "from tests import postgres\n"
        "with postgres.suite_postgres() as cluster:\n"
        "    dsn = cluster.admin_dsn\n"
        "    url = os.environ[postgres.URL_VARIABLE]\n"
        "    seen = subprocess.run([sys.executable, '-c', 'import os; print(os.environ[\"%s\"])' % "
        "postgres.URL_VARIABLE], capture_output=True, text=True, check=True).stdout.strip()\n"
        "    print(dsn); print(url); print(seen)\n"
        "    import asyncpg, asyncio\n"
        "    print(asyncio.run(asyncpg.connect(dsn)).get_server_version().major)\n"
        "print(os.environ.get(postgres.URL_VARIABLE)); print(cluster.root.parent)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != postgres.URL_VARIABLE}
    result = subprocess.run(
        [sys.executable, "-c", script.read_text()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    dsn, url, seen, major, after, work = result.stdout.split()
    port = make_url(url).port
    assert port != 5432 and make_url(dsn).port == port
    assert seen == url and int(major) >= 13 and after == "None"

    async def refused() -> bool:
        try:
            await asyncpg.connect(dsn, timeout=2)
        except OSError:
            return True
        return False

    assert asyncio.run(refused())
    assert not Path(work).exists()

"""The Postgres server the test suite uses, and the names of what it creates there.

``DAGPORT_TEST_POSTGRES_URL`` set: that server, through that admin URL (a superuser, e.g.
``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``). Every database and role the suite creates
is named by :func:`unique_name`: ``DAGPORT_TEST_PREFIX`` (default ``dagport_test_``), what it is for,
the process id and a random suffix, so several runs can share one server and leftovers are found by
their prefix.

Unset: the run starts a private, throwaway cluster (:class:`reliability.cluster.PrivatePostgres`:
initdb into a temporary directory, a free loopback port, pg_ctl; as root through the ``postgres`` OS
user) and deletes it at the end. The process that starts it exports its URL in
``DAGPORT_TEST_POSTGRES_URL`` before anything else runs, so pytest-xdist's workers (started later by
that process) and every subprocess a test starts use the same cluster: one cluster per run.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from reliability.cluster import PrivatePostgres
from reliability.stack import free_port

URL_VARIABLE = "DAGPORT_TEST_POSTGRES_URL"
PREFIX_VARIABLE = "DAGPORT_TEST_PREFIX"
# Why no private cluster could be started (set for the workers and subprocesses instead of the URL).
MISSING_VARIABLE = "DAGPORT_TEST_POSTGRES_MISSING"
DEFAULT_PREFIX = "dagport_test_"
# The suite opens a pool per backend and xdist worker, and the system tests start servers of
# their own: more than the default 100 connections at its busiest.
PRIVATE_MAX_CONNECTIONS = 300


def admin_url() -> str:
    """The admin URL of the suite's server (SQLAlchemy asyncpg form)."""
    url = os.environ.get(URL_VARIABLE)
    if not url:
        why = os.environ.get(MISSING_VARIABLE, "no private cluster was started")
        raise RuntimeError(f"{URL_VARIABLE} is not set and {why}")
    return make_url(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def prefix() -> str:
    value = os.environ.get(PREFIX_VARIABLE, DEFAULT_PREFIX)
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", value):
        raise RuntimeError(f"{PREFIX_VARIABLE}={value!r}: lower-case letters, digits and _ only")
    return value


def unique_name(purpose: str = "") -> str:
    """A database or role name of this process's own: ``<prefix><purpose>_<pid>_<random>``."""
    middle = f"{purpose}_" if purpose else ""
    return f"{prefix()}{middle}{os.getpid()}_{uuid.uuid4().hex[:6]}"


def database_url(name: str, *, drivername: str = "postgresql+asyncpg") -> str:
    """The URL of database ``name`` on the suite's server."""
    url = make_url(admin_url()).set(drivername=drivername, database=name)
    return url.render_as_string(hide_password=False)


async def admin(sql: str) -> None:
    """Run one statement on the server's admin database, outside a transaction."""
    engine = create_async_engine(admin_url(), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def create_database(purpose: str = "") -> str:
    """A new empty database named by :func:`unique_name`; returns its name. Fails loudly when the
    server is unreachable (the Postgres half of the suite errors, it is never skipped)."""
    name = unique_name(purpose)
    await admin(f'CREATE DATABASE "{name}"')
    return name


async def drop_database(name: str) -> None:
    await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def suite_postgres() -> Iterator[PrivatePostgres | None]:
    """The server for this run: ``DAGPORT_TEST_POSTGRES_URL`` as given (yields None), or a private
    cluster (yielded) whose URL is exported there while it runs, removed afterwards."""
    if os.environ.get(URL_VARIABLE):
        yield None
        return
    settings = {"max_connections": PRIVATE_MAX_CONNECTIONS, "fsync": "off", "synchronous_commit": "off"}
    work = Path(tempfile.mkdtemp(prefix="dagport-test-postgres-"))
    try:
        os.chmod(work, 0o755)  # the postgres OS user (as root) must reach its data directory inside
        cluster = PrivatePostgres(work, free_port(), settings=settings)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    try:
        cluster.init()
        cluster.start()
        os.environ[URL_VARIABLE] = f"postgresql+asyncpg://postgres@127.0.0.1:{cluster.port}/postgres"
        yield cluster
    finally:
        os.environ.pop(URL_VARIABLE, None)
        cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)

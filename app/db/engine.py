"""Engine per dialect: asyncpg for Postgres, aiosqlite for the embedded SQLite default."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, NamedTuple, TypeAlias

import orjson
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from app.config import Settings
from app.db.reads import read_pool_in_use

# An engine as the rest of the app names its type: only app/db imports SQLAlchemy.
Engine: TypeAlias = AsyncEngine


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def create_engine(
    settings: Settings, *, null_pool: bool = False, connect_timeout: float | None = None
) -> AsyncEngine:
    """Build the engine for ``settings.database_url``.

    SQLite gets one pooled connection: it serves one process, its writers serialise anyway, and a
    single connection rules out lock-upgrade deadlocks between two deferred transactions.
    Statement parameters are hidden from log lines and exception texts (``hide_parameters``): they
    carry run configurations, definitions and token hashes, and SQLAlchemy logs them whenever its
    logger is enabled (LOG_LEVEL=DEBUG or INFO) and puts them in every statement error.
    ``null_pool``: no pool at all, a connection per ``connect()`` closed when returned (SQLite
    too); ``connect_timeout`` bounds opening a Postgres connection and each statement on it.
    """
    kwargs: dict[str, Any] = {
        "json_serializer": _json_dumps,
        "json_deserializer": orjson.loads,
        "hide_parameters": True,
    }
    if settings.is_sqlite:
        database = make_url(settings.database_url).database
        if null_pool:
            kwargs["poolclass"] = NullPool
        else:
            kwargs |= {"pool_size": 1, "max_overflow": 0, "pool_timeout": settings.db_pool_timeout}
        engine = create_async_engine(settings.database_url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        # Before each connection is opened (not when the engine is built: an engine never used
        # leaves no file behind).
        event.listen(engine.sync_engine, "do_connect", lambda *_: _create_private_database_file(database))
        return engine
    connect_args: dict[str, Any] = {
        "statement_cache_size": settings.db_statement_cache_size,
        "command_timeout": 30 if connect_timeout is None else connect_timeout,
        "server_settings": {"application_name": "dagport"},
    }
    if connect_timeout is not None:
        connect_args["timeout"] = connect_timeout
    if settings.behind_pgbouncer:
        # PgBouncer in transaction pooling mode: no named prepared statements may outlive a query.
        connect_args["statement_cache_size"] = 0
        connect_args["prepared_statement_cache_size"] = 0
        connect_args["prepared_statement_name_func"] = _unique_statement_name
    if null_pool:
        kwargs["poolclass"] = NullPool
    else:
        kwargs |= {
            "pool_size": settings.db_pool_size,
            "max_overflow": settings.db_max_overflow,
            "pool_timeout": settings.db_pool_timeout,
            "pool_pre_ping": False,
        }
    return create_async_engine(settings.database_url, connect_args=connect_args, **kwargs)


class PoolFigures(NamedTuple):
    """A worker's database connections at one moment (``/metrics``: app/observability.py)."""

    in_use: int
    idle: int
    size: int  # the configured pool size, without overflow


def pool_figures(engine: AsyncEngine) -> PoolFigures:
    """The engine's pool and its asyncpg read pool, if open (app/db/reads.py), read now."""
    pool: Any = engine.pool
    in_use = pool.checkedout() if hasattr(pool, "checkedout") else 0
    idle = pool.checkedin() if hasattr(pool, "checkedin") else 0
    reads = read_pool_in_use(engine)
    if reads is not None:
        in_use, idle = in_use + reads[0], idle + reads[1]
    return PoolFigures(in_use, idle, pool.size() if hasattr(pool, "size") else 0)


@asynccontextmanager
async def short_lived_engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine for one command or one start-up, disposed when the block ends: no pool on
    Postgres (each use opens a connection and closes it), SQLite's one connection otherwise."""
    engine = create_engine(settings, null_pool=not settings.is_sqlite)
    try:
        yield engine
    finally:
        await engine.dispose()


def display_url(database_url: str) -> str:
    """The database URL as a user writes it, password masked; a SQLite file also as an absolute path."""
    url = make_url(database_url)
    shown = url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database)
        if not path.is_absolute():
            shown += f" ({path.resolve()})"
    return shown


def _create_private_database_file(database: str | None) -> None:
    """Create a new SQLite database file readable and writable by its owner only: it holds run conf,
    DAG arguments and the tokens' hashes. SQLite gives the -wal, -shm and -journal files it creates
    beside it the database file's mode. An existing file is left as it is."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except (FileNotFoundError, NotADirectoryError):
        # The folder is missing: SQLite's own error, raised before its connection thread starts
        # (a thread that fails to connect can outlive a short-lived event loop and print a traceback).
        raise sqlite3.OperationalError("unable to open database file") from None


def _unique_statement_name() -> str:
    import uuid

    return f"__asyncpg_{uuid.uuid4().hex}__"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class PoolGate:
    """First come, first served admission to the database's connections.

    SQLAlchemy's async pool queues waiters in an asyncio.Queue, which lets a newcomer take a
    connection returned while an earlier waiter is being woken; under sustained load some requests
    lost that race over and over (a long p99 tail). The gate holds as many permits as a unit of
    work may hold connections and hands them out in arrival order: a returned permit goes straight
    to the oldest waiter, a newcomer queues behind every waiter. Waiting longer than the pool
    timeout raises SQLAlchemy's pool TimeoutError (answered 503).

    Waiters keep their deadline beside them, in arrival order, so one timer, set for the oldest
    waiter's deadline, serves them all (cheaper than asyncio.Semaphore under asyncio.timeout,
    which arms and cancels a timer per wait; docs/performance.md).
    """

    def __init__(self, permits: int, timeout: float) -> None:
        self.permits = permits
        self._free = permits
        self._timeout = timeout
        self._waiters: deque[tuple[float, asyncio.Future[None]]] = deque()  # (deadline, future), oldest first
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None

    async def enter(self) -> None:
        if self._free and not self._waiters:
            self._free -= 1
            return
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        self._waiters.append((loop.time() + self._timeout, waiter))
        if self._timer is None or self._timer_loop is not loop:
            self._set_timer(loop)
        try:
            await waiter
        except asyncio.CancelledError:
            # A waiter cancelled in the queue stays there, done, and is skipped when its turn
            # comes; one granted a permit and cancelled before it ran hands the permit on.
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self.leave()
            raise

    def leave(self) -> None:
        waiters = self._waiters
        while waiters:
            _, waiter = waiters.popleft()
            if not waiter.done():  # skips the cancelled
                waiter.set_result(None)
                return
        self._free += 1

    def _set_timer(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = loop.call_at(self._waiters[0][0], self._expire, loop)
        self._timer_loop = loop

    def _expire(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        now = loop.time()
        waiters = self._waiters
        while waiters and (waiters[0][0] <= now or waiters[0][1].done()):
            _, waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_exception(PoolTimeoutError(f"no database connection within {self._timeout:g} s"))
        if waiters:
            self._set_timer(loop)

"""dagport's own tables as the services' backend (``app.core.ports.Backend``).

A unit of work is one pooled connection, admitted in arrival order (``PoolGate``): a reading
one reads as ``app/db/reads.py`` decides, a writing one is one transaction, committed when its
block ends. Its store hands out one repository per port (app/db/repositories/), each applying the
core's plans with prebuilt statements, and the optional pre-rendered, versioned listings. Database
failures leave here as domain errors (``Unavailable``, ``Invalid``: the reading of
app/db/failures.py), so no layer above knows a driver's exceptions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.config import Settings
from app.core.ports import Capability
from app.core.states import TASK_INSTANCE_STATES
from app.db.engine import PoolGate
from app.db.failures import domain_error_of
from app.db.reads import AsyncpgReader, CoreReader, Reader, asyncpg_pool, read_path
from app.db.repositories.dag_runs import DagRunRepository
from app.db.repositories.dags import DagRepository
from app.db.repositories.lineage import LineageRepository
from app.db.repositories.listings import ListingRepository
from app.db.repositories.pools import PoolRepository
from app.db.repositories.task_instances import TaskRepository
from app.errors import DomainError, Unavailable


class Database:
    """Units of work over one engine, as the settings say to read (``read_path``), admitted by
    one :class:`PoolGate`: what every access to dagport's tables goes through (the services'
    backend below, and the Airflow backend's id registry, app/db/repositories/airflow_ids.py)."""

    def __init__(self, engine: AsyncEngine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.dialect = engine.dialect.name
        self.read_path = read_path(settings)
        self.gate = PoolGate(settings.db_connection_limit, settings.db_pool_timeout)
        # Reads through Core run in autocommit (no BEGIN/COMMIT round trips), except behind
        # PgBouncer's transaction pooling, which needs every statement inside a transaction.
        self.core_read_engine = (
            engine if settings.behind_pgbouncer else engine.execution_options(isolation_level="AUTOCOMMIT")
        )

    def reading(self) -> UnitOfWork:
        return UnitOfWork(self, write=False)

    def writing(self) -> UnitOfWork:
        return UnitOfWork(self, write=True)


class SqlBackend(Database):
    """dagport's tables as the services' backend (``app.core.ports.Backend``): every capability."""

    capabilities = frozenset(Capability)
    settable_task_instance_states = TASK_INSTANCE_STATES

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:  # any failure means "not ready"; the reason is not the balancer's business
            return False
        return True


class UnitOfWork:
    """``async with backend.reading() as store``: a connection for the block, a :class:`SqlStore`
    over it; a writing unit commits when the block ends (before the response is sent) and rolls
    back on any exception. A plain class rather than a generator-based context manager: it runs
    on every request."""

    __slots__ = ("_backend", "_context", "_pooled", "_write")

    def __init__(self, backend: Database, *, write: bool) -> None:
        self._backend = backend
        self._write = write
        self._context: Any = None
        self._pooled: Any = None

    async def __aenter__(self) -> SqlStore:
        backend = self._backend
        gate = backend.gate
        try:
            await gate.enter()  # connections in arrival order (app/db/engine.py)
        except PoolTimeoutError as exc:
            raise Unavailable() from exc
        try:
            if self._write:
                self._context = backend.engine.begin()
                conn = await self._context.__aenter__()
                return SqlStore(CoreReader(conn), conn, backend.dialect)
            if backend.read_path == "asyncpg":
                pool = await asyncpg_pool(backend.engine, backend.settings)
                self._pooled = pool.acquire(timeout=backend.settings.db_pool_timeout)
                driver = await self._pooled.__aenter__()
                return SqlStore(AsyncpgReader(driver, backend.engine.dialect), None, backend.dialect)
            self._context = backend.core_read_engine.connect()
            conn = await self._context.__aenter__()
            return SqlStore(CoreReader(conn), None, backend.dialect)
        except BaseException as exc:
            gate.leave()
            error = domain_error_of(exc) if isinstance(exc, Exception) else None
            if error is not None:
                raise error from exc
            raise

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if self._pooled is not None:
                await self._pooled.__aexit__(exc_type, exc, tb)
            else:
                await self._context.__aexit__(exc_type, exc, tb)
        except Exception as failure:  # the commit itself failed, or the connection broke
            error = domain_error_of(failure)
            if error is not None:
                raise error from failure
            raise
        finally:
            self._backend.gate.leave()
        if exc is not None and not isinstance(exc, DomainError):
            error = domain_error_of(exc)
            if error is not None:
                raise error from exc


class SqlStore:
    """One unit of work's ports (``app.core.ports.Store``), each a repository over its connection."""

    __slots__ = ("conn", "dialect", "reader")

    def __init__(self, reader: Reader, conn: AsyncConnection | None, dialect: str) -> None:
        self.reader = reader
        self.conn = conn
        self.dialect = dialect

    @property
    def runs(self) -> DagRunRepository:
        return DagRunRepository(self.reader, self.conn, self.dialect)

    @property
    def tasks(self) -> TaskRepository:
        return TaskRepository(self.reader, self.conn, self.dialect)

    @property
    def dags(self) -> DagRepository:
        return DagRepository(self.reader, self.conn, self.dialect)

    @property
    def pools(self) -> PoolRepository:
        return PoolRepository(self.reader, self.conn, self.dialect)

    @property
    def lineage(self) -> LineageRepository:
        return LineageRepository(self.reader, self.conn, self.dialect)

    @property
    def listings(self) -> ListingRepository:
        return ListingRepository(self.reader, self.conn, self.dialect)

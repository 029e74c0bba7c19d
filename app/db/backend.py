"""dagport's own tables as the services' backend (``app.services.backend.Backend``).

A unit of work is one pooled connection, admitted in arrival order (``PoolGate``): a reading
one reads as ``app/db/reads.py`` decides, a writing one is one transaction, committed when its
block ends. Database failures leave here as domain errors (``Unavailable``, ``Invalid``: the
reading of app/db/failures.py), so no layer above knows a driver's exceptions.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.config import Settings
from app.core.results import (
    Dag,
    DagDefinition,
    DagPage,
    LatestRun,
    LineageLookup,
    ListedRun,
    Pool,
    RunFilter,
    RunLookup,
    RunsVersion,
    StoredDag,
    TaskInstanceLookup,
    TaskInstanceReport,
    TaskLookup,
    TriggerOutcome,
)
from app.core.trigger import TriggerPlan
from app.db.engine import PoolGate
from app.db.failures import domain_error_of
from app.db.reads import AsyncpgReader, CoreReader, Reader, asyncpg_pool, read_path
from app.db.repositories.dag_runs import DagRunRepository
from app.db.repositories.dags import DagRepository
from app.db.repositories.lineage import LineageRepository
from app.db.repositories.pools import PoolRepository
from app.db.repositories.tasks import TaskRepository
from app.errors import DomainError, Unavailable
from app.services.backend import UNSET


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
    """dagport's tables as the services' backend (``app.services.backend.Backend``)."""

    accepts_definitions = True

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
    """The backend's operations on one unit of work's connection (``app.services.backend.Store``)."""

    __slots__ = ("conn", "dialect", "reader")

    def __init__(self, reader: Reader, conn: AsyncConnection | None, dialect: str) -> None:
        self.reader = reader
        self.conn = conn
        self.dialect = dialect

    def _runs(self) -> DagRunRepository:
        return DagRunRepository(self.reader, self.conn, self.dialect)

    def _dags(self) -> DagRepository:
        return DagRepository(self.reader, self.conn, self.dialect)

    def _pools(self) -> PoolRepository:
        return PoolRepository(self.reader, self.conn, self.dialect)

    # -- runs --------------------------------------------------------------------------------------
    async def find_run(self, *, dag_id: str, execution_date: datetime) -> RunLookup:
        return await self._runs().find_run(dag_id=dag_id, execution_date=execution_date)

    async def list_runs(self, *, dag_id: str, filters: RunFilter, dag_known: bool) -> list[ListedRun] | None:
        return await self._runs().list_runs(dag_id=dag_id, filters=filters, dag_known=dag_known)

    async def stream_runs(
        self, *, dag_id: str, filters: RunFilter, chunk_rows: int
    ) -> AsyncGenerator[list[ListedRun]]:
        # Chunks are read after the unit of work has handed the store out, so their failures are
        # turned into domain errors here, where a statement's would be by UnitOfWork.__aexit__.
        chunks = self._runs().stream_runs(dag_id=dag_id, filters=filters, chunk_rows=chunk_rows)
        try:
            async with aclosing(chunks):
                async for chunk in chunks:
                    yield chunk
        except Exception as exc:
            error = domain_error_of(exc)
            if error is None or isinstance(exc, DomainError):
                raise
            raise error from exc

    async def runs_version(self, *, dag_id: str) -> RunsVersion:
        return await self._runs().runs_version(dag_id=dag_id)

    async def latest_runs(self) -> list[LatestRun]:
        return await self._runs().latest_runs()

    async def latest_runs_version(self) -> int | None:
        return await self._runs().latest_runs_version()

    async def trigger(self, plan: TriggerPlan) -> TriggerOutcome:
        return await self._runs().trigger(plan)

    async def set_run_state(
        self, *, dag_id: str, execution_date: datetime, state: str, now: datetime
    ) -> RunLookup:
        runs = self._runs()
        run = await runs.lock_run(dag_id=dag_id, execution_date=execution_date)
        if run is None:
            return RunLookup(dag_exists=await runs.dag_exists(dag_id=dag_id), run=None)
        return RunLookup(dag_exists=True, run=await runs.set_run_state(run=run, state=state, now=now))

    # -- tasks and task instances ----------------------------------------------------------------
    async def find_task(self, *, dag_id: str, task_id: str) -> TaskLookup:
        return await TaskRepository(self.reader, self.conn, self.dialect).find(dag_id=dag_id, task_id=task_id)

    async def find_task_instance(
        self, *, dag_id: str, execution_date: datetime, task_id: str
    ) -> TaskInstanceLookup:
        return await self._runs().find_task_instance(
            dag_id=dag_id, execution_date=execution_date, task_id=task_id
        )

    async def report_task_instance(
        self,
        *,
        dag_id: str,
        execution_date: datetime,
        task_id: str,
        report: TaskInstanceReport,
        now: datetime,
    ) -> TaskInstanceLookup:
        runs = self._runs()
        # The run's row lock first, then the task instance read under it: reports of one run
        # serialise, and each reads what the previous one wrote (no lost try_number increments).
        run = await runs.lock_run(dag_id=dag_id, execution_date=execution_date)
        found = await runs.find_task_instance(dag_id=dag_id, execution_date=execution_date, task_id=task_id)
        if found.instance is None:
            return found
        if run is None:  # the run was deleted between the two reads
            return TaskInstanceLookup(dag_exists=True, task_exists=True, run_exists=False, instance=None)
        updated = await runs.update_task_instance(run=run, current=found.instance, report=report, now=now)
        return TaskInstanceLookup(dag_exists=True, task_exists=True, run_exists=True, instance=updated)

    async def run_lineage(self, *, dag_id: str, execution_date: datetime) -> LineageLookup:
        found = await self._runs().find_run(dag_id=dag_id, execution_date=execution_date)
        if found.run is None:
            return LineageLookup(dag_exists=found.dag_exists, run_exists=False, tasks=[])
        tasks = await LineageRepository(self.reader, self.conn, self.dialect).for_run(run_pk=found.run.id)
        return LineageLookup(dag_exists=True, run_exists=True, tasks=tasks)

    # -- DAGs ----------------------------------------------------------------------------------------
    async def get_dag(self, *, dag_id: str) -> Dag | None:
        return await self._dags().get(dag_id=dag_id)

    async def list_dags(self, *, limit: int, offset: int, paused: bool | None, tag: str | None) -> DagPage:
        return await self._dags().list(limit=limit, offset=offset, paused=paused, tag=tag)

    async def dag_source(self, *, dag_id: str) -> str | None:
        return await self._dags().source_text(dag_id=dag_id)

    async def is_paused(self, *, dag_id: str) -> bool | None:
        return await self._dags().is_paused(dag_id=dag_id)

    async def set_paused(self, *, dag_id: str, paused: bool) -> bool:
        return await self._dags().set_paused(dag_id=dag_id, paused=paused)

    async def delete_dag(self, *, dag_id: str) -> int | None:
        return await self._dags().delete(dag_id=dag_id)

    async def upsert_dag(
        self, *, definition: DagDefinition, source_text: str, fileloc: str, now: datetime
    ) -> StoredDag:
        return await self._dags().upsert(spec=definition, source_text=source_text, fileloc=fileloc, now=now)

    # -- pools ---------------------------------------------------------------------------------------
    async def list_pools(self) -> list[Pool]:
        return await self._pools().list()

    async def get_pool(self, *, name: str) -> Pool | None:
        return await self._pools().get(name=name)

    async def upsert_pool(
        self, *, name: str, slots: int, description: Any = UNSET, include_deferred: Any = UNSET
    ) -> Pool:
        return await self._pools().upsert(
            name=name, slots=slots, description=description, include_deferred=include_deferred
        )

    async def delete_pool(self, *, name: str) -> Pool | None:
        return await self._pools().delete(name=name)

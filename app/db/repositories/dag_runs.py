"""DAG runs and their task instances: trigger, lookups, listings and state changes."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import fields, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    JSON,
    and_,
    bindparam,
    case,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from app.core.results import (
    LatestRun,
    ListedRun,
    Run,
    RunFilter,
    RunLookup,
    RunsVersion,
    TaskInstance,
    TaskInstanceLookup,
    TaskInstanceReport,
    TriggerOutcome,
)
from app.core.states import FAILED_TI_STATES, FINISHED_TI_STATES, derived_run_state
from app.core.trigger import START_DATE_RULE, StartDateRule, TriggerPlan, may_start
from app.db.models import UTCDateTime, dag, dag_run, dag_run_stamp, iso_text, lineage, task, task_instance
from app.db.repositories.base import Repository

# What a listing shows: exactly the columns the (dag_id, execution_date) index INCLUDEs on Postgres,
# so a listing is an index-only scan (migration 0002).
LIST_COLUMNS = (
    dag_run.c.id,
    dag_run.c.dag_id,
    dag_run.c.run_id,
    dag_run.c.execution_date,
    dag_run.c.state,
    dag_run.c.start_date,
)
RUN_COLUMNS = (*LIST_COLUMNS, dag_run.c.end_date, dag_run.c.queued_at, dag_run.c.external_trigger)

TI_COLUMNS = tuple(c for c in task_instance.c if c.name not in ("dag_run_id", "dag_id"))
# A task instance's own columns after its task_id, in TaskInstance's field order (checked here).
TI_VALUE_COLUMNS = tuple(c for c in TI_COLUMNS if c.name != "task_id")
assert [c.name for c in RUN_COLUMNS] == [f.name for f in fields(Run)]
assert [c.name for c in TI_VALUE_COLUMNS] == [f.name for f in fields(TaskInstance)][4:]

# What the listing cache's stamps cover (migration 0007; app/listing_cache.py): every column of
# dag_run, and the dag row's latest-run columns, which triggers on dag_run keep in the same
# transaction. tests/test_listing_cache.py checks that the cached statements read nothing else.
STAMP_COVERED_COLUMNS = frozenset(
    [
        *dag_run.c,
        dag.c.dag_id,
        dag.c.latest_run_id,
        dag.c.latest_execution_date_iso,
        dag.c.latest_start_date_iso,
    ]
)


def _unfinished(state: ColumnElement[Any]) -> ColumnElement[bool]:
    return or_(state.is_(None), state.not_in(FINISHED_TI_STATES))


# Hot lookups are built once, with bind parameters: building a Core statement per request cost
# about as much as executing it, and a prebuilt statement's cache key is memoized.
_FIND_RUN = (
    select(dag.c.dag_id.label("dag_found"), *RUN_COLUMNS)
    .select_from(
        dag.outerjoin(
            dag_run,
            and_(dag_run.c.dag_id == dag.c.dag_id, dag_run.c.execution_date == bindparam("execution_date")),
        )
    )
    .where(dag.c.dag_id == bindparam("dag_id"))
)

_FIND_TASK_INSTANCE = (
    select(
        dag.c.dag_id.label("dag_found"),
        task.c.task_id.label("task_found"),
        dag_run.c.id.label("run_pk"),
        dag_run.c.run_id,
        dag_run.c.execution_date,
        task_instance.c.task_id.label("ti_found"),
        *TI_VALUE_COLUMNS,
    )
    .select_from(
        dag.outerjoin(task, and_(task.c.dag_id == dag.c.dag_id, task.c.task_id == bindparam("task_id")))
        .outerjoin(
            dag_run,
            and_(dag_run.c.dag_id == dag.c.dag_id, dag_run.c.execution_date == bindparam("execution_date")),
        )
        .outerjoin(
            task_instance,
            and_(task_instance.c.dag_run_id == dag_run.c.id, task_instance.c.task_id == bindparam("task_id")),
        )
    )
    .where(dag.c.dag_id == bindparam("dag_id"))
)

_DAG_EXISTS = select(dag.c.dag_id).where(dag.c.dag_id == bindparam("dag_id"))

# A row if the DAG exists, with its runs' stamp (migration 0007), NULL if it has none yet.
_RUNS_STAMP = (
    select(dag_run_stamp.c.stamp)
    .select_from(dag.outerjoin(dag_run_stamp, dag_run_stamp.c.dag_id == dag.c.dag_id))
    .where(dag.c.dag_id == bindparam("dag_id"))
)
# The sum of every DAG's stamp: it grows with every committed change to any DAG's runs (0007).
_RUNS_STAMP_SUM = select(func.sum(dag_run_stamp.c.stamp))


# Each DAG's latest run, as the database keeps it on the dag row (migrations 0003 to 0005): one
# scan of the dag table, no join, the dates already isoformat() text (nothing formatted per call).
_LATEST_RUNS = (
    select(dag.c.dag_id, dag.c.latest_execution_date_iso, dag.c.latest_start_date_iso)
    .where(dag.c.latest_run_id.is_not(None))
    .order_by(dag.c.dag_id)
)


_RUN_VALUES = {
    "dag_id": bindparam("dag_id"),
    "run_id": bindparam("run_id"),
    "execution_date": bindparam("execution_date", type_=UTCDateTime()),
    "state": bindparam("state"),
    "start_date": bindparam("start_date", type_=UTCDateTime()),
    "queued_at": bindparam("now", type_=UTCDateTime()),
    "external_trigger": True,
    "conf": bindparam("conf", type_=JSON()),
}


def _insert_task_instances(run_pk: Any, new_run: Any = None) -> Any:
    """One task instance per task of the DAG, as one INSERT ... SELECT (no per-task round trips)."""
    tasks = select(
        run_pk,
        task.c.task_id,
        task.c.dag_id,
        task.c.retries,
        task.c.pool,
        task.c.pool_slots,
        task.c.queue,
        task.c.effective_priority_weight,
        task.c.operator,
        bindparam("now", type_=UTCDateTime()),
    ).where(task.c.dag_id == bindparam("dag_id"))
    if new_run is not None:  # the run inserted by the same statement: one row, joined to every task
        tasks = tasks.select_from(task.join(new_run, true()))
    columns = [
        "dag_run_id",
        "task_id",
        "dag_id",
        "max_tries",
        "pool",
        "pool_slots",
        "queue",
        "priority_weight",
        "operator",
        "updated_at",
    ]
    return task_instance.insert().from_select(columns, tasks)


def start_date_allows(
    start_date: ColumnElement[Any], execution_date: ColumnElement[Any], rule: StartDateRule = START_DATE_RULE
) -> ColumnElement[bool]:
    """``app.core.trigger.START_DATE_RULE`` rendered as SQL, for the one statement that decides in
    the database (tests/test_start_date_rule.py: the same answers as ``may_start``)."""
    compared = start_date <= execution_date if rule.inclusive else start_date < execution_date
    return (
        or_(start_date.is_(None), compared) if rule.unset_allows else and_(start_date.is_not(None), compared)
    )


# What a trigger reads of the DAG (that it exists; its start_date): a statement of its own on
# SQLite; on Postgres a CTE of one statement that also inserts the run, only when the DAG exists and
# START_DATE_RULE allows the run's date, and its task instances.
_TRIGGER_DAG_START = select(dag.c.start_date).where(dag.c.dag_id == bindparam("dag_id"))
_TRIGGER_DAG = _TRIGGER_DAG_START.cte("trigger_dag")
_NEW_RUN = (
    postgresql.insert(dag_run)
    .from_select(
        list(_RUN_VALUES),
        select(*(literal(v) if isinstance(v, bool) else v for v in _RUN_VALUES.values()))
        .select_from(_TRIGGER_DAG)
        .where(start_date_allows(_TRIGGER_DAG.c.start_date, _RUN_VALUES["execution_date"])),
    )
    .on_conflict_do_nothing()
    .returning(dag_run.c.id)
    .cte("new_run")
)
_TRIGGER_POSTGRES = (
    select(_TRIGGER_DAG.c.start_date, _NEW_RUN.c.id)
    .select_from(_TRIGGER_DAG.outerjoin(_NEW_RUN, true()))
    .add_cte(_insert_task_instances(_NEW_RUN.c.id, _NEW_RUN).cte("new_task_instances"))
)
_INSERT_RUN_SQLITE = (
    sqlite.insert(dag_run).values(**_RUN_VALUES).on_conflict_do_nothing().returning(dag_run.c.id)
)

# A worker's state report (PATCH .../tasks/{task_id}) runs up to five statements; each is built once
# (building and compiling them per request costs a large part of the endpoint's CPU).
_LOCK_RUN = (
    select(*RUN_COLUMNS)
    .where(
        dag_run.c.dag_id == bindparam("dag_id"),
        dag_run.c.execution_date == bindparam("execution_date", type_=UTCDateTime()),
    )
    .with_for_update()
)

# Their bind parameters are named ``b_<column>``: an UPDATE's bind parameters may not share the
# names of the columns it sets (SQLAlchemy reserves those for the SET clause).
_RUN_STARTED = (
    update(dag_run)
    .where(dag_run.c.id == bindparam("b_run"))
    .values(state="running", start_date=bindparam("b_now", type_=UTCDateTime()))
)

_RUN_FINISHED = (
    update(dag_run)
    .where(dag_run.c.id == bindparam("b_run"))
    .values(state=bindparam("b_state"), end_date=bindparam("b_now", type_=UTCDateTime()))
)

_RUN_RESUMED = (
    update(dag_run).where(dag_run.c.id == bindparam("b_run")).values(state="running", end_date=None)
)

_RUN_TI_COUNTS = select(
    func.count(),
    func.coalesce(func.sum(case((_unfinished(task_instance.c.state), 1), else_=0)), 0),
    func.coalesce(func.sum(case((task_instance.c.state.in_(FAILED_TI_STATES), 1), else_=0)), 0),
).where(task_instance.c.dag_run_id == bindparam("b_run"))

# What a report may set besides the state, when the worker sends it.
_REPORTED = ("hostname", "pid", "unixname")


@lru_cache(maxsize=64)
def _ti_update_statement(kind: str, reported: tuple[str, ...]) -> Any:
    """The UPDATE ... RETURNING of one task instance, per kind of state (running, queued,
    finished, other) and set of reported fields. Values are bound as ``b_<column>``: an UPDATE's
    bind parameters may not be named like the columns it sets (SQLAlchemy reserves those)."""
    tis = task_instance.c
    now = bindparam("b_now", type_=UTCDateTime())
    values: dict[str, Any] = {"state": bindparam("b_state"), "updated_at": now}
    values |= {key: bindparam(f"b_{key}") for key in reported}
    if kind == "running":
        values |= {"try_number": tis.try_number + 1, "start_date": now, "end_date": None, "duration": None}
    elif kind == "finished":
        values |= {"end_date": now, "duration": bindparam("b_duration")}
    else:
        values["end_date"] = None
        if kind == "queued":
            values["queued_dttm"] = now
    return (
        update(task_instance)
        .where(tis.dag_run_id == bindparam("b_run"), tis.task_id == bindparam("b_task_id"))
        .values(**values)
        .returning(*TI_VALUE_COLUMNS)
    )


@lru_cache(maxsize=32)
def _list_runs_statement(state: bool, gte: bool, lte: bool, limit: bool) -> Any:
    """One prebuilt statement per combination of filters used.

    The columns of the index (LIST_COLUMNS) but the dag_id, which the caller knows, with the dates
    as text (iso_text): a listing is rendered, never computed on. The page is cut in a subquery
    and its dates formatted outside it: Postgres evaluates a scan's expressions for every row it
    reads, also the rows OFFSET skips (a page at offset 900 formatted 1,000 runs' dates).
    """
    page = select(*(c for c in LIST_COLUMNS if c is not dag_run.c.dag_id)).where(
        dag_run.c.dag_id == bindparam("dag_id")
    )
    if state:
        page = page.where(dag_run.c.state == bindparam("state"))
    if gte:
        page = page.where(dag_run.c.execution_date >= bindparam("gte", type_=UTCDateTime()))
    if lte:
        page = page.where(dag_run.c.execution_date <= bindparam("lte", type_=UTCDateTime()))
    page = page.order_by(dag_run.c.execution_date).offset(bindparam("offset"))
    if limit:
        page = page.limit(bindparam("limit"))
    cut = page.subquery("page")
    return select(
        cut.c.id, cut.c.run_id, iso_text(cut.c.execution_date), cut.c.state, iso_text(cut.c.start_date)
    ).order_by(cut.c.execution_date)


def _list_runs_query(dag_id: str, filters: RunFilter) -> tuple[Any, dict[str, Any]]:
    """The listing's prebuilt statement for these filters, and its parameters."""
    stmt = _list_runs_statement(
        filters.state is not None,
        filters.execution_date_gte is not None,
        filters.execution_date_lte is not None,
        filters.limit is not None,
    )
    params = {
        "dag_id": dag_id,
        "state": filters.state,
        "gte": filters.execution_date_gte,
        "lte": filters.execution_date_lte,
        "offset": filters.offset,
        "limit": filters.limit,
    }
    return stmt, {k: v for k, v in params.items() if v is not None}


class DagRunRepository(Repository):
    # -- lookups ---------------------------------------------------------------------------------

    async def find_run(self, *, dag_id: str, execution_date: datetime) -> RunLookup:
        """The DAG's existence and the run, in one round trip."""
        row = await self.first(_FIND_RUN, {"dag_id": dag_id, "execution_date": execution_date})
        if row is None:
            return RunLookup(dag_exists=False, run=None)
        return RunLookup(dag_exists=True, run=None if row[1] is None else Run(*row[1:]))

    async def find_task_instance(
        self, *, dag_id: str, execution_date: datetime, task_id: str
    ) -> TaskInstanceLookup:
        """DAG, task, run and task instance in one query."""
        params = {"dag_id": dag_id, "execution_date": execution_date, "task_id": task_id}
        row = await self.first(_FIND_TASK_INSTANCE, params)
        if row is None:
            return TaskInstanceLookup(dag_exists=False, task_exists=False, run_exists=False, instance=None)
        dag_found, task_found, run_pk, run_id, run_date, ti_found = row[:6]
        instance = None
        if ti_found is not None:
            instance = TaskInstance(ti_found, dag_found, run_id, run_date, *row[6:])
        return TaskInstanceLookup(
            dag_exists=True,
            task_exists=task_found is not None,
            run_exists=run_pk is not None,
            instance=instance,
        )

    async def list_runs(
        self, *, dag_id: str, filters: RunFilter, dag_known: bool = False
    ) -> list[ListedRun] | None:
        """The page of runs by execution_date, dates as ISO text; ``None`` if the DAG is unknown.

        Runs imply their DAG (foreign key): only an empty page costs a second query, unless the
        caller already knows the DAG exists (``dag_known``: it read :meth:`runs_version`).
        """
        rows = await self.rows(*_list_runs_query(dag_id, filters))
        if not rows and not dag_known and not await self.dag_exists(dag_id=dag_id):
            return None
        return list(map(ListedRun._make, rows))

    async def stream_runs(
        self, *, dag_id: str, filters: RunFilter, chunk_rows: int
    ) -> AsyncGenerator[list[ListedRun]]:
        """The same runs as :meth:`list_runs`, in chunks of at most ``chunk_rows``, read from one
        statement as they are taken; no chunk when there is no run (nor when the DAG is unknown)."""
        async with aclosing(self.reader.stream(*_list_runs_query(dag_id, filters), chunk_rows)) as chunks:
            async for rows in chunks:
                yield list(map(ListedRun._make, rows))

    async def runs_version(self, *, dag_id: str) -> RunsVersion:
        """Whether the DAG exists, and its runs' stamp (``None`` before its first run)."""
        row = await self.first(_RUNS_STAMP, {"dag_id": dag_id})
        return RunsVersion(dag_exists=False, version=None) if row is None else RunsVersion(True, row[0])

    async def latest_runs_version(self) -> int | None:
        """The sum of every DAG's runs stamp: it grows with every committed change to any of them."""
        value = await self.scalar(_RUNS_STAMP_SUM, {})
        return None if value is None else int(value)

    async def latest_runs(self) -> list[LatestRun]:
        """Each DAG's run with the greatest execution_date, ordered by dag_id, in one query."""
        return [
            LatestRun(dag_id, date, start, None) for dag_id, date, start in await self.rows(_LATEST_RUNS, {})
        ]

    async def dag_exists(self, *, dag_id: str) -> bool:
        return await self.first(_DAG_EXISTS, {"dag_id": dag_id}) is not None

    # -- writes ----------------------------------------------------------------------------------

    async def trigger(self, plan: TriggerPlan) -> TriggerOutcome:
        """Create the run and one task instance per task, if the DAG exists and starts no later.

        ON CONFLICT DO NOTHING covers both unique constraints, (dag_id, run_id) and (dag_id,
        execution_date): of concurrent identical triggers exactly one inserts, the others wait
        for it and get nothing back, without an aborted transaction. On Postgres it is one
        statement (data-modifying CTEs: one round trip); SQLite reads the DAG, then inserts the
        run, then its task instances.
        """
        params = {
            "dag_id": plan.dag_id,
            "run_id": plan.run_id,
            "execution_date": plan.execution_date,
            "state": plan.state,
            "start_date": plan.start_date,
            "now": plan.now,
            "conf": plan.conf,
        }
        if self.dialect == "postgresql":
            row = (await self.conn.execute(_TRIGGER_POSTGRES, params)).one_or_none()
            if row is None:
                return TriggerOutcome(dag_exists=False, dag_start_date=None, created=False)
            return TriggerOutcome(dag_exists=True, dag_start_date=row[0], created=row[1] is not None)
        found = (await self.conn.execute(_TRIGGER_DAG_START, params)).one_or_none()
        if found is None:
            return TriggerOutcome(dag_exists=False, dag_start_date=None, created=False)
        start_date = found[0]
        if not may_start(start_date, plan.execution_date):
            return TriggerOutcome(dag_exists=True, dag_start_date=start_date, created=False)
        run_pk = await self.conn.scalar(_INSERT_RUN_SQLITE, params)
        if run_pk is not None:
            await self.conn.execute(_insert_task_instances(literal_column(str(int(run_pk)))), params)
        return TriggerOutcome(dag_exists=True, dag_start_date=start_date, created=run_pk is not None)

    async def lock_run(self, *, dag_id: str, execution_date: datetime) -> Run | None:
        """The run, its row locked for the rest of the transaction (state changes happen under it)."""
        result = await self.conn.execute(_LOCK_RUN, {"dag_id": dag_id, "execution_date": execution_date})
        row = result.one_or_none()
        return None if row is None else Run(*row)

    async def set_run_state(self, *, run: Run, state: str, now: datetime) -> Run:
        """Mark a locked run success/failed (finishing its unfinished task instances) or clear it
        (queued: task instances back to no state, try_number kept, dates cleared)."""
        tis = task_instance.c
        if state in ("success", "failed"):
            if state == "success":
                await self._record_lineage_from_tasks(run_pk=run.id, now=now)
            started = (
                await self.conn.execute(
                    select(tis.task_id, tis.start_date).where(
                        tis.dag_run_id == run.id, _unfinished(tis.state), tis.start_date.is_not(None)
                    )
                )
            ).all()
            await self.conn.execute(
                update(task_instance)
                .where(tis.dag_run_id == run.id, _unfinished(tis.state))
                .values(state=state, end_date=now, duration=None, updated_at=now)
            )
            if started:
                # Exact durations computed here (SQLite's julianday arithmetic is off by tens of µs);
                # one executemany for all task instances that had started.
                await self.conn.execute(
                    update(task_instance)
                    .where(tis.dag_run_id == run.id, tis.task_id == bindparam("b_task_id"))
                    .values(duration=bindparam("b_duration")),
                    [
                        {"b_task_id": task_id, "b_duration": (now - start_date).total_seconds()}
                        for task_id, start_date in started
                    ],
                )
            values: dict[str, Any] = {"state": state, "end_date": now}
        else:
            await self.conn.execute(delete(lineage).where(lineage.c.dag_run_id == run.id))
            await self.conn.execute(
                update(task_instance)
                .where(tis.dag_run_id == run.id)
                .values(
                    state=None,
                    start_date=None,
                    end_date=None,
                    duration=None,
                    queued_dttm=None,
                    updated_at=now,
                )
            )
            values = {"state": "queued", "start_date": None, "end_date": None, "queued_at": now}
        row = (
            await self.conn.execute(
                update(dag_run).where(dag_run.c.id == run.id).values(**values).returning(*RUN_COLUMNS)
            )
        ).one()
        return Run(*row)

    async def _record_lineage_from_tasks(self, *, run_pk: int, now: datetime) -> None:
        tis = task_instance.c
        source = (
            select(
                tis.dag_run_id,
                tis.task_id,
                tis.dag_id,
                task.c.inlets,
                task.c.outlets,
                literal(now, UTCDateTime()),
            )
            .select_from(
                task_instance.join(task, and_(task.c.dag_id == tis.dag_id, task.c.task_id == tis.task_id))
            )
            .where(tis.dag_run_id == run_pk, _unfinished(tis.state))
        )
        stmt = self.insert(lineage).from_select(
            ["dag_run_id", "task_id", "dag_id", "inlets", "outlets", "recorded_at"], source
        )
        await self.conn.execute(stmt.on_conflict_do_nothing())

    async def update_task_instance(
        self, *, run: Run, current: TaskInstance, report: TaskInstanceReport, now: datetime
    ) -> TaskInstance | None:
        """Apply a worker's report to ``current``, read under ``run``'s row lock, and derive the
        run's state; ``None`` if the task instance is gone."""
        task_id = current.task_id
        state = report.state
        reported = {"hostname": report.hostname, "pid": report.pid, "unixname": report.unixname}
        params: dict[str, Any] = {"b_run": run.id, "b_task_id": task_id, "b_state": state, "b_now": now}
        params |= {f"b_{key}": value for key, value in reported.items() if value is not None}
        finished = state in FINISHED_TI_STATES
        if finished:
            kind = "finished"
            start_date = current.start_date
            params["b_duration"] = (now - start_date).total_seconds() if start_date is not None else None
        else:
            kind = state if state in ("running", "queued") else "other"
        statement = _ti_update_statement(kind, tuple(k for k in _REPORTED if reported[k] is not None))
        updated = (await self.conn.execute(statement, params)).one_or_none()
        if updated is None:
            return None
        if state == "success":
            await self._record_lineage(run=run, task_id=task_id, report=report, now=now)
        run_state = run.state
        if state == "running" and run_state == "queued":
            await self.conn.execute(_RUN_STARTED, {"b_run": run.id, "b_now": now})
            run_state = "running"
        await self._derive_run_state(run=run, run_state=run_state, ti_finished=finished, now=now)
        return replace(current, **{c.name: value for c, value in zip(TI_VALUE_COLUMNS, updated, strict=True)})

    async def _record_lineage(
        self, *, run: Run, task_id: str, report: TaskInstanceReport, now: datetime
    ) -> None:
        inlets, outlets = report.inlets, report.outlets
        if inlets is None or outlets is None:
            defined = (
                await self.conn.execute(
                    select(task.c.inlets, task.c.outlets).where(
                        task.c.dag_id == run.dag_id, task.c.task_id == task_id
                    )
                )
            ).one_or_none()
            inlets = inlets if inlets is not None else (defined[0] if defined else [])
            outlets = outlets if outlets is not None else (defined[1] if defined else [])
        values = {"inlets": inlets, "outlets": outlets, "recorded_at": now}
        stmt = self.insert(lineage).values(dag_run_id=run.id, task_id=task_id, dag_id=run.dag_id, **values)
        await self.conn.execute(
            stmt.on_conflict_do_update(index_elements=["dag_run_id", "task_id"], set_=values)
        )

    async def _derive_run_state(self, *, run: Run, run_state: str, ti_finished: bool, now: datetime) -> None:
        """Move the run to the state its task instances call for (``derived_run_state``).

        ``run_state`` is the run's state as of now in this transaction (it holds the run's lock).
        If the task instance just reported is not finished, the run has an unfinished task
        instance: the most frequent reports (running, queued) skip counting them.
        """
        if ti_finished:
            counts = (await self.conn.execute(_RUN_TI_COUNTS, {"b_run": run.id})).one()
            total, unfinished, failed = (int(v) for v in counts)
        else:
            total, unfinished, failed = 1, 1, 0
        new_state = derived_run_state(run_state, total=total, unfinished=unfinished, failed=failed)
        if new_state == run_state:
            return
        if new_state in ("success", "failed"):
            await self.conn.execute(_RUN_FINISHED, {"b_run": run.id, "b_state": new_state, "b_now": now})
        else:
            await self.conn.execute(_RUN_RESUMED, {"b_run": run.id})

"""DAG runs (``app.core.ports.RunPort``): lookups, listings, the trigger and a client's state change.

The rules are the core's (``app.core.trigger``, ``app.core.run_states``); this module applies
their plans with statements built once. Task instances and their reports: task_instances.py; the
pre-rendered, versioned listings: listings.py.
"""

from __future__ import annotations

import builtins
from dataclasses import fields
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    JSON,
    and_,
    bindparam,
    delete,
    literal,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from app.core.reports import finished_duration
from app.core.results import LatestRun, ListedRun, Run, RunFilter, RunLookup, TriggerOutcome
from app.core.run_states import LineageChange, RunStatePlan, TaskInstancesChange
from app.core.states import FINISHED_TI_STATES
from app.core.trigger import START_DATE_RULE, StartDateRule, TriggerPlan, may_start
from app.db.models import UTCDateTime, dag, dag_run, iso_text, lineage, task, task_instance
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
# A run as the core sees it, in Run's field order (checked here); its primary key is app/db's own.
RUN_COLUMNS = (*LIST_COLUMNS[1:], dag_run.c.end_date, dag_run.c.queued_at, dag_run.c.external_trigger)
assert [c.name for c in RUN_COLUMNS] == [f.name for f in fields(Run)]


def unfinished(state: ColumnElement[Any]) -> ColumnElement[bool]:
    """A task instance's state that is not finished (app.core.states.FINISHED_TI_STATES)."""
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

_DAG_EXISTS = select(dag.c.dag_id).where(dag.c.dag_id == bindparam("dag_id"))

# The run with its primary key, its row locked for the rest of the transaction: a state change and
# a report happen under it, so those of one run are applied one at a time.
LOCK_RUN = (
    select(dag_run.c.id, *RUN_COLUMNS)
    .where(
        dag_run.c.dag_id == bindparam("dag_id"),
        dag_run.c.execution_date == bindparam("execution_date", type_=UTCDateTime()),
    )
    .with_for_update()
)

# Each DAG's latest run, through the pointer the database keeps on the dag row (migrations 0003 to 0006).
_LATEST = (
    select(dag.c.dag_id, dag_run.c.execution_date, dag_run.c.start_date, dag_run.c.run_id)
    .select_from(dag.join(dag_run, dag_run.c.id == dag.c.latest_run_id))
    .order_by(dag.c.dag_id)
)


@lru_cache(maxsize=32)
def list_runs_statement(state: bool, gte: bool, lte: bool, limit: bool, *, rendered: bool = False) -> Any:
    """A run listing's statement, one prebuilt per combination of filters used.

    The columns of the index (LIST_COLUMNS) but the dag_id, which the caller knows. ``rendered``:
    the dates as text (``iso_text``, listings.py). The page is cut in a subquery and its dates
    formatted outside it: Postgres evaluates a scan's expressions for every row it reads, also the
    rows OFFSET skips (a page at offset 900 formatted 1,000 runs' dates).
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
    dates = (iso_text(cut.c.execution_date), iso_text(cut.c.start_date)) if rendered else None
    execution_date, start_date = dates or (cut.c.execution_date, cut.c.start_date)
    return select(cut.c.id, cut.c.run_id, execution_date, cut.c.state, start_date).order_by(
        cut.c.execution_date
    )


def list_runs_query(dag_id: str, filters: RunFilter, *, rendered: bool) -> tuple[Any, dict[str, Any]]:
    """The listing's prebuilt statement for these filters, and its parameters."""
    stmt = list_runs_statement(
        filters.state is not None,
        filters.execution_date_gte is not None,
        filters.execution_date_lte is not None,
        filters.limit is not None,
        rendered=rendered,
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


# -- the trigger ----------------------------------------------------------------------------------

_RUN_VALUES: dict[str, ColumnElement[Any]] = {
    "dag_id": bindparam("dag_id"),
    "run_id": bindparam("run_id"),
    "execution_date": bindparam("execution_date", type_=UTCDateTime()),
    "state": bindparam("state"),
    "start_date": bindparam("start_date", type_=UTCDateTime()),
    "queued_at": bindparam("now", type_=UTCDateTime()),
    "external_trigger": literal(True),
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
        select(*_RUN_VALUES.values())
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


def _created(plan: TriggerPlan) -> Run:
    """The run a plan creates, as stored (nothing is read back)."""
    return Run(
        dag_id=plan.dag_id,
        run_id=plan.run_id,
        execution_date=plan.execution_date,
        state=plan.state,
        start_date=plan.start_date,
        end_date=None,
        queued_at=plan.now,
        external_trigger=True,
    )


class DagRunRepository(Repository):
    # -- lookups ---------------------------------------------------------------------------------

    async def find(self, *, dag_id: str, execution_date: datetime) -> RunLookup:
        """The DAG's existence and the run, in one round trip."""
        row = await self.first(_FIND_RUN, {"dag_id": dag_id, "execution_date": execution_date})
        if row is None:
            return RunLookup(dag_exists=False, run=None)
        return RunLookup(dag_exists=True, run=None if row[1] is None else Run(*row[1:]))

    async def list(self, *, dag_id: str, filters: RunFilter) -> list[ListedRun] | None:
        """The page of runs by execution_date; ``None`` if the DAG is unknown (runs imply their DAG:
        only an empty page costs a second query)."""
        rows = await self.rows(*list_runs_query(dag_id, filters, rendered=False))
        if not rows and not await self.dag_exists(dag_id=dag_id):
            return None
        return list(map(ListedRun._make, rows))

    async def latest(self) -> builtins.list[LatestRun]:
        return list(map(LatestRun._make, await self.rows(_LATEST, {})))

    async def dag_exists(self, *, dag_id: str) -> bool:
        return await self.first(_DAG_EXISTS, {"dag_id": dag_id}) is not None

    async def lock(self, *, dag_id: str, execution_date: datetime) -> tuple[int, Run] | None:
        """The run's primary key and the run, its row locked until the transaction ends."""
        result = await self.conn.execute(LOCK_RUN, {"dag_id": dag_id, "execution_date": execution_date})
        row = result.one_or_none()
        return None if row is None else (row[0], Run(*row[1:]))

    # -- writes ----------------------------------------------------------------------------------

    async def trigger(self, *, plan: TriggerPlan) -> TriggerOutcome:
        """Create the planned run and one task instance per task, if the DAG exists and may_start.

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
                return TriggerOutcome(dag_exists=False, dag_start_date=None, run=None)
            created = _created(plan) if row[1] is not None else None
            return TriggerOutcome(dag_exists=True, dag_start_date=row[0], run=created)
        found = (await self.conn.execute(_TRIGGER_DAG_START, params)).one_or_none()
        if found is None:
            return TriggerOutcome(dag_exists=False, dag_start_date=None, run=None)
        start_date = found[0]
        if not may_start(start_date, plan.execution_date):
            return TriggerOutcome(dag_exists=True, dag_start_date=start_date, run=None)
        run_pk = await self.conn.scalar(_INSERT_RUN_SQLITE, params)
        if run_pk is None:
            return TriggerOutcome(dag_exists=True, dag_start_date=start_date, run=None)
        await self.conn.execute(_insert_task_instances(literal_column(str(int(run_pk)))), params)
        return TriggerOutcome(dag_exists=True, dag_start_date=start_date, run=_created(plan))

    async def set_state(self, *, dag_id: str, execution_date: datetime, plan: RunStatePlan) -> RunLookup:
        """Apply a client's state change (``app.core.run_states``) under the run's row lock."""
        locked = await self.lock(dag_id=dag_id, execution_date=execution_date)
        if locked is None:
            return RunLookup(dag_exists=await self.dag_exists(dag_id=dag_id), run=None)
        run_pk, _ = locked
        now = plan.now
        tis = task_instance.c
        if plan.lineage is LineageChange.RECORD_FROM_TASKS:
            await self._record_lineage_from_tasks(run_pk=run_pk, now=now)
        elif plan.lineage is LineageChange.DROP:
            await self.conn.execute(delete(lineage).where(lineage.c.dag_run_id == run_pk))
        if plan.task_instances is TaskInstancesChange.FINISH_UNFINISHED:
            started = (
                await self.conn.execute(
                    select(tis.task_id, tis.start_date).where(
                        tis.dag_run_id == run_pk, unfinished(tis.state), tis.start_date.is_not(None)
                    )
                )
            ).all()
            await self.conn.execute(
                update(task_instance)
                .where(tis.dag_run_id == run_pk, unfinished(tis.state))
                .values(state=plan.state, end_date=now, duration=None, updated_at=now)
            )
            if started:
                # Exact durations computed here (SQLite's julianday arithmetic is off by tens of µs);
                # one executemany for all task instances that had started.
                await self.conn.execute(
                    update(task_instance)
                    .where(tis.dag_run_id == run_pk, tis.task_id == bindparam("b_task_id"))
                    .values(duration=bindparam("b_duration")),
                    [
                        {"b_task_id": task_id, "b_duration": finished_duration(start_date, now)}
                        for task_id, start_date in started
                    ],
                )
            values: dict[str, Any] = {"state": plan.state, "end_date": now}
        else:
            await self.conn.execute(
                update(task_instance)
                .where(tis.dag_run_id == run_pk)
                .values(
                    state=None,
                    start_date=None,
                    end_date=None,
                    duration=None,
                    queued_dttm=None,
                    updated_at=now,
                )
            )
            values = {"state": plan.state, "start_date": None, "end_date": None, "queued_at": now}
        row = (
            await self.conn.execute(
                update(dag_run).where(dag_run.c.id == run_pk).values(**values).returning(*RUN_COLUMNS)
            )
        ).one()
        return RunLookup(dag_exists=True, run=Run(*row))

    async def _record_lineage_from_tasks(self, *, run_pk: int, now: datetime) -> None:
        """Each unfinished task instance's lineage, from its task's definition (kept where recorded)."""
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
            .where(tis.dag_run_id == run_pk, unfinished(tis.state))
        )
        stmt = self.insert(lineage).from_select(
            ["dag_run_id", "task_id", "dag_id", "inlets", "outlets", "recorded_at"], source
        )
        await self.conn.execute(stmt.on_conflict_do_nothing())

"""Tasks and task instances (``app.core.ports.TaskPort``): lookups, and a worker's report.

A report is planned by the core (``app.core.reports.plan_report``) from the task instance and its
run as they are under the run's row lock, and applied here with prebuilt statements: the instance's
changes, its lineage, and the run's transition (or a count of its task instances, from which
``app.core.reports.settled`` derives the run's state).
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, case, func, select, update

from app.core.reports import ReportPlan, RunChange, RunTransition, plan_report, settled
from app.core.results import Task, TaskInstance, TaskInstanceLookup, TaskInstanceReport, TaskLookup
from app.core.states import FAILED_TI_STATES
from app.db.models import UTCDateTime, dag, dag_run, lineage, task, task_instance
from app.db.repositories.base import Repository
from app.db.repositories.dag_runs import DagRunRepository, unfinished

TASK_COLUMNS = tuple(task.c[f.name] for f in fields(Task))
TI_COLUMNS = tuple(c for c in task_instance.c if c.name not in ("dag_run_id", "dag_id"))
# A task instance's own columns after its task_id, in TaskInstance's field order (checked here).
TI_VALUE_COLUMNS = tuple(c for c in TI_COLUMNS if c.name != "task_id")
assert [c.name for c in TI_VALUE_COLUMNS] == [f.name for f in fields(TaskInstance)][4:]

_FIND_TASK = (
    select(dag.c.dag_id, *TASK_COLUMNS)
    .select_from(
        dag.outerjoin(task, and_(task.c.dag_id == dag.c.dag_id, task.c.task_id == bindparam("task_id")))
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

# A report runs up to five statements; each is built once (building and compiling them per request
# costs a large part of the endpoint's CPU). Bind parameters are named ``b_<column>``: an UPDATE's
# bind parameters may not share the names of the columns it sets (SQLAlchemy reserves those).
_RUN_CHANGES = {
    RunTransition.STARTED: update(dag_run)
    .where(dag_run.c.id == bindparam("b_run"))
    .values(state=bindparam("b_state"), start_date=bindparam("b_at", type_=UTCDateTime())),
    RunTransition.FINISHED: update(dag_run)
    .where(dag_run.c.id == bindparam("b_run"))
    .values(state=bindparam("b_state"), end_date=bindparam("b_at", type_=UTCDateTime())),
    RunTransition.REOPENED: update(dag_run)
    .where(dag_run.c.id == bindparam("b_run"))
    .values(state=bindparam("b_state"), end_date=None),
}

_RUN_TI_COUNTS = select(
    func.count(),
    func.coalesce(func.sum(case((unfinished(task_instance.c.state), 1), else_=0)), 0),
    func.coalesce(func.sum(case((task_instance.c.state.in_(FAILED_TI_STATES), 1), else_=0)), 0),
).where(task_instance.c.dag_run_id == bindparam("b_run"))

_TASK_LINEAGE = select(task.c.inlets, task.c.outlets).where(
    task.c.dag_id == bindparam("dag_id"), task.c.task_id == bindparam("task_id")
)
_DATES = frozenset({"updated_at", "start_date", "end_date", "queued_dttm"})


@lru_cache(maxsize=64)
def _ti_update_statement(columns: tuple[str, ...]) -> Any:
    """The UPDATE of one task instance setting ``columns`` (``TaskInstanceChanges.changed()``)."""
    tis = task_instance.c
    values = {
        name: bindparam(f"b_{name}", type_=UTCDateTime()) if name in _DATES else bindparam(f"b_{name}")
        for name in columns
    }
    return (
        update(task_instance)
        .where(tis.dag_run_id == bindparam("b_run"), tis.task_id == bindparam("b_task_id"))
        .values(**values)
    )


class TaskRepository(Repository):
    async def find_task(self, *, dag_id: str, task_id: str) -> TaskLookup:
        row = await self.first(_FIND_TASK, {"dag_id": dag_id, "task_id": task_id})
        if row is None:
            return TaskLookup(dag_exists=False, task=None)
        return TaskLookup(dag_exists=True, task=None if row[1] is None else Task(*row[1:]))

    async def find_instance(
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

    async def report(
        self,
        *,
        dag_id: str,
        execution_date: datetime,
        task_id: str,
        report: TaskInstanceReport,
        now: datetime,
    ) -> TaskInstanceLookup:
        # The run's row lock first, then the task instance read under it: reports of one run
        # serialise, and each is planned from what the previous one wrote (no lost try_number).
        locked = await DagRunRepository(self.reader, self.conn, self.dialect).lock(
            dag_id=dag_id, execution_date=execution_date
        )
        found = await self.find_instance(dag_id=dag_id, execution_date=execution_date, task_id=task_id)
        if found.instance is None:
            return found
        if locked is None:  # no run to lock when the report began (triggered since): not found then
            return TaskInstanceLookup(dag_exists=True, task_exists=True, run_exists=False, instance=None)
        run_pk, run = locked
        plan = plan_report(found.instance, run_state=run.state, report=report, now=now)
        if not await self._apply(run_pk=run_pk, dag_id=dag_id, plan=plan, now=now):
            return TaskInstanceLookup(dag_exists=True, task_exists=True, run_exists=True, instance=None)
        return TaskInstanceLookup(
            dag_exists=True,
            task_exists=True,
            run_exists=True,
            instance=plan.changes.applied_to(found.instance),
        )

    async def _apply(self, *, run_pk: int, dag_id: str, plan: ReportPlan, now: datetime) -> bool:
        """Apply ``plan`` to the locked run's task instance; False if the instance is gone."""
        changed = plan.changes.changed()
        params = {f"b_{name}": value for name, value in changed.items()}
        params |= {"b_run": run_pk, "b_task_id": plan.task_id}
        result = await self.conn.execute(_ti_update_statement(tuple(changed)), params)
        if result.rowcount == 0:
            return False
        if plan.record_lineage:
            await self._record_lineage(run_pk=run_pk, dag_id=dag_id, plan=plan, now=now)
        if plan.run is not None:
            await self._change_run(run_pk, plan.run)
        if plan.count:
            counts = (await self.conn.execute(_RUN_TI_COUNTS, {"b_run": run_pk})).one()
            total, unfinished_count, failed = (int(v) for v in counts)
            change = settled(plan.run_state, total=total, unfinished=unfinished_count, failed=failed, now=now)
            if change is not None:
                await self._change_run(run_pk, change)
        return True

    async def _change_run(self, run_pk: int, change: RunChange) -> None:
        params = {"b_run": run_pk, "b_state": change.state, "b_at": change.at}
        if change.transition is RunTransition.REOPENED:
            del params["b_at"]
        await self.conn.execute(_RUN_CHANGES[change.transition], params)

    async def _record_lineage(self, *, run_pk: int, dag_id: str, plan: ReportPlan, now: datetime) -> None:
        """The report's inlets and outlets; a side it did not send is the task's own."""
        inlets, outlets = plan.inlets, plan.outlets
        if inlets is None or outlets is None:
            params = {"dag_id": dag_id, "task_id": plan.task_id}
            defined = (await self.conn.execute(_TASK_LINEAGE, params)).one_or_none()
            inlets = inlets if inlets is not None else (defined[0] if defined else [])
            outlets = outlets if outlets is not None else (defined[1] if defined else [])
        values = {"inlets": inlets, "outlets": outlets, "recorded_at": now}
        stmt = self.insert(lineage).values(dag_run_id=run_pk, task_id=plan.task_id, dag_id=dag_id, **values)
        await self.conn.execute(
            stmt.on_conflict_do_update(index_elements=["dag_run_id", "task_id"], set_=values)
        )

"""Lineage (``app.core.ports.LineagePort``): what task instances that reached success recorded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, bindparam, select

from app.core.results import LineageLookup, TaskLineage
from app.db.models import dag, dag_run, lineage
from app.db.repositories.base import Repository

# A row if the DAG exists, with the run's primary key (NULL: no run at that date).
_FIND_RUN_PK = (
    select(dag.c.dag_id, dag_run.c.id)
    .select_from(
        dag.outerjoin(
            dag_run,
            and_(dag_run.c.dag_id == dag.c.dag_id, dag_run.c.execution_date == bindparam("execution_date")),
        )
    )
    .where(dag.c.dag_id == bindparam("dag_id"))
)
_FOR_RUN = (
    select(lineage.c.task_id, lineage.c.inlets, lineage.c.outlets)
    .where(lineage.c.dag_run_id == bindparam("run_pk"))
    .order_by(lineage.c.task_id)
)


class LineageRepository(Repository):
    async def for_run(self, *, dag_id: str, execution_date: datetime) -> LineageLookup:
        found = await self.first(_FIND_RUN_PK, {"dag_id": dag_id, "execution_date": execution_date})
        if found is None or found[1] is None:
            return LineageLookup(dag_exists=found is not None, run_exists=False, tasks=[])
        tasks = [TaskLineage(*row) for row in await self.rows(_FOR_RUN, {"run_pk": found[1]})]
        return LineageLookup(dag_exists=True, run_exists=True, tasks=tasks)

"""Task definitions, looked up with their DAG's existence in one query."""

from __future__ import annotations

from dataclasses import fields

from sqlalchemy import and_, bindparam, select

from app.core.results import Task, TaskLookup
from app.db.models import dag, task
from app.db.repositories.base import Repository

TASK_COLUMNS = tuple(task.c[f.name] for f in fields(Task))

_FIND_TASK = (
    select(dag.c.dag_id, *TASK_COLUMNS)
    .select_from(
        dag.outerjoin(task, and_(task.c.dag_id == dag.c.dag_id, task.c.task_id == bindparam("task_id")))
    )
    .where(dag.c.dag_id == bindparam("dag_id"))
)


class TaskRepository(Repository):
    async def find(self, *, dag_id: str, task_id: str) -> TaskLookup:
        row = await self.first(_FIND_TASK, {"dag_id": dag_id, "task_id": task_id})
        if row is None:
            return TaskLookup(dag_exists=False, task=None)
        return TaskLookup(dag_exists=True, task=None if row[1] is None else Task(*row[1:]))

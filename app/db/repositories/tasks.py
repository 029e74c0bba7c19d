"""Task definitions, looked up with their DAG's existence in one query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, and_, bindparam, select

from app.db.models import dag, task
from app.db.repositories.base import Repository

_FIND_TASK = (
    select(dag.c.dag_id.label("dag_found"), *task.c)
    .select_from(
        dag.outerjoin(task, and_(task.c.dag_id == dag.c.dag_id, task.c.task_id == bindparam("task_id")))
    )
    .where(dag.c.dag_id == bindparam("dag_id"))
)


class TaskRepository(Repository):
    async def find(self, *, dag_id: str, task_id: str) -> Row[Any] | None:
        """``None`` if the DAG is unknown; a row with ``task_id`` NULL if only the task is."""
        return await self.fetch_one(_FIND_TASK, {"dag_id": dag_id, "task_id": task_id})

"""``/dags/{dag_id}/tasks``: a DAG's tasks over Airflow 3's ``/api/v2/dags/{dag_id}/tasks``."""

from __future__ import annotations

from typing import Any

from app.errors import Invalid, NotFound
from app.gateway import endpoints as api
from app.gateway.answers import parsed
from app.gateway.models.dags import Task, TaskCollection
from app.schemas.v1 import tasks as v1
from app.services.v1.context import V1Context


def dag_not_found() -> NotFound:
    return NotFound("", title="DAG not found")


class TasksService:
    def __init__(self, context: V1Context) -> None:
        self.client = context.client

    async def listing(self, dag_id: str, order: str | None) -> dict[str, Any]:
        """The DAG's tasks, ordered as asked (``-`` for descending; by task_id without)."""
        order = "task_id" if order is None else order
        name = order.lstrip("-")
        orderable = name in v1.ORDERABLE
        answer = await self.client.get(
            api.TASKS, {"dag_id": dag_id}, {"order_by": order} if orderable else None
        )
        tasks = parsed(answer, TaskCollection, missing=dag_not_found()).tasks
        if not orderable:  # as Airflow 2 refused it, once the DAG was found
            raise Invalid(v1.no_such_attribute(name))
        return {"tasks": [v1.task(t) for t in tasks], "total_entries": len(tasks)}

    async def get(self, dag_id: str, task_id: str) -> dict[str, Any]:
        answer = await self.client.get(api.TASK, {"dag_id": dag_id, "task_id": task_id})
        if answer.status == 404:
            # Airflow 3 looks the DAG up first, then the task, as Airflow 2 did; its words say which.
            raise (
                NotFound("", title="Task not found") if answer.detail.startswith("Task") else dag_not_found()
            )
        return v1.task(parsed(answer, Task))

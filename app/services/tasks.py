"""Tasks and task instances: info (docs/api.md 3.3) and workers' state reports (4.3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.core import messages
from app.core.lookups import missing_task, missing_task_instance
from app.core.ports import Backend
from app.core.results import Task, TaskInstance, TaskInstanceLookup, TaskInstanceReport
from app.errors import Invalid, NotFound


def found_task_instance(
    lookup: TaskInstanceLookup, dag_id: str, execution_date: datetime, task_id: str
) -> TaskInstance:
    """The task instance, or NotFound for the first missing part: DAG, task, run, instance."""
    if lookup.instance is None:
        raise NotFound(
            missing_task_instance(lookup, dag_id=dag_id, execution_date=execution_date, task_id=task_id)
        )
    return lookup.instance


class TaskService:
    def __init__(self, backend: Backend, *, clock: Callable[[], datetime]) -> None:
        self.backend = backend
        self.clock = clock

    async def get_task(self, dag_id: str, task_id: str) -> Task:
        async with self.backend.reading() as store:
            lookup = await store.tasks.find_task(dag_id=dag_id, task_id=task_id)
        if lookup.task is None:
            raise NotFound(missing_task(lookup, dag_id=dag_id, task_id=task_id))
        return lookup.task

    async def get_task_instance(self, dag_id: str, execution_date: datetime, task_id: str) -> TaskInstance:
        async with self.backend.reading() as store:
            lookup = await store.tasks.find_instance(
                dag_id=dag_id, execution_date=execution_date, task_id=task_id
            )
        return found_task_instance(lookup, dag_id, execution_date, task_id)

    async def report(
        self, dag_id: str, execution_date: datetime, task_id: str, report: TaskInstanceReport
    ) -> TaskInstance:
        """Apply a worker's report (``app.core.reports``); the run's state follows.

        A state the backend does not let a client set is refused with the contract's text, after
        the lookup's own refusals (an unknown DAG, task, run or task instance is still a 404)."""
        settable = self.backend.settable_task_instance_states
        if report.state not in settable:
            await self.get_task_instance(dag_id, execution_date, task_id)
            raise Invalid(messages.task_instance_state_not_settable(settable, report.state))
        async with self.backend.writing() as store:
            lookup = await store.tasks.report(
                dag_id=dag_id, execution_date=execution_date, task_id=task_id, report=report, now=self.clock()
            )
            # Inside the unit of work: a refused report writes nothing.
            return found_task_instance(lookup, dag_id, execution_date, task_id)

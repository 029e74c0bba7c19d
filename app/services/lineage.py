"""Lineage of a run (docs/api.md 3.5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.core import messages
from app.core.lookups import missing_run
from app.core.ports import Backend
from app.core.results import TaskLineage
from app.errors import NotFound


@dataclass(frozen=True, slots=True)
class RunLineage:
    message: str
    tasks: list[TaskLineage]


class LineageService:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    async def run_lineage(self, dag_id: str, execution_date: datetime) -> RunLineage:
        """What each task instance that reached success recorded; none: an empty list."""
        async with self.backend.reading() as store:
            found = await store.lineage.for_run(dag_id=dag_id, execution_date=execution_date)
        if not found.run_exists:
            raise NotFound(missing_run(found, dag_id=dag_id, execution_date=execution_date))
        return RunLineage(message=messages.lineage_of(dag_id, execution_date), tasks=found.tasks)

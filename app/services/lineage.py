"""Lineage of a run (docs/api.md 3.5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.errors import NotFound, dag_not_found, run_not_found
from app.services.backend import Backend
from app.services.results import TaskLineage


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
            found = await store.run_lineage(dag_id=dag_id, execution_date=execution_date)
        if not found.dag_exists:
            raise NotFound(dag_not_found(dag_id))
        if not found.run_exists:
            raise NotFound(run_not_found(dag_id, execution_date))
        return RunLineage(message=f"Lineage for dag {dag_id} at {execution_date}", tasks=found.tasks)

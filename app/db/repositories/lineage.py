"""Lineage recorded for task instances that reached success."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from app.core.results import TaskLineage
from app.db.models import lineage
from app.db.repositories.base import Repository

_FOR_RUN = (
    select(lineage.c.task_id, lineage.c.inlets, lineage.c.outlets)
    .where(lineage.c.dag_run_id == bindparam("run_pk"))
    .order_by(lineage.c.task_id)
)


class LineageRepository(Repository):
    async def for_run(self, *, run_pk: int) -> list[TaskLineage]:
        return [TaskLineage(*row) for row in await self.rows(_FOR_RUN, {"run_pk": run_pk})]

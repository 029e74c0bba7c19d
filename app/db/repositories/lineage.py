"""Lineage recorded for task instances that reached success."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select

from app.db.models import lineage
from app.db.repositories.base import Repository


class LineageRepository(Repository):
    async def for_run(self, *, run_pk: int) -> list[Row[Any]]:
        stmt = (
            select(lineage.c.task_id, lineage.c.inlets, lineage.c.outlets)
            .where(lineage.c.dag_run_id == run_pk)
            .order_by(lineage.c.task_id)
        )
        return list((await self.conn.execute(stmt)).all())

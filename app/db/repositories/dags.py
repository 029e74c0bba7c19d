"""DAGs (``app.core.ports.DagPort``): the dag row, its tags and its tasks; deleting a DAG."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, delete, exists, func, select, update

from app.core.deletion import DAG_DELETION, Removed
from app.core.results import Dag, DagDefinition, DagPage, StoredDag
from app.db.models import dag, dag_run, dag_tag, lineage, task, task_instance
from app.db.repositories.base import Repository

# What a DAG's detail shows, in Dag's field order (its task ids are read apart).
DAG_COLUMNS = (
    dag.c.dag_id,
    dag.c.description,
    dag.c.is_paused,
    dag.c.owners,
    dag.c.tags,
    dag.c.schedule_interval,
    dag.c.start_date,
    dag.c.fileloc,
)

# Reads are prebuilt statements with bind parameters (app/db/reads.py compiles each once).
_GET = select(*DAG_COLUMNS).where(dag.c.dag_id == bindparam("dag_id"))
_TASK_IDS = select(task.c.task_id).where(task.c.dag_id == bindparam("dag_id")).order_by(task.c.position)
_SOURCE_TEXT = select(dag.c.source_text).where(dag.c.dag_id == bindparam("dag_id"))
_IS_PAUSED = select(dag.c.is_paused).where(dag.c.dag_id == bindparam("dag_id"))


@lru_cache(maxsize=8)
def _list_statements(paused: bool, tag: bool) -> tuple[Any, Any, Any]:
    """(count, page, the page's task ids) for one combination of filters."""
    where = []
    if paused:
        where.append(dag.c.is_paused == bindparam("paused"))
    if tag:
        where.append(exists().where(dag_tag.c.dag_id == dag.c.dag_id, dag_tag.c.name == bindparam("tag")))
    count = select(func.count()).select_from(dag).where(*where)
    page = (
        select(*DAG_COLUMNS)
        .where(*where)
        .order_by(dag.c.dag_id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    task_ids = (
        select(task.c.dag_id, task.c.task_id)
        .where(task.c.dag_id.in_(page.with_only_columns(dag.c.dag_id).scalar_subquery()))
        .order_by(task.c.dag_id, task.c.position)
    )
    return count, page, task_ids


def _dag(row: Sequence[Any], task_ids: list[str]) -> Dag:
    dag_id, description, is_paused, owners, tags, schedule_interval, start_date, fileloc = row
    return Dag(dag_id, description, is_paused, owners, tags, schedule_interval, start_date, fileloc, task_ids)


def _seconds(value: Any) -> float | None:
    return None if value is None else value.total_seconds()


def _task_values(dag_id: str, position: int, t: Any) -> dict[str, Any]:
    """The task row of a validated task (``TaskSpec``)."""
    return {
        "dag_id": dag_id,
        "task_id": t.task_id,
        "position": position,
        "operator": t.operator,
        "owner": t.owner,
        "email": t.email,
        "email_on_failure": t.email_on_failure,
        "email_on_retry": t.email_on_retry,
        "retries": t.retries,
        "retry_delay": t.retry_delay.total_seconds(),
        "retry_exponential_backoff": t.retry_exponential_backoff,
        "max_retry_delay": _seconds(t.max_retry_delay),
        "execution_timeout": _seconds(t.execution_timeout),
        "start_date": t.start_date,
        "end_date": t.end_date,
        "depends_on_past": t.depends_on_past,
        "wait_for_downstream": t.wait_for_downstream,
        "pool": t.pool,
        "pool_slots": t.pool_slots,
        "queue": t.queue,
        "priority_weight": t.priority_weight,
        "weight_rule": t.weight_rule,
        "trigger_rule": t.trigger_rule,
        "params": t.params,
        "inlets": t.inlets,
        "outlets": t.outlets,
        "doc_md": t.doc_md,
        "arguments": t.arguments,
        "upstream_task_ids": list(t.upstream),
        "downstream_task_ids": list(t.downstream),
        "effective_priority_weight": t.effective_priority_weight,
    }


class DagRepository(Repository):
    async def upsert(
        self, *, definition: DagDefinition, source_text: str, fileloc: str, now: datetime
    ) -> StoredDag:
        """Create or replace a definition: keeps ``is_paused`` and runs, replaces tags and tasks.

        The dag row is locked first, so concurrent replacements of one DAG serialise.
        """
        spec = definition
        values = {
            "description": spec.description,
            "schedule_interval": spec.schedule_interval,
            "start_date": spec.start_date,
            "end_date": spec.end_date,
            "tags": spec.tags,
            "owners": spec.owners,
            "default_args": spec.default_args,
            "fileloc": fileloc,
            "source_text": source_text,
            "updated_at": now,
        }
        inserted = await self.conn.scalar(
            self.insert(dag)
            .values(dag_id=spec.dag_id, is_paused=spec.is_paused_upon_creation, created_at=now, **values)
            .on_conflict_do_nothing(index_elements=[dag.c.dag_id])
            .returning(dag.c.dag_id)
        )
        created = inserted is not None
        if not created:
            await self.conn.execute(select(dag.c.dag_id).where(dag.c.dag_id == spec.dag_id).with_for_update())
            await self.conn.execute(update(dag).where(dag.c.dag_id == spec.dag_id).values(**values))
            await self.conn.execute(delete(dag_tag).where(dag_tag.c.dag_id == spec.dag_id))
            await self.conn.execute(delete(task).where(task.c.dag_id == spec.dag_id))
        if spec.tags:
            await self.conn.execute(
                dag_tag.insert(), [{"dag_id": spec.dag_id, "name": name} for name in dict.fromkeys(spec.tags)]
            )
        # executemany with one parameter set per task: the driver batches it (asyncpg's
        # executemany, one prepared statement); a multi-VALUES insert would bind ~300,000 params.
        await self.conn.execute(
            task.insert(), [_task_values(spec.dag_id, i, t) for i, t in enumerate(spec.tasks)]
        )
        row = (await self.conn.execute(select(*DAG_COLUMNS).where(dag.c.dag_id == spec.dag_id))).one()
        return StoredDag(created=created, dag=_dag(row, [t.task_id for t in spec.tasks]))

    async def get(self, *, dag_id: str) -> Dag | None:
        row = await self.first(_GET, {"dag_id": dag_id})
        if row is None:
            return None
        task_ids = [r[0] for r in await self.rows(_TASK_IDS, {"dag_id": dag_id})]
        return _dag(row, task_ids)

    async def list(
        self, *, limit: int, offset: int, paused: bool | None = None, tag: str | None = None
    ) -> DagPage:
        count, page, page_task_ids = _list_statements(paused is not None, tag is not None)
        params = {"paused": paused, "tag": tag, "limit": limit, "offset": offset}
        params = {k: v for k, v in params.items() if v is not None}
        total = await self.scalar(count, params)
        rows = await self.rows(page, params)
        task_ids: dict[str, list[str]] = {r[0]: [] for r in rows}
        if rows:
            for dag_id, task_id in await self.rows(page_task_ids, params):
                task_ids[dag_id].append(task_id)
        return DagPage(dags=[_dag(r, task_ids[r[0]]) for r in rows], total=int(total or 0))

    async def source(self, *, dag_id: str) -> str | None:
        return await self.scalar(_SOURCE_TEXT, {"dag_id": dag_id})

    async def is_paused(self, *, dag_id: str) -> bool | None:
        return await self.scalar(_IS_PAUSED, {"dag_id": dag_id})

    async def set_paused(self, *, dag_id: str, paused: bool) -> bool:
        result = await self.conn.execute(update(dag).where(dag.c.dag_id == dag_id).values(is_paused=paused))
        return result.rowcount > 0

    async def delete(self, *, dag_id: str) -> int | None:
        """Remove a DAG as ``app.core.deletion.DAG_DELETION`` says, with its row locked first;
        its count, ``None`` when the DAG does not exist."""
        locked = await self.conn.scalar(select(dag.c.dag_id).where(dag.c.dag_id == dag_id).with_for_update())
        if locked is None:
            return None
        run_ids = select(dag_run.c.id).where(dag_run.c.dag_id == dag_id)
        statements = {
            Removed.LINEAGE: delete(lineage).where(lineage.c.dag_run_id.in_(run_ids)),
            Removed.TASK_INSTANCES: delete(task_instance).where(task_instance.c.dag_run_id.in_(run_ids)),
            Removed.RUNS: delete(dag_run).where(dag_run.c.dag_id == dag_id),
            Removed.DEFINITION: delete(dag).where(dag.c.dag_id == dag_id),  # its tags and tasks cascade
        }
        removed = {
            kind: (await self.conn.execute(statements[kind])).rowcount for kind in DAG_DELETION.removed
        }
        return DAG_DELETION.count(removed)

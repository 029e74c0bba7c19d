"""DAGs: definitions (docs/dag-definitions.md), source, pause state, deletion."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, tzinfo

from app.core import messages
from app.core.ports import Backend, Capability
from app.core.results import Dag, DagPage, StoredDag
from app.definitions.compiler import parse_definition
from app.definitions.decoding import DefinitionLimits
from app.definitions.spec import DagDefinitionError
from app.errors import Invalid, NotFound, NotSupported


def parse_paused(value: str) -> bool:
    """`true` or `false` in any case; anything else is refused (Airflow silently unpaused)."""
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise Invalid(messages.bad_paused(value))
    return lowered == "true"


class DagService:
    def __init__(
        self,
        backend: Backend,
        *,
        default_tz: tzinfo,
        clock: Callable[[], datetime],
        limits: DefinitionLimits = DefinitionLimits(),
    ) -> None:
        self.backend = backend
        self.default_tz = default_tz
        self.clock = clock
        self.limits = limits

    async def put_definition(self, dag_id: str, text: str, *, yaml: bool) -> StoredDag:
        """Validate and store a definition sent for ``dag_id``: created or replaced.

        Validation runs in a worker thread: a large definition takes a noticeable time to check,
        and the event loop keeps serving other requests meanwhile."""
        if Capability.DEFINITIONS not in self.backend.capabilities:
            raise NotSupported(messages.DEFINITIONS_ELSEWHERE)
        try:
            spec = await asyncio.to_thread(
                parse_definition,
                text,
                filename="definition.yaml" if yaml else "definition.json",
                default_tz=self.default_tz,
                expected_dag_id=dag_id,
                limits=self.limits,
                yaml_hint=messages.YAML_CONTENT_TYPE_HINT,
            )
        except DagDefinitionError as exc:
            raise Invalid(str(exc), detail=exc.problems) from None
        async with self.backend.writing() as store:
            return await store.dags.upsert(definition=spec, source_text=text, fileloc="api", now=self.clock())

    async def get_dag(self, dag_id: str) -> Dag:
        async with self.backend.reading() as store:
            found = await store.dags.get(dag_id=dag_id)
        if found is None:
            raise NotFound(messages.dag_not_found(dag_id))
        return found

    async def list_dags(self, *, limit: int, offset: int, paused: bool | None, tag: str | None) -> DagPage:
        async with self.backend.reading() as store:
            return await store.dags.list(limit=limit, offset=offset, paused=paused, tag=tag)

    async def source(self, dag_id: str) -> str:
        async with self.backend.reading() as store:
            text = await store.dags.source(dag_id=dag_id)
        if text is None:
            raise NotFound(messages.dag_not_found(dag_id))
        return text

    async def is_paused(self, dag_id: str) -> bool:
        async with self.backend.reading() as store:
            paused = await store.dags.is_paused(dag_id=dag_id)
        if paused is None:
            raise NotFound(messages.dag_id_not_found(dag_id))
        return paused

    async def set_paused(self, dag_id: str, value: str) -> None:
        paused = parse_paused(value)
        async with self.backend.writing() as store:
            if not await store.dags.set_paused(dag_id=dag_id, paused=paused):
                raise NotFound(messages.dag_id_not_found(dag_id))

    async def check_paused(self, dag_id: str, value: str) -> None:
        """What ``set_paused`` refuses, without writing (HEAD of the pause route)."""
        parse_paused(value)
        await self.is_paused(dag_id)

    async def delete(self, dag_id: str) -> int:
        """The DAG and all that hangs off it (``app.core.deletion``); the count of run records
        removed, as Airflow counts."""
        async with self.backend.writing() as store:
            count = await store.dags.delete(dag_id=dag_id)
        if count is None:
            raise NotFound(messages.dag_id_not_found(dag_id))
        return count

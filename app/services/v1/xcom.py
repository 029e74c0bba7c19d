"""XCom entries: the list (one call a page, ``~`` for every DAG, run or task) and one entry with its
value (docs/api-v1.md, "Task instances, XCom, logs, clearing and state updates").

Airflow 2.11 wrote a value as ``str()`` of the Python object unless ``stringify=false`` (its JSON
then): Airflow 3's ``deserialize=true`` reads the stored value as Airflow 2's did, and its
``stringify`` makes the same string of it.
"""

from __future__ import annotations

from typing import Any

from app.errors import NotFound
from app.gateway import endpoints as api
from app.gateway.answers import parsed
from app.gateway.models import xcom as v2
from app.schemas.v1 import xcom as schema
from app.services.v1.context import V1Context
from app.services.v1.paging import page
from app.services.v1.upstream import fetch, wildcard

XCOM_NOT_FOUND = "XCom entry not found"


class XComService:
    def __init__(self, context: V1Context) -> None:
        self.client = context.client

    async def list(
        self,
        dag_id: str,
        dag_run_id: str,
        task_id: str,
        *,
        map_index: int | None,
        xcom_key: str | None,
        limit: int | None,
        offset: int | None,
    ) -> dict[str, Any]:
        """The entries without their values, ordered as Airflow 2.11 ordered them (DAG, task, run,
        map index, key: Airflow 3's default too)."""
        window = page(limit, offset)
        if map_index is not None and map_index < -1:  # no entry has one (Airflow 3 refuses to look)
            return {"total_entries": 0, "xcom_entries": []}
        query: dict[str, Any] = {"limit": window.limit, "offset": window.offset}
        if map_index is not None:
            query["map_index"] = map_index
        if xcom_key is not None:
            query["xcom_key"] = xcom_key
        answer = await self.client.get(
            api.XCOM_ENTRIES,
            {"dag_id": wildcard(dag_id), "dag_run_id": wildcard(dag_run_id), "task_id": wildcard(task_id)},
            query,
        )
        if answer.status == 404:
            return {"total_entries": 0, "xcom_entries": []}
        return schema.xcom_entries(parsed(answer, v2.XComCollection))

    async def get(
        self, dag_id: str, dag_run_id: str, task_id: str, xcom_key: str, *, map_index: int, stringify: bool
    ) -> dict[str, Any]:
        """One entry with its value (v1's ``deserialize`` changes nothing for Airflow's own XCom
        storage, the only one whose values Airflow 3's REST API reads)."""
        if map_index < -1:  # no entry has one (Airflow 3 refuses to look)
            raise NotFound("", title=XCOM_NOT_FOUND)
        entry = await fetch(
            self.client,
            api.XCOM_ENTRY,
            {"dag_id": dag_id, "dag_run_id": dag_run_id, "task_id": task_id, "xcom_key": xcom_key},
            v2.XComEntryWithValue,
            query={
                "map_index": map_index,
                "deserialize": "true",
                "stringify": "true" if stringify else "false",
            },
            missing=NotFound("", title=XCOM_NOT_FOUND),
        )
        return schema.xcom_entry(entry)

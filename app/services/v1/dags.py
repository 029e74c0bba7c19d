"""``/dags``: list, read, details, pause (one DAG or a page of them) and delete, over Airflow 3's
``/api/v2/dags`` (docs/api-v1.md, "DAGs, tasks, sources, stats, warnings and import errors")."""

from __future__ import annotations

from functools import partial
from typing import Any

from app.errors import Conflict, NotFound
from app.gateway import endpoints as api
from app.gateway.answers import parsed
from app.gateway.client import AirflowClient
from app.gateway.models.dags import Dag, DagCollection, DagDetails
from app.gateway.pager import expect
from app.gateway.transport import Answer
from app.schemas.v1 import dags as v1
from app.services.v1.context import V1Context
from app.services.v1.file_tokens import FileTokens
from app.services.v1.paging import check_fields, page, page_query, project
from app.services.v1.upstream import fetch

ORDER_BY = {"dag_id": "dag_id"}  # the only attribute Airflow 2 ordered DAGs by
# A pattern no DAG id can contain (DAG ids are letters, digits, "_", "." and "-"), for the v1
# patterns Airflow 3 would read otherwise: "|" (its OR) and a lone "~" (its "every DAG").
MATCHES_NO_DAG_ID = "~~"


def dag_not_found(dag_id: str) -> NotFound:
    return NotFound(f"The DAG with dag_id: {dag_id} was not found", title="DAG not found")


def dag_id_not_found(dag_id: str) -> NotFound:
    """The words of v1's PATCH and DELETE of one DAG."""
    return NotFound("", title=f"Dag with id: '{dag_id}' not found")


def still_running(dag_id: str) -> Conflict:
    return Conflict(f"Task instances of dag with id: '{dag_id}' are still running")


def id_pattern(pattern: str, *, tilde_is_every_dag: bool = False) -> str:
    """Airflow 3's ``dag_id_pattern`` for v1's: both are ``ILIKE '%pattern%'`` (``%`` and ``_`` are
    wildcards), but Airflow 3 reads ``|`` as OR and a lone ``~`` as every DAG. v1's list matched them
    literally (nothing: no DAG id has them); its PATCH took ``~`` for every DAG."""
    if pattern == "~" and tilde_is_every_dag:
        return "%"
    if "|" in pattern or pattern == "~":
        return MATCHES_NO_DAG_ID
    return pattern


class DagsService:
    def __init__(self, context: V1Context) -> None:
        self.client = context.client
        self.tokens = context.service(FileTokens)

    async def _v1(self, dags: list[Dag]) -> list[dict[str, Any]]:
        sign = await self.tokens.signer()
        return [v1.dag(d, sign(d.dag_id)) for d in dags]

    async def listing(
        self,
        *,
        limit: int | None,
        offset: int | None,
        order: str | None,
        tags: list[str],
        only_active: bool,
        paused: bool | None,
        dag_id_pattern: str | None,
        fields: list[str] | None,
    ) -> dict[str, Any]:
        query = {
            **page_query(limit, offset, ordering=order, allowed=ORDER_BY, default="dag_id"),
            **_filters(only_active=only_active, tags=tags),
        }
        if paused is not None:
            query["paused"] = paused
        if dag_id_pattern:
            query["dag_id_pattern"] = id_pattern(dag_id_pattern)
        collection = await fetch(self.client, api.DAGS, None, DagCollection, query=query)
        check_fields(fields, v1.DAG_FIELDS, schema="DAGSchema", title="DAGCollectionSchema error")
        dags = [project(item, fields) for item in await self._v1(collection.dags)]
        return {"dags": dags, "total_entries": collection.total_entries}

    async def get(self, dag_id: str, fields: list[str] | None) -> dict[str, Any]:
        found = await fetch(self.client, api.DAG, {"dag_id": dag_id}, Dag, missing=dag_not_found(dag_id))
        check_fields(fields, v1.DAG_FIELDS, schema="DAGSchema", title="DAGSchema init error")
        return project(v1.dag(found, await self.tokens.issue(found.dag_id)), fields)

    async def details(self, dag_id: str, fields: list[str] | None) -> dict[str, Any]:
        found = await fetch(
            self.client, api.DAG_DETAILS, {"dag_id": dag_id}, DagDetails, missing=dag_not_found(dag_id)
        )
        check_fields(fields, v1.DETAIL_FIELDS, schema="DAGDetailSchema", title="DAGDetailSchema init error")
        return project(v1.dag_detail(found, await self.tokens.issue(found.dag_id)), fields)

    async def patch(self, dag_id: str, body: Any, update_mask: list[str] | None) -> dict[str, Any]:
        """Pause or unpause one DAG (v1 could change nothing else)."""
        answer = await _pause(self.client, dag_id, v1.is_paused_of(body, update_mask))
        return (await self._v1([parsed(answer, Dag, missing=dag_id_not_found(dag_id))]))[0]

    async def patch_many(
        self,
        body: Any,
        *,
        update_mask: list[str] | None,
        dag_id_pattern: str,
        limit: int | None,
        offset: int | None,
        only_active: bool,
        tags: list[str],
    ) -> dict[str, Any]:
        """Pause or unpause the DAGs of one page of the DAGs matching, in dag_id order, as Airflow 2
        did: Airflow 3 updates every match, so a page that is not all of them is patched DAG by DAG.
        As in Airflow 2, only the DAGs the caller may edit change (the others are shown as listed),
        and a caller that may edit none is refused."""
        is_paused = v1.is_paused_of(body, update_mask)
        window = page(limit, offset)
        filters = {
            **_filters(only_active=only_active, tags=tags),
            "dag_id_pattern": id_pattern(dag_id_pattern, tilde_is_every_dag=True),
        }
        query = {**filters, "limit": window.limit, "offset": window.offset, "order_by": "dag_id"}
        listing = await fetch(self.client, api.DAGS, None, DagCollection, query=query)
        matched = listing.dags
        if not matched or (window.offset == 0 and len(matched) == listing.total_entries):
            if not matched:  # nothing to change: Airflow still says whether the caller may (as v1 did)
                filters["dag_id_pattern"] = MATCHES_NO_DAG_ID
            updated = await self._patch_matches(filters, is_paused, window.limit)
        else:
            self.client.affordable(len(matched))
            # forbidden_ok: a DAG the caller may not edit answers its 403 (see below)
            answers = await self.client.gather(
                [partial(_pause, self.client, d.dag_id, is_paused, forbidden_ok=True) for d in matched]
            )
            if all(a.status == 403 for a in answers):  # none it may edit: Airflow says whether it may any
                await self._patch_matches(
                    {**filters, "dag_id_pattern": MATCHES_NO_DAG_ID}, is_paused, window.limit
                )
            # 404: deleted meanwhile; 403: not the caller's to edit. Both shown as listed.
            changed = [parsed(a, Dag) for a in answers if a.status not in (403, 404)]
            updated = {d.dag_id: d for d in changed}
        dags = [updated.get(d.dag_id, d) for d in matched]
        return {"dags": await self._v1(dags), "total_entries": listing.total_entries}

    async def _patch_matches(self, filters: dict[str, Any], is_paused: bool, limit: int) -> dict[str, Dag]:
        """Airflow 3's PATCH of every DAG matching ``filters`` (those the caller may edit): the DAGs
        of its answer, which is a page of ``limit`` of them (its default page is 50)."""
        answer = await self.client.send(
            "PATCH",
            api.DAGS,
            json={"is_paused": is_paused},
            query={**filters, "update_mask": "is_paused", "limit": limit, "offset": 0},
        )
        return {d.dag_id: d for d in parsed(answer, DagCollection).dags}

    async def delete(self, dag_id: str) -> None:
        answer = await self.client.send("DELETE", api.DAG, {"dag_id": dag_id})
        if answer.status == 404:
            raise dag_id_not_found(dag_id)
        if answer.status == 409:
            raise still_running(dag_id)
        expect(answer, 204)


def _filters(*, only_active: bool, tags: list[str]) -> dict[str, Any]:
    """v1's filters of both the list and the PATCH, in Airflow 3's words (a DAG with any of the
    tags, as v1 matched them)."""
    filters: dict[str, Any] = {"exclude_stale": only_active}
    if tags:
        filters["tags"] = tags
        filters["tags_match_mode"] = "any"
    return filters


async def _pause(
    client: AirflowClient, dag_id: str, is_paused: bool, *, forbidden_ok: bool = False
) -> Answer:
    return await client.send(
        "PATCH",
        api.DAG,
        {"dag_id": dag_id},
        json={"is_paused": is_paused},
        query={"update_mask": "is_paused"},
        forbidden_ok=forbidden_ok,
    )

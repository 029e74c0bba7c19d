"""Datasets (docs/api-v1.md, "DAG runs and datasets"): Airflow 2's datasets are Airflow 3's assets.

v1 names a dataset by its URI, Airflow 3 addresses an asset by its id: :meth:`DatasetService.asset`
finds the asset of a URI with Airflow's URI search (``uri_pattern``, a substring match, so its
answer holds every asset of that URI: the first page is enough but for URIs that are part of
many others), keeping the one whose URI is exactly it. Queued events name their asset by id: their
URIs come from one listing of the assets of the DAG they are queued for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from app.errors import NotFound
from app.gateway import endpoints as api
from app.gateway.answers import assets
from app.gateway.endpoints import Endpoint
from app.gateway.models.assets import (
    Asset,
    AssetCollection,
    AssetEvent,
    AssetEventCollection,
    QueuedEvent,
    QueuedEventCollection,
)
from app.gateway.pager import Pager
from app.gateway.transport import Answer
from app.schemas.v1.bodies import (
    NOT_NULL,
    Prop,
    check_schema,
    refused_by_marshmallow,
    unknown_fields,
)
from app.schemas.v1.datasets import (
    dataset,
    dataset_collection,
    dataset_event,
    dataset_event_collection,
    queued_event,
    queued_event_collection,
)
from app.services.v1.context import V1Context
from app.services.v1.paging import page_query
from app.services.v1.upstream import fetch, invalid_or_refused

DATASET_ORDER_BY = {"id": "id", "uri": "uri", "created_at": "created_at", "updated_at": "updated_at"}
EVENT_ORDER_BY = {
    name: name
    for name in ("source_dag_id", "source_task_id", "source_run_id", "source_map_index", "timestamp")
}
EVENT_SCHEMA = (Prop("dataset_uri", "string"), Prop("extra", "object", nullable=True))
QUEUE_EVENT_NOT_FOUND = "Queue event not found"
DATASET_NOT_FOUND = "Dataset not found"
# Every asset, as Airflow 2 listed every dataset (Airflow 3 lists only those a DAG still names).
ALL_ASSETS = {"only_active": "false"}


def dataset_not_found(uri: str) -> NotFound:
    return NotFound(f"The Dataset with uri: `{uri}` was not found", title=DATASET_NOT_FOUND)


def event_dataset_not_found(uri: str) -> NotFound:
    return NotFound(f"Dataset with uri: '{uri}' not found", title=DATASET_NOT_FOUND)


def dag_queue_not_found(dag_id: str) -> NotFound:
    return NotFound(f"Queue event with dag_id: `{dag_id}` was not found", title=QUEUE_EVENT_NOT_FOUND)


def dag_dataset_queue_not_found(dag_id: str, uri: str) -> NotFound:
    return NotFound(
        f"Queue event with dag_id: `{dag_id}` and dataset uri: `{uri}` was not found",
        title=QUEUE_EVENT_NOT_FOUND,
    )


def dataset_queue_not_found(uri: str) -> NotFound:
    return NotFound(f"Queue event with dataset uri: `{uri}` was not found", title=QUEUE_EVENT_NOT_FOUND)


@dataclass(frozen=True, slots=True)
class EventQuery:
    """``GET /datasets/events``' parameters as the route read them."""

    limit: int | None
    offset: int | None
    order_by: str | None
    dataset_id: int | None
    source_dag_id: str | None
    source_task_id: str | None
    source_run_id: str | None
    source_map_index: int | None


def _before(before: datetime | None) -> dict[str, str]:
    return {} if before is None else {"before": before.astimezone(UTC).isoformat()}


def _ok(answer: Answer) -> None:
    if answer.status not in (200, 201, 204):
        raise invalid_or_refused(answer)


class DatasetService:
    def __init__(self, context: V1Context) -> None:
        self.client = context.client

    async def asset(self, uri: str) -> Asset | None:
        """The asset whose URI is ``uri`` (the first made, if several assets share it)."""
        search = {**ALL_ASSETS, "uri_pattern": uri, "order_by": "id"}
        pager = Pager(self.client, api.ASSETS, None, search, AssetCollection, assets)
        async with aclosing(pager.window()) as pages:
            async for listing in pages:
                found = next((asset for asset in listing.assets if asset.uri == uri), None)
                if found is not None:
                    return found
        return None

    # -- datasets ------------------------------------------------------------------------------------

    async def list(
        self,
        *,
        limit: int | None,
        offset: int | None,
        order: str | None,
        uri_pattern: str | None,
        dag_ids: str | None,
    ) -> dict[str, Any]:
        query = {
            **ALL_ASSETS,
            **page_query(limit, offset, ordering=order, allowed=DATASET_ORDER_BY, default="id"),
        }
        if uri_pattern:
            query["uri_pattern"] = uri_pattern
        if dag_ids:
            query["dag_ids"] = dag_ids
        listing = await fetch(
            self.client, api.ASSETS, None, AssetCollection, query=query, otherwise=invalid_or_refused
        )
        return dataset_collection(listing.assets, listing.total_entries)

    async def get(self, uri: str) -> dict[str, Any]:
        return dataset(await self._asset(uri, dataset_not_found(uri)))

    # -- events --------------------------------------------------------------------------------------

    async def events(self, query: EventQuery) -> dict[str, Any]:
        v2 = page_query(
            query.limit, query.offset, ordering=query.order_by, allowed=EVENT_ORDER_BY, default="timestamp"
        )
        # Airflow 2.11 left out a filter whose value is false (0 and "" included): so does this.
        filters = {
            "asset_id": query.dataset_id,
            "source_dag_id": query.source_dag_id,
            "source_task_id": query.source_task_id,
            "source_run_id": query.source_run_id,
            "source_map_index": query.source_map_index,
        }
        v2.update({name: value for name, value in filters.items() if value})
        listing = await fetch(
            self.client, api.ASSET_EVENTS, None, AssetEventCollection, query=v2, otherwise=invalid_or_refused
        )
        return dataset_event_collection(listing.asset_events, listing.total_entries)

    async def create_event(self, body: Any) -> dict[str, Any]:
        """A dataset event "from the REST API" (Airflow 3 marks its ``extra`` so, as Airflow 2 did)."""
        body = check_schema(body, EVENT_SCHEMA, required=("dataset_uri",))
        errors = {"extra": [NOT_NULL]} if "extra" in body and body["extra"] is None else {}
        if errors := {**errors, **unknown_fields(body, ("dataset_uri", "extra"))}:
            raise refused_by_marshmallow(errors)
        uri = body["dataset_uri"]
        found = await self._asset(uri, event_dataset_not_found(uri))
        answer = await self.client.send(
            "POST", api.ASSET_EVENTS, json={"asset_id": found.id, "extra": body.get("extra", {})}
        )
        if answer.status == 404:
            raise event_dataset_not_found(uri)
        _ok(answer)
        event = answer.parsed(AssetEvent)
        created = dataset_event(event)
        created["dataset_uri"] = event.uri or uri
        return created

    # -- queued events -------------------------------------------------------------------------------
    # Each answers ``missing`` (a NotFound in Airflow 2's words for that queue) where there is no such
    # dataset, Airflow 3 answers 404, or the queue is empty.

    async def dag_queued_events(self, dag_id: str, before: datetime | None) -> dict[str, Any]:
        missing = dag_queue_not_found(dag_id)
        queued = await self._queue(api.DAG_ASSET_QUEUED_EVENTS, {"dag_id": dag_id}, before, missing)
        return queued_event_collection(queued, await self._uris(dag_id, queued))

    async def delete_dag_queued_events(self, dag_id: str, before: datetime | None) -> None:
        missing = dag_queue_not_found(dag_id)
        await self._delete(api.DAG_ASSET_QUEUED_EVENTS, {"dag_id": dag_id}, before, missing)

    async def dag_queued_event(self, dag_id: str, uri: str, before: datetime | None) -> dict[str, Any]:
        missing = dag_dataset_queue_not_found(dag_id, uri)
        params = {"dag_id": dag_id, "asset_id": str((await self._asset(uri, missing)).id)}
        event = await fetch(
            self.client,
            api.DAG_ASSET_QUEUED_EVENT,
            params,
            QueuedEvent,
            query=_before(before),
            missing=missing,
            otherwise=invalid_or_refused,
        )
        return queued_event(event, uri)

    async def delete_dag_queued_event(self, dag_id: str, uri: str, before: datetime | None) -> None:
        missing = dag_dataset_queue_not_found(dag_id, uri)
        params = {"dag_id": dag_id, "asset_id": str((await self._asset(uri, missing)).id)}
        await self._delete(api.DAG_ASSET_QUEUED_EVENT, params, before, missing)

    async def dataset_queued_events(self, uri: str, before: datetime | None) -> dict[str, Any]:
        missing = dataset_queue_not_found(uri)
        found = await self._asset(uri, missing)
        queued = await self._queue(api.ASSET_QUEUED_EVENTS, {"asset_id": str(found.id)}, before, missing)
        return queued_event_collection(queued, {found.id: uri})

    async def delete_dataset_queued_events(self, uri: str, before: datetime | None) -> None:
        missing = dataset_queue_not_found(uri)
        params = {"asset_id": str((await self._asset(uri, missing)).id)}
        await self._delete(api.ASSET_QUEUED_EVENTS, params, before, missing)

    async def _asset(self, uri: str, missing: NotFound) -> Asset:
        found = await self.asset(uri)
        if found is None:
            raise missing
        return found

    async def _queue(
        self, endpoint: Endpoint, params: dict[str, str], before: datetime | None, missing: NotFound
    ) -> Sequence[QueuedEvent]:
        listing = await fetch(
            self.client,
            endpoint,
            params,
            QueuedEventCollection,
            query=_before(before),
            missing=missing,
            otherwise=invalid_or_refused,
        )
        if not listing.queued_events:
            raise missing
        return listing.queued_events

    async def _delete(
        self, endpoint: Endpoint, params: dict[str, str], before: datetime | None, missing: NotFound
    ) -> None:
        answer = await self.client.send("DELETE", endpoint, params, query=_before(before))
        if answer.status == 404:
            raise missing
        _ok(answer)

    async def _uris(self, dag_id: str, queued: Iterable[QueuedEvent]) -> dict[int, str]:
        """The URIs of the assets ``queued`` names: the assets of the DAG they are queued for, page
        after page until each is found (one page but for a DAG of more than 100 assets); an asset
        the DAG no longer names, by its id."""
        wanted = {event.asset_id for event in queued}
        uris: dict[int, str] = {}
        query = {**ALL_ASSETS, "dag_ids": dag_id, "order_by": "id"}
        pager = Pager(self.client, api.ASSETS, None, query, AssetCollection, assets)
        async with aclosing(pager.window()) as pages:
            async for listing in pages:
                uris.update({asset.id: asset.uri for asset in listing.assets if asset.id in wanted})
                if wanted <= set(uris):
                    return uris

        missing = sorted(wanted - set(uris))
        reads = [partial(self.client.get, api.ASSET, {"asset_id": str(asset_id)}) for asset_id in missing]
        for answer in await self.client.gather(reads):
            if answer.status == 200:
                asset = answer.parsed(Asset)
                uris[asset.id] = asset.uri
        return uris

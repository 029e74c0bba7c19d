"""DAG runs (docs/api-v1.md, "DAG runs and datasets"): Airflow 2's run operations over Airflow 3's
``/dags/{dag_id}/dagRuns`` endpoints, with Airflow 2.11's rules and texts.

Each operation is one call to Airflow (a listing page too, the batch list one batch call); a second
call only where Airflow 3's answer cannot say what Airflow 2 said: which of a run id and a logical
date a duplicate trigger repeats, and, for a body Airflow 2 refused only after its lookup, whether
the DAG or run exists (its 404 came first).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.errors import Conflict, Invalid, NotFound
from app.gateway import endpoints as api
from app.gateway.answers import parsed
from app.gateway.endpoints import ANY
from app.gateway.models.assets import AssetEventCollection
from app.gateway.models.runs import ClearedTaskCollection, DagRun, DagRunCollection
from app.gateway.pager import refused
from app.gateway.transport import Answer
from app.schemas.v1.bodies import (
    NOT_NULL,
    Prop,
    check_schema,
    longer_than,
    parse_date_time,
    refused_by_marshmallow,
    required_property,
    unknown_fields,
)
from app.schemas.v1.dag_runs import (
    STATES,
    dag_run,
    dag_run_collection,
    projected,
    task_instance_references,
    unknown_field,
)
from app.schemas.v1.datasets import dataset_event_collection
from app.services.v1.context import V1Context
from app.services.v1.paging import order_by as v2_order_by
from app.services.v1.paging import page
from app.services.v1.upstream import fetch, invalid_or_refused, unprocessable, wildcard

# v1's order_by attributes -> Airflow 3's. Airflow 3 has no external_trigger column: ordering by it
# orders by id (runs in the order they were made, which is how triggered runs came in Airflow 2 too).
ORDER_BY = {
    "id": "id",
    "state": "state",
    "dag_id": "dag_id",
    "execution_date": "logical_date",
    "dag_run_id": "run_id",
    "start_date": "start_date",
    "end_date": "end_date",
    "updated_at": "updated_at",
    "external_trigger": "id",
    "conf": "conf",
}
# v1's date filters -> Airflow 3's (the batch list's body and the list's query alike).
DATE_FILTERS = {
    "execution_date_gte": "logical_date_gte",
    "execution_date_lte": "logical_date_lte",
    "start_date_gte": "start_date_gte",
    "start_date_lte": "start_date_lte",
    "end_date_gte": "end_date_gte",
    "end_date_lte": "end_date_lte",
    "updated_at_gte": "updated_at_gte",
    "updated_at_lte": "updated_at_lte",
}
EMPTY: dict[str, Any] = {"dag_runs": [], "total_entries": 0}

# v1.yaml's DAGRun, as connexion checked a trigger's body (in its order of properties).
TRIGGER_SCHEMA = (
    Prop("dag_run_id", "string", nullable=True),
    Prop("dag_id", "string", read_only=True),
    Prop("logical_date", "date-time", nullable=True),
    Prop("execution_date", "date-time", nullable=True),
    Prop("start_date", "date-time", nullable=True, read_only=True),
    Prop("end_date", "date-time", nullable=True, read_only=True),
    Prop("data_interval_start", "date-time", nullable=True),
    Prop("data_interval_end", "date-time", nullable=True),
    Prop("last_scheduling_decision", "date-time", nullable=True, read_only=True),
    Prop("run_type", "string", read_only=True),
    Prop("state", "string", read_only=True),
    Prop("external_trigger", "boolean", read_only=True),
    Prop("conf", "object"),
    Prop("note", "string", nullable=True),
)
TRIGGER_FIELDS = (
    "dag_run_id",
    "logical_date",
    "execution_date",
    "conf",
    "data_interval_start",
    "data_interval_end",
    "note",
)
BOTH_INTERVAL_ENDS = "Both 'data_interval_start' and 'data_interval_end' must be specified together"
BATCH_SCHEMA = (
    Prop("order_by", "string"),
    Prop("page_offset", "integer", minimum=0),
    Prop("page_limit", "integer", minimum=1),
    Prop("dag_ids", "array", items="string"),
    Prop("states", "array", items="string"),
    *(Prop(name, "date-time") for name in DATE_FILTERS if not name.startswith("updated_at")),
)
BATCH_FIELDS = ("order_by", "page_offset", "page_limit", "dag_ids", "states", *DATE_FILTERS)
STATE_SCHEMA = (Prop("state", "string", choices=("success", "failed", "queued")),)
CLEAR_SCHEMA = (Prop("dry_run", "boolean"),)
NOTE_SCHEMA = (Prop("note", "string"),)
NOTE_LIMIT = 1000


def run_not_found(dag_id: str, run_id: str) -> str:
    return f"DAGRun with DAG ID: '{dag_id}' and DagRun ID: '{run_id}' not found"


def run_id_not_found(dag_id: str, run_id: str, gap: str = " ") -> str:
    """The title of the run's writes (the clear's had three spaces before the DAG's id)."""
    return f"Dag Run id {run_id} not found in dag{gap}{dag_id}"


def dag_not_found(dag_id: str) -> NotFound:
    return NotFound(f"DAG with dag_id: '{dag_id}' not found", title="DAG not found")


def duplicate_run_id(dag_id: str, run_id: str) -> Conflict:
    return Conflict(f"DAGRun with DAG ID: '{dag_id}' and DAGRun ID: '{run_id}' already exists")


def duplicate_logical_date(dag_id: str, date: datetime) -> Conflict:
    return Conflict(
        f"DAGRun with DAG ID: '{dag_id}' and DAGRun logical date: '{date.isoformat(sep=' ')}' already exists"
    )


@dataclass(frozen=True, slots=True)
class RunQuery:
    """A GET listing's filters as the route read them (v1's query parameters)."""

    limit: int | None
    offset: int | None
    order_by: str | None
    states: list[str] | None
    dates: dict[str, datetime]
    fields: list[str] | None


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _states(states: list[str] | None) -> tuple[list[str] | None, bool]:
    """The states Airflow 3 knows among ``states``, and whether any was asked for but none is known
    (v1 matched an unknown state against nothing: no run)."""
    if not states:
        return None, False
    known = [s for s in dict.fromkeys(states) if s in STATES]
    return known, not known


class DagRunService:
    def __init__(self, context: V1Context) -> None:
        self.client = context.client

    # -- reads ---------------------------------------------------------------------------------------

    async def get(self, dag_id: str, run_id: str, fields: list[str] | None) -> dict[str, Any]:
        """One call: the poll of a run's state is the hot path of v1's clients."""
        params = {"dag_id": dag_id, "dag_run_id": run_id}
        missing = NotFound(run_not_found(dag_id, run_id), title="DAGRun not found")
        run = await fetch(self.client, api.DAG_RUN, params, DagRun, missing=missing)
        if (problem := unknown_field(fields)) is not None:
            raise Invalid(problem, title="DAGRunSchema error")
        return projected(dag_run(run), fields)

    async def list(self, dag_id: str, query: RunQuery) -> dict[str, Any]:
        window = page(query.limit, query.offset)
        states, none_known = _states(query.states)
        v2: dict[str, Any] = {
            "limit": 0 if none_known else window.limit,
            "offset": window.offset,
            "order_by": v2_order_by(query.order_by, ORDER_BY, "id"),
        }
        if states:
            v2["state"] = states
        for name, value in query.dates.items():
            v2[DATE_FILTERS[name]] = _utc(value)
        answer = await self.client.get(api.DAG_RUNS, {"dag_id": wildcard(dag_id)}, v2)
        if answer.status == 404:  # no such DAG: v1 listed no run
            return dict(EMPTY)
        if answer.status != 200:
            raise invalid_or_refused(answer)
        if none_known:
            return dict(EMPTY)
        listing = answer.parsed(DagRunCollection)
        if listing.dag_runs and (problem := unknown_field(query.fields)) is not None:
            raise Invalid(problem, title="DAGRunCollectionSchema error")
        return dag_run_collection(listing.dag_runs, listing.total_entries, query.fields)

    async def list_batch(self, body: Any) -> dict[str, Any]:
        """``POST /dags/~/dagRuns/list``: one call to Airflow's batch list."""
        body = check_schema(body, BATCH_SCHEMA)
        if unknown := unknown_fields(body, BATCH_FIELDS):
            raise refused_by_marshmallow(unknown)
        states, none_known = _states(body.get("states"))
        v2: dict[str, Any] = {
            "order_by": v2_order_by(body.get("order_by"), ORDER_BY, "id"),
            "page_offset": body.get("page_offset", 0),
            "page_limit": 0 if none_known else body.get("page_limit", 100),
        }
        if body.get("dag_ids"):
            v2["dag_ids"] = body["dag_ids"]
        if states:
            v2["states"] = states
        for name, v2_name in DATE_FILTERS.items():
            # Airflow 2.11 read the updated_at bounds of a batch and left them unused: so does this.
            if body.get(name) is not None and not name.startswith("updated_at"):
                v2[v2_name] = body[name]
        answer = await self.client.ask("POST", api.DAG_RUNS_BATCH, {"dag_id": ANY}, json=v2)
        if answer.status != 200:
            raise invalid_or_refused(answer)
        if none_known:
            return dict(EMPTY)
        listing = answer.parsed(DagRunCollection)
        return dag_run_collection(listing.dag_runs, listing.total_entries, None)

    async def upstream_dataset_events(self, dag_id: str, run_id: str) -> dict[str, Any]:
        params = {"dag_id": dag_id, "dag_run_id": run_id}
        missing = NotFound(run_not_found(dag_id, run_id), title="DAGRun not found")
        events = await fetch(
            self.client, api.UPSTREAM_ASSET_EVENTS, params, AssetEventCollection, missing=missing
        )
        return dataset_event_collection(events.asset_events, events.total_entries)

    # -- writes --------------------------------------------------------------------------------------

    async def trigger(self, dag_id: str, body: Any) -> dict[str, Any]:
        """A new run, named and dated as Airflow 2 named and dated it (see docs/api-v1.md)."""
        body = check_schema(body, TRIGGER_SCHEMA)
        date = await self._trigger_date(dag_id, body)
        run_id = body.get("dag_run_id") or f"manual__{date.isoformat()}"
        v2: dict[str, Any] = {
            "dag_run_id": run_id,
            "logical_date": date.isoformat(),
            "conf": body.get("conf") or {},
            "note": body.get("note"),
        }
        if body.get("data_interval_start") is not None:
            v2["data_interval_start"] = body["data_interval_start"]
            v2["data_interval_end"] = body["data_interval_end"]
        answer = await self.client.send("POST", api.DAG_RUNS, {"dag_id": dag_id}, json=v2)
        if answer.status in (200, 201):
            return dag_run(self._run(answer), zone=date.tzinfo)
        if answer.status == 404:
            raise dag_not_found(dag_id)
        if answer.status == 409:
            raise await self._duplicate(dag_id, run_id, date)
        if answer.status == 400 and "import errors" in answer.detail:
            raise Invalid(f"DAG with dag_id: '{dag_id}' has import errors", title="DAG cannot be triggered")
        if answer.status == 422:
            raise unprocessable(answer)
        if answer.status == 400:
            raise Invalid(answer.detail)
        raise refused(answer)

    async def _trigger_date(self, dag_id: str, body: dict[str, Any]) -> datetime:
        """The run's logical date (now without one), or what marshmallow refused in the body (after
        the DAG's 404, as Airflow 2 looked it up first)."""
        logical, execution = body.get("logical_date", ...), body.get("execution_date", ...)
        if logical is not ... and execution is not ... and logical != execution:
            await self._dag_exists(dag_id)
            raise Invalid(f"{logical!r} != {execution!r}", title="logical_date conflicts with execution_date")
        given = execution if logical is ... else logical
        errors: dict[str, list[str]] = {
            name: [NOT_NULL] for name in ("dag_run_id", "logical_date") if name in body and body[name] is None
        }
        if given is None and "logical_date" not in errors:
            errors["logical_date"] = [NOT_NULL]
        errors.update(unknown_fields(body, TRIGGER_FIELDS))
        if not errors and (body.get("data_interval_start") is None) != (
            body.get("data_interval_end") is None
        ):
            errors["_schema"] = [BOTH_INTERVAL_ENDS]
        if errors:
            await self._dag_exists(dag_id)
            raise refused_by_marshmallow(errors)
        if given is ...:
            return datetime.now(UTC)
        parsed = parse_date_time(given)
        assert parsed is not None  # checked by TRIGGER_SCHEMA
        return parsed

    async def _duplicate(self, dag_id: str, run_id: str, date: datetime) -> Conflict:
        """Which of the run id and the logical date is taken (Airflow 3's 409 does not say): the run
        of that id at another date means the id, as Airflow 2 decided."""
        answer = await self.client.get(api.DAG_RUN, {"dag_id": dag_id, "dag_run_id": run_id})
        if answer.status == 200 and self._run(answer).logical_date != date:
            return duplicate_run_id(dag_id, run_id)
        return duplicate_logical_date(dag_id, date)

    async def patch_state(self, dag_id: str, run_id: str, body: Any) -> dict[str, Any]:
        body = check_schema(body, STATE_SCHEMA)
        unknown = unknown_fields(body, ("state",))
        # A body without the one field it exists for: Airflow 2.11 failed with a 500 HTML page.
        if unknown or "state" not in body:
            await self._run_exists(dag_id, run_id)
            raise refused_by_marshmallow(unknown) if unknown else required_property("state")
        return await self._patch(dag_id, run_id, {"state": body["state"]}, None)

    async def set_note(self, dag_id: str, run_id: str, body: Any) -> dict[str, Any]:
        body = check_schema(body, NOTE_SCHEMA)
        errors = unknown_fields(body, ("note",))
        if len(body.get("note") or "") > NOTE_LIMIT:
            errors = {"note": [longer_than(NOTE_LIMIT)], **errors}
        if errors or "note" not in body:
            await self._run_exists(dag_id, run_id)
            raise refused_by_marshmallow(errors) if errors else required_property("note")
        return await self._patch(dag_id, run_id, {"note": body["note"]}, ["note"])

    async def _patch(
        self, dag_id: str, run_id: str, v2: dict[str, Any], mask: builtins.list[str] | None
    ) -> dict[str, Any]:
        query = {"update_mask": mask} if mask else None
        answer = await self.client.send(
            "PATCH", api.DAG_RUN, {"dag_id": dag_id, "dag_run_id": run_id}, json=v2, query=query
        )
        missing = NotFound("", title=run_id_not_found(dag_id, run_id))
        return dag_run(parsed(answer, DagRun, missing=missing, otherwise=invalid_or_refused))

    async def clear(self, dag_id: str, run_id: str, body: Any) -> dict[str, Any]:
        """A dry run (v1's default) answers the task instances it would clear; a real one the run."""
        body = check_schema(body, CLEAR_SCHEMA)
        if unknown := unknown_fields(body, ("dry_run",)):
            await self._run_exists(dag_id, run_id, gap="   ")
            raise refused_by_marshmallow(unknown)
        dry_run = body.get("dry_run", True)
        call = self.client.ask if dry_run else self.client.send  # a dry run changes nothing
        answer = await call(
            "POST",
            api.DAG_RUN_CLEAR,
            {"dag_id": dag_id, "dag_run_id": run_id},
            json={"dry_run": dry_run, "only_failed": False},
        )
        missing = NotFound("", title=run_id_not_found(dag_id, run_id, "   "))
        if dry_run:
            cleared = parsed(answer, ClearedTaskCollection, missing=missing, otherwise=invalid_or_refused)
            return task_instance_references(cleared.task_instances, dag_id, run_id)
        return dag_run(parsed(answer, DagRun, missing=missing, otherwise=invalid_or_refused))

    async def delete(self, dag_id: str, run_id: str) -> None:
        answer = await self.client.send("DELETE", api.DAG_RUN, {"dag_id": dag_id, "dag_run_id": run_id})
        if answer.status == 404:
            raise NotFound(run_not_found(dag_id, run_id))
        if answer.status == 409:  # Airflow 3 deletes no running run
            raise Conflict(answer.detail)
        if answer.status not in (200, 204):
            raise refused(answer)

    # -- helpers -------------------------------------------------------------------------------------

    @staticmethod
    def _run(answer: Answer) -> DagRun:
        if answer.status not in (200, 201):
            raise refused(answer)
        return answer.parsed(DagRun)

    async def _dag_exists(self, dag_id: str) -> None:
        if (await self.client.get(api.DAG, {"dag_id": dag_id})).status == 404:
            raise dag_not_found(dag_id)

    async def _run_exists(self, dag_id: str, run_id: str, gap: str = " ") -> None:
        answer = await self.client.get(api.DAG_RUN, {"dag_id": dag_id, "dag_run_id": run_id})
        if answer.status == 404:
            raise NotFound("", title=run_id_not_found(dag_id, run_id, gap))

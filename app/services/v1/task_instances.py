"""Task instances: lists (one v2 call a page), one task instance, its tries, dependencies and extra
links, state changes, notes, clearing (docs/api-v1.md, "Task instances, XCom, logs, clearing and
state updates").

Airflow 3 answers each v1 read with one call of its own; the errors Airflow 2.11 told apart (a
missing DAG, task or task instance) are told apart from Airflow 3's 404 texts, or by one more call
on the error path only. v1's unmapped forms name map index -1 to Airflow 3, as Airflow 2 looked
them up (``updateTaskInstancesState`` excepted: it sets every map index of the task, as in Airflow 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.errors import Invalid, NotFound
from app.gateway import endpoints as api
from app.gateway.answers import parsed
from app.gateway.endpoints import ANY
from app.gateway.models import task_instances as v2
from app.gateway.pager import refused
from app.gateway.transport import Answer
from app.schemas.v1 import task_instances as schema
from app.services.v1.context import V1Context
from app.services.v1.paging import order_by as v2_order_by
from app.services.v1.paging import page
from app.services.v1.upstream import wildcard

UNMAPPED = -1
# v1's attribute names Airflow 3 can order task instances by, and its own names for them.
ORDER_BY = {
    "state": "state",
    "duration": "duration",
    "start_date": "start_date",
    "end_date": "end_date",
    "map_index": "map_index",
    "try_number": "try_number",
    "execution_date": "logical_date",
    "operator": "operator",
    "rendered_map_index": "rendered_map_index",
}
# Airflow 3's batch listing orders by fewer.
BATCH_ORDER_BY = {
    name: ORDER_BY[name] for name in ("state", "duration", "start_date", "end_date", "map_index")
}
# Airflow 2.11's listMapped took these, and no other (not even "map_index", its default).
MAPPED_ORDER_BY = frozenset(
    {
        "state",
        "-state",
        "duration",
        "-duration",
        "start_date",
        "-start_date",
        "end_date",
        "-end_date",
        "-map_index",
    }
)
BATCH_UNFILTERED = ("updated_at_gte", "updated_at_lte")
UPDATED_AT_ACROSS_DAGS = (
    "updated_at_gte and updated_at_lte need a DAG id with a named run: Airflow 3 lists a run's task "
    "instances across DAGs only through its batch list, which cannot filter by update time"
)

# Airflow 2.11's texts.
TI_NOT_FOUND = "Task instance not found"
MAPPED_HINT = "Task instance is mapped, add the map_index value to the URL"


def _instance_not_found(dag_id: str, dag_run_id: str, task_id: str) -> NotFound:
    return NotFound(
        "", title=f"Task Instance not found for dag_id={dag_id}, run_id={dag_run_id}, task_id={task_id}"
    )


def _missing(answer: Answer) -> str:
    """What an Airflow 3 404 says is missing: ``dag``, ``task`` or (anything else) the instance."""
    detail = answer.detail
    if detail.startswith("The Dag with ID"):
        return "dag"
    if detail.startswith(("Task '", "Task with id", "Task id")):
        return "task"
    return "instance"


def _query_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def v2_query(filters: Mapping[str, Any]) -> dict[str, Any]:
    """v1's list filters in Airflow 3's names (``execution_date_*`` is ``logical_date_*``); a
    ``state`` no task instance can have is refused."""
    query: dict[str, Any] = {}
    for name, value in filters.items():
        if value is None or value == []:
            continue
        if name == "state":
            for state in value:
                if state not in schema.TASK_STATES:
                    raise Invalid(schema.unknown_state(state))
        query[name.replace("execution_date", "logical_date")] = _query_value(value)
    return query


class TaskInstanceService:
    def __init__(self, context: V1Context) -> None:
        self.client = context.client

    # -- lists --------------------------------------------------------------------------------------

    async def list(
        self,
        dag_id: str,
        dag_run_id: str,
        filters: Mapping[str, Any],
        *,
        limit: int | None,
        offset: int | None,
        order_by: str | None,
    ) -> dict[str, Any]:
        """One page of the task instances of a run, of a DAG's runs (``~``) or of every DAG: one
        call. A DAG or run that does not exist has none, as in Airflow 2."""
        window = page(limit, offset)
        query = v2_query(filters)
        if dag_id == "~" and dag_run_id != "~":
            # Airflow 3's listing needs the DAG of a named run; its batch listing does not.
            return await self._batch(
                {**query, "dag_run_ids": [dag_run_id]}, window.limit, window.offset, order_by
            )
        if order_by:
            query["order_by"] = v2_order_by(order_by, ORDER_BY, "")
        answer = await self.client.get(
            api.TASK_INSTANCES,
            {"dag_id": wildcard(dag_id), "dag_run_id": wildcard(dag_run_id)},
            {**query, "limit": window.limit, "offset": window.offset},
        )
        if answer.status == 404:
            return {"task_instances": [], "total_entries": 0}
        return schema.task_instances(parsed(answer, v2.TaskInstanceCollection))

    async def _batch(
        self, query: Mapping[str, Any], limit: int, offset: int, order_by: str | None
    ) -> dict[str, Any]:
        if any(name in query for name in BATCH_UNFILTERED):
            raise Invalid(UPDATED_AT_ACROSS_DAGS)
        body = {
            name: ([None if s == "none" else s for s in value] if name == "state" else value)
            for name, value in query.items()
        }
        if order_by:
            body["order_by"] = v2_order_by(order_by, BATCH_ORDER_BY, "")
        return await self._list_batch({**body, "page_offset": offset, "page_limit": limit})

    async def _list_batch(self, body: Mapping[str, Any]) -> dict[str, Any]:
        answer = await self.client.ask(
            "POST", api.TASK_INSTANCES_BATCH, {"dag_id": ANY, "dag_run_id": ANY}, json=dict(body)
        )
        return schema.task_instances(parsed(answer, v2.TaskInstanceCollection))

    async def batch(self, body: Any) -> dict[str, Any]:
        """``POST /dags/~/dagRuns/~/taskInstances/list``: one batch call (v1's ``page_limit`` has no
        cap, as in Airflow 2.11)."""
        data = schema.batch_body(body)
        filters = schema.v2_filters(data)
        if "state" in filters:
            filters["state"] = [None if s == "none" else s for s in filters["state"]]
        return await self._list_batch(filters)

    async def list_mapped(
        self,
        dag_id: str,
        dag_run_id: str,
        task_id: str,
        filters: Mapping[str, Any],
        *,
        limit: int | None,
        offset: int | None,
        order_by: str | None,
    ) -> dict[str, Any]:
        """The mapped task instances of a task in a run: one call."""
        window = page(limit, offset)
        query = v2_query(filters)
        if order_by is not None:
            if order_by not in MAPPED_ORDER_BY:
                raise Invalid(f"Ordering with '{order_by}' is not supported")
            query["order_by"] = order_by
        answer = await self.client.get(
            api.MAPPED_TASK_INSTANCES,
            {"dag_id": dag_id, "dag_run_id": dag_run_id, "task_id": task_id},
            {**query, "limit": window.limit, "offset": window.offset},
        )
        if answer.status == 404:
            if _missing(answer) == "dag":
                raise NotFound("", title=f"DAG {dag_id} not found")
            raise NotFound("", title=answer.detail)  # "Task id x not found", "Task id x is not mapped"
        return schema.task_instances(parsed(answer, v2.TaskInstanceCollection))

    # -- one task instance -------------------------------------------------------------------------

    async def get(
        self, dag_id: str, dag_run_id: str, task_id: str, map_index: int | None = None
    ) -> dict[str, Any]:
        """A task instance (``map_index``: v1's mapped form)."""
        if map_index is None:
            answer = await self.client.get(
                api.TASK_INSTANCE, {"dag_id": dag_id, "dag_run_id": dag_run_id, "task_id": task_id}
            )
        else:
            answer = await self.client.get(
                api.MAPPED_TASK_INSTANCE,
                {"dag_id": dag_id, "dag_run_id": dag_run_id, "task_id": task_id, "map_index": str(map_index)},
            )
        if answer.status == 404:
            mapped = map_index is None and answer.detail == MAPPED_HINT
            raise NotFound(MAPPED_HINT if mapped else "", title=TI_NOT_FOUND)
        return schema.task_instance(parsed(answer, v2.TaskInstance))

    async def tries(
        self, dag_id: str, dag_run_id: str, task_id: str, map_index: int | None = None
    ) -> dict[str, Any]:
        """Every try of a task instance, the current one last; none for one that does not exist."""
        params = {"dag_id": dag_id, "dag_run_id": dag_run_id, "task_id": task_id}
        if map_index is None:
            answer = await self.client.get(api.TASK_INSTANCE_TRIES, params)
        else:
            answer = await self.client.get(
                api.MAPPED_TASK_INSTANCE_TRIES, {**params, "map_index": str(map_index)}
            )
        if answer.status == 404:
            return schema.task_instance_tries([])
        return schema.task_instance_tries(parsed(answer, v2.TaskInstanceTryCollection).task_instances)

    async def get_try(
        self, dag_id: str, dag_run_id: str, task_id: str, try_number: int, map_index: int | None = None
    ) -> dict[str, Any]:
        params = {
            "dag_id": dag_id,
            "dag_run_id": dag_run_id,
            "task_id": task_id,
            "task_try_number": str(try_number),
        }
        if map_index is None:
            answer = await self.client.get(api.TASK_INSTANCE_TRY, params)
        else:
            answer = await self.client.get(
                api.MAPPED_TASK_INSTANCE_TRY, {**params, "map_index": str(map_index)}
            )
        missing = NotFound(
            f"Task Instance not found for dag_id={dag_id}, run_id={dag_run_id}, task_id={task_id}, "
            f"map_index={UNMAPPED if map_index is None else map_index}, try_number={try_number}.",
            title=TI_NOT_FOUND,
        )
        return schema.task_instance_try(parsed(answer, v2.TaskInstanceTry, missing=missing))

    async def dependencies(
        self, dag_id: str, dag_run_id: str, task_id: str, map_index: int | None = None
    ) -> dict[str, Any]:
        """What keeps a task instance from being scheduled, as Airflow 3 words it."""
        params = {"dag_id": dag_id, "dag_run_id": dag_run_id, "task_id": task_id}
        if map_index is None:
            answer = await self.client.get(api.TASK_INSTANCE_DEPENDENCIES, params)
        else:
            answer = await self.client.get(
                api.MAPPED_TASK_INSTANCE_DEPENDENCIES, {**params, "map_index": str(map_index)}
            )
        missing = _instance_not_found(dag_id, dag_run_id, task_id)
        return schema.dependencies(parsed(answer, v2.TaskDependencyCollection, missing=missing))

    async def links(
        self, dag_id: str, dag_run_id: str, task_id: str, map_index: int | None
    ) -> dict[str, Any]:
        """The extra links of a task instance, keyed by name, as Airflow 2.11 answered them."""
        answer = await self.client.get(
            api.TASK_INSTANCE_LINKS,
            {"dag_id": dag_id, "dag_run_id": dag_run_id, "task_id": task_id},
            {"map_index": UNMAPPED if map_index is None else map_index},
        )
        if answer.status == 404:
            raise await self._links_not_found(dag_id, dag_run_id, task_id)
        return dict(parsed(answer, v2.ExtraLinks).extra_links)

    async def _links_not_found(self, dag_id: str, dag_run_id: str, task_id: str) -> NotFound:
        """Airflow 3 says only "TaskInstance not found": the task's lookup tells what Airflow 2.11
        said, in its order (DAG, task, run)."""
        answer = await self.client.get(api.TASK, {"dag_id": dag_id, "task_id": task_id})
        if answer.status == 404 and _missing(answer) == "dag":
            return NotFound(f'DAG with ID = "{dag_id}" not found', title="DAG not found")
        if answer.status == 404:
            return NotFound(f'Task with ID = "{task_id}" not found', title="Task not found")
        return NotFound(f'DAG Run with ID = "{dag_run_id}" not found', title="DAG Run not found")

    # -- changes -------------------------------------------------------------------------------------

    def _instance(self, dag_id: str, dag_run_id: str, task_id: str, map_index: int | None) -> dict[str, str]:
        index = UNMAPPED if map_index is None else map_index
        return {"dag_id": dag_id, "dag_run_id": dag_run_id, "task_id": task_id, "map_index": str(index)}

    async def _dry_run(self, params: Mapping[str, str], body: Mapping[str, Any]) -> Answer:
        return await self.client.ask("PATCH", api.MAPPED_TASK_INSTANCE_DRY_RUN, params, json=dict(body))

    async def patch(
        self, dag_id: str, dag_run_id: str, task_id: str, map_index: int | None, body: Any
    ) -> dict[str, Any]:
        """v1's ``PATCH`` of a task instance's state (a dry run unless ``dry_run`` is false): the
        task instance's reference."""
        data = schema.patch_body(body)
        params = self._instance(dag_id, dag_run_id, task_id, map_index)
        if not data["dry_run"]:
            answer = await self.client.send(
                "PATCH", api.MAPPED_TASK_INSTANCE, params, json={"new_state": data["new_state"]}
            )
            if answer.status == 200:
                return schema.reference(answer.parsed(v2.TaskInstanceCollection).task_instances[0])
            if answer.status != 409:  # 409: already in that state, which is no error in v1
                raise self._patch_error(answer, dag_id, dag_run_id, task_id)
        answer = await self._dry_run(params, {})
        if answer.status != 200:
            raise self._patch_error(answer, dag_id, dag_run_id, task_id)
        return schema.reference(answer.parsed(v2.TaskInstanceCollection).task_instances[0])

    @staticmethod
    def _patch_error(answer: Answer, dag_id: str, dag_run_id: str, task_id: str) -> Exception:
        if answer.status != 404:
            return refused(answer)
        missing = _missing(answer)
        if missing == "dag":
            return NotFound(f"DAG {dag_id!r} not found", title="DAG not found")
        if missing == "task":
            return NotFound(f"Task {task_id!r} not found in DAG {dag_id!r}", title="Task not found")
        return NotFound(f"Task instance not found for task {task_id!r} on DAG run with ID {dag_run_id!r}")

    async def set_note(
        self, dag_id: str, dag_run_id: str, task_id: str, map_index: int | None, body: Any
    ) -> dict[str, Any]:
        """The task instance with its new note."""
        note = schema.note_body(body)
        answer = await self.client.send(
            "PATCH",
            api.MAPPED_TASK_INSTANCE,
            self._instance(dag_id, dag_run_id, task_id, map_index),
            json={"note": note},
            query={"update_mask": ["note"]},
        )
        missing = _instance_not_found(dag_id, dag_run_id, task_id)
        return schema.task_instance(
            parsed(answer, v2.TaskInstanceCollection, missing=missing).task_instances[0]
        )

    async def update_state(self, dag_id: str, body: Any) -> dict[str, Any]:
        """``updateTaskInstancesState``: the task instances the change touches (a dry run unless
        ``dry_run`` is false), found by Airflow 3's dry run; then the change itself."""
        data = schema.update_state_body(body)
        task_id: str = data["task_id"]
        execution_date: datetime | None = data["execution_date"]
        dag_run_id: str | None = data["dag_run_id"]
        if execution_date is not None:
            dag_run_id = await self._run_at(dag_id, task_id, execution_date)
        assert dag_run_id is not None  # exactly one of them (update_state_body)
        change = {
            "new_state": data["new_state"],
            **{
                flag: data[flag]
                for flag in ("include_upstream", "include_downstream", "include_future", "include_past")
            },
        }
        # Airflow 3's unmapped routes without a map_index act on every map index of the task, as
        # Airflow 2's updateTaskInstancesState set them all.
        params = {"dag_id": dag_id, "dag_run_id": dag_run_id, "task_id": task_id}
        answer = await self.client.ask("PATCH", api.TASK_INSTANCE_DRY_RUN, params, json=change)
        if answer.status == 404:
            missing = _missing(answer)
            if missing == "dag":
                raise NotFound("", title=f"Dag ID {dag_id} not found")
            if missing == "task":
                raise NotFound("", title=f"Task ID {task_id} not found")
            if execution_date is not None:
                raise NotFound(
                    f"Task instance not found for task {task_id!r} on execution_date {execution_date}"
                )
            raise NotFound(f"Task instance not found for task {task_id!r} on DAG run with ID {dag_run_id!r}")
        if answer.status != 200:
            raise refused(answer)
        touched = answer.parsed(v2.TaskInstanceCollection).task_instances
        if touched and not data["dry_run"]:
            done = await self.client.send("PATCH", api.TASK_INSTANCE, params, json=change)
            if done.status not in (200, 409):  # 409: none left to change since the dry run
                raise refused(done)
        return schema.references(touched)

    async def _run_at(self, dag_id: str, task_id: str, execution_date: datetime) -> str:
        """The id of the DAG's run at ``execution_date`` (its logical date); Airflow 2.11's 404s."""
        when = execution_date.isoformat()
        answer = await self.client.get(
            api.DAG_RUNS, {"dag_id": dag_id}, {"logical_date_gte": when, "logical_date_lte": when, "limit": 1}
        )
        if answer.status == 200 and (runs := answer.body.get("dag_runs")):
            return str(runs[0]["dag_run_id"])
        if answer.status not in (200, 404):
            raise refused(answer)
        task = await self.client.get(api.TASK, {"dag_id": dag_id, "task_id": task_id})
        if task.status == 404 and _missing(task) == "dag":
            raise NotFound("", title=f"Dag ID {dag_id} not found")
        if task.status == 404:
            raise NotFound("", title=f"Task ID {task_id} not found")
        raise NotFound(f"Task instance not found for task {task_id!r} on execution_date {execution_date}")

    async def clear(self, dag_id: str, body: Any) -> dict[str, Any]:
        """``clearTaskInstances`` with v1's defaults sent explicitly (``dry_run`` and ``only_failed``
        true, ``reset_dag_runs`` false, where Airflow 3 resets the runs by default)."""
        data = schema.clear_body(body)
        request: dict[str, Any] = {
            name: data[name]
            for name in (
                "dry_run", "only_failed", "only_running", "reset_dag_runs", "include_upstream",
                "include_downstream", "include_future", "include_past",
            )
        }  # fmt: skip
        for name in ("task_ids", "dag_run_id", "start_date", "end_date"):
            if data[name] is not None:
                request[name] = _query_value(data[name])
        call = self.client.ask if data["dry_run"] else self.client.send
        answer = await call("POST", api.CLEAR_TASK_INSTANCES, {"dag_id": dag_id}, json=request)
        if answer.status == 404:
            if answer.detail.startswith("Dag Run id"):
                raise NotFound("", title=answer.detail)  # Airflow 2.11's words too
            raise NotFound("", title=f"Dag id {dag_id} not found")
        return schema.references(parsed(answer, v2.TaskInstanceCollection).task_instances)

"""Task info, task-instance info and task-instance state reports (docs/api.md 3.3 and 4.3) in dagport's store.

What every backend shares (the lookups' order, the settable states, what a report sets, the run's
derived state) is in tests/conformance/test_task_instances.py. Here: the whole info of the reference
DAGs against Airflow 2.11's answers, every value a report sets by dagport's clock, the run's dates
as stored (read from the ``dag_run`` table where the API does not expose them), the body's
validation, concurrent reports.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.dates import parse_date
from app.db.models import dag_run
from tests.conftest import DATA_DIR, FakeClock
from tests.helpers import load_reference_dags, put_dag

TRANSCRIPTS = DATA_DIR / "airflow-2.11-transcripts.jsonl"

RUN_PATH = "2016-11-16T11:34:15"  # example_bash's run, as the transcripts address it
RUN_STR = "2016-11-16 11:34:15+00:00"
RUN_ID = "manual__2016-11-16T11:34:15+00:00"
NOW = "2026-11-24 02:49:29.097350+00:00"  # the FakeClock's start, as str() renders it
NOW_ISO = "2026-11-24T02:49:29.097350+00:00"
ALL_TI_STATES = (
    "null, scheduled, queued, running, success, failed, up_for_retry, up_for_reschedule, skipped, "
    "upstream_failed"
)


# -- helpers -----------------------------------------------------------------------------------------


def assert_error(response: httpx.Response, status: int, message: str, detail: list | None = None) -> None:
    assert response.status_code == status, response.text
    expected: dict[str, Any] = {"error": message}
    if detail is not None:
        expected["detail"] = detail
    expected["request_id"] = response.headers["x-request-id"]
    assert response.json() == expected


async def trigger(client: httpx.AsyncClient, dag_id: str = "example_bash", date: str = RUN_PATH) -> None:
    response = await client.post(f"/dags/{dag_id}/dag_runs", json={"execution_date": date})
    assert response.status_code == 200, response.text


def ti_path(task_id: str, dag_id: str = "example_bash", date: str = RUN_PATH) -> str:
    return f"/dags/{dag_id}/dag_runs/{date}/tasks/{task_id}"


async def patch_ti(
    client: httpx.AsyncClient, task_id: str, body: dict[str, Any], **where: str
) -> httpx.Response:
    return await client.patch(ti_path(task_id, **where), json=body)


async def set_state(client: httpx.AsyncClient, task_id: str, state: str | None, **where: str) -> dict:
    response = await patch_ti(client, task_id, {"state": state}, **where)
    assert response.status_code == 200, response.text
    return response.json()


async def run_state(client: httpx.AsyncClient, dag_id: str = "example_bash", date: str = RUN_PATH) -> str:
    response = await client.get(f"/dags/{dag_id}/dag_runs/{date}")
    assert response.status_code == 200, response.text
    return response.json()["state"]


async def stored_run(engine: AsyncEngine, dag_id: str = "example_bash", date: str = RUN_PATH) -> dict:
    """The run's state and dates as stored (run end_date is not part of any GET response)."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(dag_run.c.state, dag_run.c.start_date, dag_run.c.end_date).where(
                    dag_run.c.dag_id == dag_id, dag_run.c.execution_date == parse_date(date)
                )
            )
        ).one()
    return {
        "state": row.state,
        "start_date": row.start_date and row.start_date.isoformat(),
        "end_date": row.end_date and row.end_date.isoformat(),
    }


def airflow_answer(name: str) -> dict[str, str]:
    for line in TRANSCRIPTS.read_text().splitlines():
        entry = json.loads(line)
        if entry["name"] == name:
            return entry["response_json"]
    raise AssertionError(f"no transcript entry named {name}")


def fresh_ti(task_id: str, **overrides: str) -> dict[str, str]:
    """A just-triggered example_bash task instance (queued run, nothing reported yet)."""
    per_task = {
        "extract": {"pool": "etl_pool", "priority_weight": "3", "max_tries": "2"},
        "transform": {"pool": "default_pool", "priority_weight": "2", "max_tries": "3"},
        "load": {"pool": "default_pool", "priority_weight": "1", "max_tries": "2"},
    }[task_id]
    return {
        "task_id": task_id,
        "dag_id": "example_bash",
        "run_id": RUN_ID,
        "execution_date": RUN_STR,
        "start_date": "None",
        "end_date": "None",
        "duration": "None",
        "state": "None",
        "try_number": "0",
        "max_tries": per_task["max_tries"],
        "hostname": "",
        "unixname": "",
        "job_id": "None",
        "pool": per_task["pool"],
        "pool_slots": "1",
        "queue": "default",
        "priority_weight": per_task["priority_weight"],
        "operator": "BashOperator",
        "queued_dttm": "None",
        "pid": "None",
        "executor_config": "{}",
        "updated_at": NOW,
        **overrides,
    }


def bash_task(task_id: str, **overrides: str) -> dict[str, str]:
    """example_bash's task info with Airflow's defaults and the DAG's default_args."""
    return {
        "task_id": task_id,
        "dag_id": "example_bash",
        "operator": "BashOperator",
        "owner": "data-team",
        "email": "None",
        "email_on_failure": "True",
        "email_on_retry": "True",
        "retries": "2",
        "retry_delay": "0:05:00",
        "retry_exponential_backoff": "False",
        "max_retry_delay": "None",
        "execution_timeout": "None",
        "start_date": "2016-01-01 00:00:00+00:00",
        "end_date": "None",
        "depends_on_past": "False",
        "wait_for_downstream": "False",
        "pool": "default_pool",
        "pool_slots": "1",
        "queue": "default",
        "priority_weight": "1",
        "weight_rule": "downstream",
        "trigger_rule": "all_success",
        "params": "{}",
        "inlets": "[]",
        "outlets": "[]",
        "doc_md": "None",
        "upstream_task_ids": "set()",
        "downstream_task_ids": "set()",
        **overrides,
    }


@pytest.fixture
async def example_run(client: httpx.AsyncClient) -> None:
    """The reference DAGs, and example_bash triggered at 2016-11-16T11:34:15 (a queued run)."""
    await load_reference_dags(client)
    await trigger(client)


# -- GET /dags/{dag_id}/tasks/{task_id} ----------------------------------------------------------


async def test_task_info_extract_whole_body(client: httpx.AsyncClient) -> None:
    await load_reference_dags(client)
    response = await client.get("/dags/example_bash/tasks/extract")
    assert response.status_code == 200
    assert response.json() == bash_task(
        "extract",
        pool="etl_pool",
        downstream_task_ids="{'transform'}",
        bash_command="echo extract {{ ds }}",
    )


async def test_task_info_transform_overrides_default_args_retries(client: httpx.AsyncClient) -> None:
    await load_reference_dags(client)
    response = await client.get("/dags/example_bash/tasks/transform")
    assert response.status_code == 200
    assert response.json() == bash_task(
        "transform",
        retries="3",
        upstream_task_ids="{'extract'}",
        downstream_task_ids="{'load'}",
        bash_command="echo transform",
    )


async def test_task_info_load_overrides_default_args_owner(client: httpx.AsyncClient) -> None:
    await load_reference_dags(client)
    response = await client.get("/dags/example_bash/tasks/load")
    assert response.status_code == 200
    assert response.json() == bash_task(
        "load", owner="loader", upstream_task_ids="{'transform'}", bash_command="echo load"
    )


async def test_task_info_lineage_tasks_render_entities_as_python_str(client: httpx.AsyncClient) -> None:
    await load_reference_dags(client)
    produce = await client.get("/dags/lineage_dag/tasks/produce")
    consume = await client.get("/dags/lineage_dag/tasks/consume")
    lineage_defaults = {"dag_id": "lineage_dag", "owner": "airflow", "retries": "0"}
    assert produce.status_code == consume.status_code == 200
    assert produce.json() == bash_task(
        "produce",
        **lineage_defaults,
        inlets="[{'type': 'File', 'url': '/tmp/input.csv'}]",
        outlets="[{'type': 'File', 'url': '/tmp/intermediate.csv'}]",
        downstream_task_ids="{'consume'}",
        bash_command="echo produce",
    )
    assert consume.json() == bash_task(
        "consume",
        **lineage_defaults,
        inlets="[{'type': 'File', 'url': '/tmp/intermediate.csv'}]",
        outlets="[{'type': 'Table', 'database': 'warehouse', 'cluster': 'main', 'name': 'results'}]",
        upstream_task_ids="{'produce'}",
        bash_command="echo consume",
    )


@pytest.mark.parametrize(
    ("transcript", "dag_id", "task_id"),
    [
        ("task_info_extract", "example_bash", "extract"),
        ("task_info_load", "example_bash", "load"),
        ("task_info_lineage_consume", "lineage_dag", "consume"),
    ],
)
async def test_task_info_matches_airflow_on_shared_keys(
    client: httpx.AsyncClient, transcript: str, dag_id: str, task_id: str
) -> None:
    await load_reference_dags(client)
    ours = (await client.get(f"/dags/{dag_id}/tasks/{task_id}")).json()
    airflow = airflow_answer(transcript)
    # Airflow has no dag_id/operator attribute on the task; everything else of ours it has too.
    assert set(ours) - set(airflow) == {"dag_id", "operator"}
    # weight_rule is an object repr in Airflow; entities are JSON objects in dagport (docs/api.md 3.5).
    shared = (set(ours) & set(airflow)) - {"weight_rule", "inlets", "outlets"}
    assert {
        "owner", "retries", "retry_delay", "pool", "queue", "priority_weight", "trigger_rule",
        "upstream_task_ids", "downstream_task_ids", "start_date", "email", "bash_command",
    } <= shared  # fmt: skip
    assert {k: ours[k] for k in shared} == {k: airflow[k] for k in shared}


async def test_task_info_every_field_set_explicitly(client: httpx.AsyncClient) -> None:
    await put_dag(
        client,
        {
            "dag_id": "full_dag",
            "start_date": "2019-01-01T00:00:00+00:00",
            "tasks": [
                {"task_id": "first"},
                {
                    "task_id": "everything",
                    "operator": "PythonOperator",
                    "upstream": ["first"],
                    "owner": "ops",
                    "email": ["a@x.com", "b@x.com"],
                    "email_on_failure": False,
                    "email_on_retry": False,
                    "retries": 4,
                    "retry_delay": 90,
                    "retry_exponential_backoff": True,
                    "max_retry_delay": "1:00:00",
                    "execution_timeout": 90061.5,
                    "start_date": "2020-02-03T04:05:06+02:00",
                    "end_date": "2021-01-01T00:00:00Z",
                    "depends_on_past": True,
                    "wait_for_downstream": True,
                    "pool": "etl_pool",
                    "pool_slots": 3,
                    "queue": "gpu",
                    "priority_weight": 7,
                    "weight_rule": "absolute",
                    "trigger_rule": "one_failed",
                    "params": {"k": "v", "n": 1},
                    "inlets": [{"type": "File", "url": "s3://b/in.csv"}],
                    "outlets": [{"type": "Table", "database": "dw", "name": "t"}],
                    "doc_md": "# Everything\nset",
                    "arguments": {"python_callable": "pkg.fn", "op_kwargs": {"x": 1}, "flag": True},
                },
                {"task_id": "z_last", "upstream": ["everything"]},
                {"task_id": "b_first", "upstream": ["everything"]},
            ],
        },
    )
    response = await client.get("/dags/full_dag/tasks/everything")
    assert response.status_code == 200
    assert response.json() == {
        "task_id": "everything",
        "dag_id": "full_dag",
        "operator": "PythonOperator",
        "owner": "ops",
        "email": "['a@x.com', 'b@x.com']",
        "email_on_failure": "False",
        "email_on_retry": "False",
        "retries": "4",
        "retry_delay": "0:01:30",
        "retry_exponential_backoff": "True",
        "max_retry_delay": "1:00:00",
        "execution_timeout": "1 day, 1:01:01.500000",
        "start_date": "2020-02-03 02:05:06+00:00",
        "end_date": "2021-01-01 00:00:00+00:00",
        "depends_on_past": "True",
        "wait_for_downstream": "True",
        "pool": "etl_pool",
        "pool_slots": "3",
        "queue": "gpu",
        "priority_weight": "7",
        "weight_rule": "absolute",
        "trigger_rule": "one_failed",
        "params": "{'k': 'v', 'n': 1}",
        "inlets": "[{'type': 'File', 'url': 's3://b/in.csv'}]",
        "outlets": "[{'type': 'Table', 'database': 'dw', 'name': 't'}]",
        "doc_md": "# Everything\nset",
        "upstream_task_ids": "{'first'}",
        "downstream_task_ids": "{'b_first', 'z_last'}",
        "python_callable": "pkg.fn",
        "op_kwargs": "{'x': 1}",
        "flag": "True",
    }


async def test_task_info_inherits_default_args_and_own_values_win(client: httpx.AsyncClient) -> None:
    await put_dag(
        client,
        {
            "dag_id": "inherit_dag",
            "default_args": {
                "owner": "ops",
                "email": "team@x.com",
                "retries": 1,
                "retry_delay": "0:10:00",
                "queue": "q1",
                "trigger_rule": "all_done",
                "params": {"env": "prod"},
                "start_date": "2020-01-01T00:00:00Z",
                "doc_md": "shared doc",
            },
            "tasks": [
                {"task_id": "inherits"},
                {"task_id": "overrides", "owner": "me", "email": None, "retries": 0, "params": {}},
            ],
        },
    )
    inherits = await client.get("/dags/inherit_dag/tasks/inherits")
    overrides = await client.get("/dags/inherit_dag/tasks/overrides")
    common = {
        "dag_id": "inherit_dag",
        "operator": "EmptyOperator",
        "retry_delay": "0:10:00",
        "queue": "q1",
        "trigger_rule": "all_done",
        "start_date": "2020-01-01 00:00:00+00:00",
        "doc_md": "shared doc",
    }
    assert inherits.json() == bash_task(
        "inherits", **common, owner="ops", email="team@x.com", retries="1", params="{'env': 'prod'}"
    )
    assert overrides.json() == bash_task(
        "overrides", **common, owner="me", email="None", retries="0", params="{}"
    )


# -- GET /dags/{dag_id}/dag_runs/{execution_date}/tasks/{task_id} ------------------------------------


@pytest.mark.usefixtures("example_run")
@pytest.mark.parametrize("task_id", ["extract", "transform", "load"])
async def test_task_instance_fresh_whole_body(client: httpx.AsyncClient, task_id: str) -> None:
    response = await client.get(ti_path(task_id))
    assert response.status_code == 200
    assert response.json() == fresh_ti(task_id)


async def test_task_instance_priority_weight_follows_weight_rule(client: httpx.AsyncClient) -> None:
    await put_dag(
        client,
        {
            "dag_id": "weights",
            "start_date": "2016-01-01T00:00:00+00:00",
            "tasks": [
                {"task_id": "a", "priority_weight": 2, "weight_rule": "upstream"},
                {"task_id": "b", "upstream": ["a"], "priority_weight": 3, "weight_rule": "upstream"},
                {"task_id": "c", "upstream": ["b"], "priority_weight": 11, "weight_rule": "absolute"},
                {"task_id": "d", "upstream": ["b"], "priority_weight": 7},
            ],
        },
    )
    await trigger(client, "weights")
    weights = {}
    for task_id in "abcd":
        response = await client.get(ti_path(task_id, dag_id="weights"))
        weights[task_id] = response.json()["priority_weight"]
    assert weights == {"a": "2", "b": "5", "c": "11", "d": "7"}


# -- PATCH /dags/{dag_id}/dag_runs/{execution_date}/tasks/{task_id} ------------------------------


@pytest.mark.usefixtures("example_run")
async def test_patch_running_starts_the_attempt_and_the_queued_run(
    client: httpx.AsyncClient, clean_db: AsyncEngine
) -> None:
    assert await run_state(client) == "queued"
    response = await patch_ti(
        client, "extract", {"state": "running", "hostname": "worker-1", "pid": 4242, "unixname": "airflow"}
    )
    expected = fresh_ti(
        "extract",
        state="running",
        try_number="1",
        start_date=NOW,
        hostname="worker-1",
        pid="4242",
        unixname="airflow",
    )
    assert response.status_code == 200
    assert response.json() == expected
    assert (await client.get(ti_path("extract"))).json() == expected
    assert await run_state(client) == "running"
    assert await stored_run(clean_db) == {"state": "running", "start_date": NOW_ISO, "end_date": None}


@pytest.mark.usefixtures("example_run")
async def test_patch_running_keeps_the_start_date_of_a_running_run(
    client: httpx.AsyncClient, clean_db: AsyncEngine, clock: FakeClock
) -> None:
    await set_state(client, "extract", "running")
    clock.advance(30)
    await set_state(client, "transform", "running")
    assert await stored_run(clean_db) == {"state": "running", "start_date": NOW_ISO, "end_date": None}


@pytest.mark.usefixtures("example_run")
async def test_patch_null_state_is_accepted(client: httpx.AsyncClient, clock: FakeClock) -> None:
    await set_state(client, "transform", "scheduled")
    clock.advance(1)
    body = await set_state(client, "transform", None)
    assert body == fresh_ti("transform", updated_at="2026-11-24 02:49:30.097350+00:00")


@pytest.mark.usefixtures("example_run")
async def test_patch_all_success_finishes_the_run(
    client: httpx.AsyncClient, clean_db: AsyncEngine, clock: FakeClock
) -> None:
    for task_id in ("extract", "transform"):
        await set_state(client, task_id, "running")
        await set_state(client, task_id, "success")
    assert await run_state(client) == "running"
    clock.advance(10)
    await set_state(client, "load", "success")
    assert await run_state(client) == "success"
    assert await stored_run(clean_db) == {
        "state": "success",
        "start_date": NOW_ISO,
        "end_date": "2026-11-24T02:49:39.097350+00:00",
    }


@pytest.mark.usefixtures("example_run")
@pytest.mark.parametrize("bad_state", ["failed", "upstream_failed"])
async def test_patch_any_failure_fails_the_finished_run(
    client: httpx.AsyncClient, clean_db: AsyncEngine, clock: FakeClock, bad_state: str
) -> None:
    await set_state(client, "extract", "running")
    await set_state(client, "extract", "success")
    await set_state(client, "transform", "skipped")
    assert await run_state(client) == "running"
    clock.advance(3)
    await set_state(client, "load", bad_state)
    assert await run_state(client) == "failed"
    assert await stored_run(clean_db) == {
        "state": "failed",
        "start_date": NOW_ISO,
        "end_date": "2026-11-24T02:49:32.097350+00:00",
    }


@pytest.mark.usefixtures("example_run")
async def test_patch_running_after_the_run_finished_reopens_it(
    client: httpx.AsyncClient, clean_db: AsyncEngine, clock: FakeClock
) -> None:
    for task_id in ("extract", "transform", "load"):
        await set_state(client, task_id, "running")
        await set_state(client, task_id, "success")
    assert await run_state(client) == "success"
    clock.advance(60)
    body = await set_state(client, "load", "running")
    later = "2026-11-24 02:50:29.097350+00:00"
    assert body == fresh_ti("load", state="running", try_number="2", start_date=later, updated_at=later)
    assert await run_state(client) == "running"
    assert await stored_run(clean_db) == {"state": "running", "start_date": NOW_ISO, "end_date": None}


@pytest.mark.usefixtures("example_run")
@pytest.mark.parametrize("finished", ["success", "failed"])
@pytest.mark.parametrize("unfinished", ["queued", "up_for_retry", None])
async def test_patch_any_unfinished_state_reopens_a_finished_run(
    client: httpx.AsyncClient, clean_db: AsyncEngine, finished: str, unfinished: str | None
) -> None:
    """A report of an unfinished state (without counting the run's task instances: the one just
    reported is unfinished) moves a finished run back to running, whatever that state is."""
    for task_id in ("extract", "transform", "load"):
        await set_state(client, task_id, finished)
    assert await run_state(client) == finished
    await set_state(client, "transform", unfinished)
    assert await run_state(client) == "running"
    assert (await stored_run(clean_db))["end_date"] is None
    await set_state(client, "transform", finished)
    assert await run_state(client) == finished


@pytest.mark.usefixtures("example_run")
@pytest.mark.parametrize("state", ["bogus", "SUCCESS", "", 3, ["running"]])
async def test_patch_invalid_state(client: httpx.AsyncClient, state: object) -> None:
    message = f"Invalid state {state!r}; expected one of: {ALL_TI_STATES}"
    response = await patch_ti(client, "extract", {"state": state})
    assert_error(response, 400, message, [{"loc": "body.state", "msg": message}])
    assert (await client.get(ti_path("extract"))).json() == fresh_ti("extract")


@pytest.mark.usefixtures("example_run")
async def test_patch_missing_state(client: httpx.AsyncClient) -> None:
    response = await patch_ti(client, "extract", {"hostname": "w"})
    message = "Missing required field 'state'"
    assert_error(response, 400, message, [{"loc": "body.state", "msg": message}])


@pytest.mark.usefixtures("example_run")
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pid", "x", "pid must be an integer, got 'x'"),
        ("pid", True, "pid must be an integer, got True"),
        ("pid", 1.5, "pid must be an integer, got 1.5"),
        ("hostname", 5, "hostname must be a string, got 5"),
        ("unixname", ["root"], "unixname must be a string, got ['root']"),
    ],
)
async def test_patch_wrong_types(client: httpx.AsyncClient, field: str, value: object, message: str) -> None:
    response = await patch_ti(client, "extract", {"state": "running", field: value})
    assert_error(response, 400, message, [{"loc": f"body.{field}", "msg": message}])
    assert (await client.get(ti_path("extract"))).json() == fresh_ti("extract")


@pytest.mark.usefixtures("example_run")
@pytest.mark.parametrize(
    ("raw", "message"),
    [(b"not json", "Request body is not valid JSON"), (b"[1]", "Request body must be a JSON object")],
)
async def test_patch_body_not_a_json_object(client: httpx.AsyncClient, raw: bytes, message: str) -> None:
    assert_error(await client.patch(ti_path("extract"), content=raw), 400, message)


@pytest.mark.usefixtures("example_run")
async def test_patch_unknown_extra_keys_are_ignored(client: httpx.AsyncClient) -> None:
    response = await patch_ti(client, "extract", {"state": "scheduled", "job_id": 7, "whatever": True})
    assert response.status_code == 200
    assert response.json() == fresh_ti("extract", state="scheduled")


@pytest.mark.usefixtures("example_run")
async def test_patch_bad_date(client: httpx.AsyncClient) -> None:
    assert_error(
        await patch_ti(client, "extract", {"state": "running"}, dag_id="no_such_dag", date="2016-13-01"),
        400,
        "Given execution date, 2016-13-01, could not be identified as a date. "
        "Example date format: 2015-11-16T14:34:15+00:00",
    )


@pytest.mark.usefixtures("example_run")
async def test_concurrent_patches_of_one_run_all_land(
    client: httpx.AsyncClient, clean_db: AsyncEngine, clock: FakeClock
) -> None:
    tasks = ("extract", "transform", "load")
    running = await asyncio.gather(*(patch_ti(client, t, {"state": "running"}) for t in tasks))
    assert [r.status_code for r in running] == [200, 200, 200]
    clock.advance(4)
    done = await asyncio.gather(*(patch_ti(client, t, {"state": "success"}) for t in tasks))
    assert [r.status_code for r in done] == [200, 200, 200]
    end = "2026-11-24 02:49:33.097350+00:00"
    for task_id in tasks:
        assert (await client.get(ti_path(task_id))).json() == fresh_ti(
            task_id,
            state="success",
            try_number="1",
            start_date=NOW,
            end_date=end,
            duration="4.0",
            updated_at=end,
        )
    assert await run_state(client) == "success"
    assert await stored_run(clean_db) == {
        "state": "success",
        "start_date": NOW_ISO,
        "end_date": "2026-11-24T02:49:33.097350+00:00",
    }
    listed = (await client.get("/dags/example_bash/dag_runs", params={"state": "success"})).json()
    assert [run["run_id"] for run in listed] == [RUN_ID]


@pytest.mark.usefixtures("example_run")
async def test_concurrent_running_reports_of_one_task_instance_both_count(client: httpx.AsyncClient) -> None:
    responses = await asyncio.gather(*(set_state(client, "extract", "running") for _ in range(4)))
    assert sorted(r["try_number"] for r in responses) == ["1", "2", "3", "4"]
    assert (await client.get(ti_path("extract"))).json()["try_number"] == "4"

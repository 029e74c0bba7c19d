"""v1's task instances, XCom, logs, clearing and state updates (docs/api-v1.md, "Task instances, XCom,
logs, clearing and state updates"), beyond what the replay of the recording pins down.

Against the real Airflow 3.3.2 of the ``v1_airflow`` fixture: reads of the recording's finished runs
that no exchange changes (example_bash's ``extract``, xcom_dag's XComs), and writes on runs these
tests make and delete again. Against the local stand-in (tests/airflow_standin.py) for what a real
Airflow without a scheduler cannot show: a failed task's traceback in its log, the calls a page costs.
"""

from __future__ import annotations

import ast
import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from app.config import Settings
from app.main import create_app
from tests.airflow_deployment import AirflowDeployment
from tests.airflow_standin import StandIn
from tests.v1_fixtures import ADMIN, DOCS, ROUTE_NOT_FOUND, VIEWER, dagport, database_fixture

TOKEN = "v1-task-instances-token-01"
RUN = "manual__2016-11-16T00:00:00+00:00"
RUN_PATH = "manual__2016-11-16T00%3A00%3A00%2B00%3A00"
EXTRACT = f"/api/v1/dags/example_bash/dagRuns/{RUN_PATH}/taskInstances/extract"
PUSH = f"/api/v1/dags/xcom_dag/dagRuns/{RUN_PATH}/taskInstances/push"
ROUTE_404 = {
    "detail": ROUTE_NOT_FOUND,
    "status": 404,
    "title": "Not Found",
    "type": "about:blank",
}
TI_KEYS = {
    "dag_id", "dag_run_id", "duration", "end_date", "execution_date", "executor", "executor_config", "hostname",
    "map_index", "max_tries", "note", "operator", "pid", "pool", "pool_slots", "priority_weight", "queue",
    "queued_when", "rendered_fields", "rendered_map_index", "sla_miss", "start_date", "state",
    "task_display_name", "task_id", "trigger", "triggerer_job", "try_number", "unixname",
}  # fmt: skip
TRY_KEYS = TI_KEYS - {
    "execution_date", "note", "rendered_fields", "rendered_map_index", "sla_miss", "trigger", "triggerer_job",
}  # fmt: skip


def problem(status: int, title: str, detail: str | None) -> dict[str, Any]:
    anchors = {400: "BadRequest", 403: "PermissionDenied", 404: "NotFound", 502: "Unknown"}
    return {"detail": detail, "status": status, "title": title, "type": DOCS + anchors[status]}


JSON = {"Accept": "application/json"}  # httpx asks for */* by default, which v1 answered in plain text


database_url = database_fixture("v1-tis")


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """``app`` served by uvicorn on a free loopback port, in a thread of its own: its base URL (as
    tests/test_docs_browser.py serves it)."""
    import threading

    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(1000):
            if server.started or not thread.is_alive():
                break
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)
        sock.close()


@pytest.fixture
async def v1(v1_airflow: AirflowDeployment, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """dagport in passthrough mode: the caller's Basic credentials go to Airflow."""
    async with dagport(database_url, v1_airflow.url) as client:
        yield client


@pytest.fixture
async def service(v1_airflow: AirflowDeployment, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """dagport in service mode: its own token from the caller, Airflow's admin account behind."""
    async with dagport(
        database_url,
        v1_airflow.url,
        airflow_auth="service",
        api_tokens=TOKEN,
        airflow_username="admin",
        airflow_password="admin",
    ) as client:
        yield client


@pytest.fixture
async def own_run(v1_airflow: AirflowDeployment) -> AsyncIterator[tuple[str, str]]:
    """A queued run of example_bash of this test's own (its task instances without a state), at a
    logical date of its own; deleted afterwards, so the replay never sees it."""
    run_id = f"tis_test_{uuid.uuid4().hex[:10]}"
    day = 1 + uuid.uuid4().int % 28
    logical_date = f"2030-02-{day:02d}T00:00:00+00:00"
    created = await v1_airflow.api(
        "POST", "/dags/example_bash/dagRuns", json={"dag_run_id": run_id, "logical_date": logical_date}
    )
    assert created.status_code == 200, created.text
    try:
        yield run_id, logical_date
    finally:
        deleted = await v1_airflow.api("DELETE", f"/dags/example_bash/dagRuns/{run_id}")
        assert deleted.status_code == 204, deleted.text


async def v2_state(airflow: AirflowDeployment, run_id: str, task_id: str) -> str | None:
    answer = await airflow.api("GET", f"/dags/example_bash/dagRuns/{run_id}/taskInstances/{task_id}")
    assert answer.status_code == 200, answer.text
    state: str | None = answer.json()["state"]
    return state


# -- reads ------------------------------------------------------------------------------------------


async def test_a_finished_task_instance_has_v1_s_fields_and_values(v1: httpx.AsyncClient) -> None:
    answer = await v1.get(EXTRACT, headers=ADMIN)
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert set(body) == TI_KEYS
    assert answer.text == json.dumps(body, indent=2, sort_keys=True) + "\n"
    assert {
        k: body[k] for k in TI_KEYS - {"start_date", "end_date", "duration", "pid", "hostname", "unixname"}
    } == {
        "dag_id": "example_bash",
        "dag_run_id": RUN,
        "execution_date": "2016-11-16T00:00:00+00:00",
        "executor": None,
        "executor_config": "{}",
        "map_index": -1,
        "max_tries": 2,
        "note": None,
        "operator": "BashOperator",
        "pool": "etl_pool",
        "pool_slots": 1,
        "priority_weight": 3,
        "queue": "default",
        "queued_when": None,
        "rendered_fields": {"bash_command": "echo extract 2016-11-16", "cwd": None, "env": None},
        "rendered_map_index": None,
        "sla_miss": None,
        "state": "success",
        "task_display_name": "extract",
        "task_id": "extract",
        "trigger": None,
        "triggerer_job": None,
        "try_number": 1,
    }
    assert body["start_date"].endswith("+00:00") and isinstance(body["duration"], float)


async def test_service_mode_answers_with_dagport_s_token(service: httpx.AsyncClient) -> None:
    refused = await service.get(EXTRACT)
    assert (refused.status_code, refused.json()) == (403, problem(403, "Forbidden", None))
    answer = await service.get(EXTRACT, headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert (answer.json()["task_id"], answer.json()["state"]) == ("extract", "success")
    xcom = await service.get(PUSH + "/xcomEntries/custom_key", headers={"Authorization": f"Bearer {TOKEN}"})
    assert (xcom.status_code, xcom.json()["value"]) == (200, "hello")


async def test_the_list_filters_pages_and_orders_through_airflow(v1: httpx.AsyncClient) -> None:
    base = f"/api/v1/dags/example_bash/dagRuns/{RUN_PATH}/taskInstances"
    pooled = (
        await v1.get(base + "?pool=etl_pool,default_pool&state=success,failed,none", headers=ADMIN)
    ).json()
    assert {ti["task_id"] for ti in pooled["task_instances"]} <= {"extract", "transform", "load"}
    assert "extract" in {ti["task_id"] for ti in pooled["task_instances"]}
    ordered = (await v1.get(base + "?order_by=-priority_weight", headers=ADMIN)).json()
    assert ordered == problem(
        400,
        "Bad Request",
        "Ordering with 'priority_weight' is disallowed or the attribute does not exist on the model",
    )
    by_try = (await v1.get(base + "?order_by=-execution_date&limit=2&offset=1", headers=ADMIN)).json()
    assert (len(by_try["task_instances"]), by_try["total_entries"]) == (2, 3)
    longest = (await v1.get(base + "?duration_gte=0&duration_lte=100000&state=success", headers=ADMIN)).json()
    assert "extract" in {ti["task_id"] for ti in longest["task_instances"]}
    assert (await v1.get(base + "?duration_gte=abc", headers=ADMIN)).json() == problem(
        400, "Bad Request", "Wrong type, expected 'number' for query parameter 'duration_gte'"
    )
    assert (await v1.get(base + "?limit=-1", headers=ADMIN)).json() == problem(
        400, "Page limit must be a positive integer", None
    )
    unknown_state = await v1.get(base + "?state=success&state=bogus", headers=ADMIN)
    assert unknown_state.status_code == 400
    assert unknown_state.json()["detail"].startswith("'bogus' is not one of ['success', 'running', ")
    # A DAG or run that does not exist has no task instances, as in Airflow 2.11 (Airflow 3: 404).
    for path in (
        "/api/v1/dags/no_such_dag/dagRuns/~/taskInstances",
        "/api/v1/dags/example_bash/dagRuns/nope/taskInstances",
    ):
        answer = await v1.get(path, headers=ADMIN)
        assert (answer.status_code, answer.json()) == (200, {"task_instances": [], "total_entries": 0})


async def test_every_dag_with_a_named_run_is_read_through_the_batch_list(v1: httpx.AsyncClient) -> None:
    """Airflow 3 needs the DAG of a named run; v1 did not (``/dags/~/dagRuns/{run}/taskInstances``)."""
    answer = (
        await v1.get(f"/api/v1/dags/~/dagRuns/{RUN_PATH}/taskInstances?state=success", headers=ADMIN)
    ).json()
    found = {(ti["dag_id"], ti["task_id"]) for ti in answer["task_instances"]}
    assert {("example_bash", "extract"), ("xcom_dag", "push"), ("xcom_dag", "pull")} <= found
    assert answer["total_entries"] == len(found)
    refused = await v1.get(
        f"/api/v1/dags/~/dagRuns/{RUN_PATH}/taskInstances?updated_at_gte=2016-01-01T00%3A00%3A00Z",
        headers=ADMIN,
    )
    assert refused.json() == problem(
        400,
        "Bad Request",
        "updated_at_gte and updated_at_lte need a DAG id with a named run: Airflow 3 lists a run's task "
        "instances across DAGs only through its batch list, which cannot filter by update time",
    )


async def test_the_batch_list_reads_v1_s_body(v1: httpx.AsyncClient) -> None:
    url = "/api/v1/dags/~/dagRuns/~/taskInstances/list"
    answer = await v1.post(
        url,
        headers=ADMIN,
        json={"dag_ids": ["xcom_dag"], "task_ids": ["push"], "execution_date_gte": "2016-11-16T00:00:00Z"},
    )
    assert answer.status_code == 200
    assert [
        (ti["dag_id"], ti["task_id"], ti["execution_date"]) for ti in answer.json()["task_instances"]
    ] == [("xcom_dag", "push", "2016-11-16T00:00:00+00:00")]
    for body, detail in (
        ({"page_limit": 0}, "0 is less than the minimum of 1 - 'page_limit'"),
        ({"state": ["bogus"]}, "'bogus' is not one of [None, 'success', 'running', 'failed', 'upstream_failed', "
         "'skipped', 'up_for_retry', 'up_for_reschedule', 'queued', 'none', 'scheduled', 'deferred', 'removed', "
         "'restarting'] - 'state.0'"),
        ({"execution_date_gte": "2016-11-16T00:00:00"}, "'2016-11-16T00:00:00' is not a 'date-time' - 'execution_date_gte'"),
        ({"dag_ids": "xcom_dag", "foo": 1}, "'xcom_dag' is not of type 'array' - 'dag_ids'"),
        ({"dag_ids": ["xcom_dag"], "foo": 1}, "{'foo': ['Unknown field.']}"),
    ):  # fmt: skip
        refused = await v1.post(url, headers=ADMIN, json=body)
        assert refused.json() == problem(400, "Bad Request", detail), body
    assert (
        await v1.post(
            url,
            headers=ADMIN,
            content=b"{}",
        )
    ).status_code == 415


async def test_one_task_instance_s_errors_and_forms(v1: httpx.AsyncClient) -> None:
    mapped = await v1.get(EXTRACT + "/0", headers=ADMIN)
    assert mapped.json() == problem(404, "Task instance not found", None)
    for path in (EXTRACT + "/abc", EXTRACT + "/-1", EXTRACT + "/tries/abc", EXTRACT + "/logs/one"):
        answer = await v1.get(path, headers=ADMIN)
        assert (answer.status_code, answer.json()) == (404, ROUTE_404), path
    tries = (await v1.get(EXTRACT + "/tries?limit=5&order_by=x", headers=ADMIN)).json()
    assert [(t["try_number"], t["state"]) for t in tries["task_instances"]] == [(1, "success")]
    assert set(tries["task_instances"][0]) == TRY_KEYS and tries["total_entries"] == 1
    unknown = await v1.get(EXTRACT.replace("extract", "no_such_task") + "/tries", headers=ADMIN)
    assert unknown.json() == {"task_instances": [], "total_entries": 0}  # Airflow 2.11 had no 404 here
    assert (await v1.get(EXTRACT + "/tries/1", headers=ADMIN)).json()["try_number"] == 1
    assert (await v1.get(EXTRACT + "/dependencies", headers=ADMIN)).json() == {"dependencies": []}
    assert (
        await v1.get(EXTRACT.replace("extract", "nope") + "/dependencies", headers=ADMIN)
    ).json() == problem(
        404, f"Task Instance not found for dag_id=example_bash, run_id={RUN}, task_id=nope", None
    )


async def test_links_answer_airflow_2_11_s_object_and_its_404s(v1: httpx.AsyncClient) -> None:
    assert (await v1.get(EXTRACT + "/links", headers=ADMIN)).json() == {}
    cases = (
        (
            EXTRACT.replace("example_bash", "no_such_dag"),
            "DAG not found",
            'DAG with ID = "no_such_dag" not found',
        ),
        (
            EXTRACT.replace("extract", "no_such_task"),
            "Task not found",
            'Task with ID = "no_such_task" not found',
        ),
        (
            EXTRACT.replace(RUN_PATH, "no_such_run"),
            "DAG Run not found",
            'DAG Run with ID = "no_such_run" not found',
        ),
    )
    for path, title, detail in cases:
        assert (await v1.get(path + "/links", headers=ADMIN)).json() == problem(404, title, detail)


async def test_list_mapped_answers_airflow_2_11_s_404s_and_orders(v1: httpx.AsyncClient) -> None:
    assert (await v1.get(EXTRACT + "/listMapped", headers=ADMIN)).json() == problem(
        404, "Task id extract is not mapped", None
    )
    assert (
        await v1.get(EXTRACT.replace("example_bash", "nope") + "/listMapped", headers=ADMIN)
    ).json() == problem(404, "DAG nope not found", None)
    assert (await v1.get(EXTRACT + "/listMapped?order_by=map_index", headers=ADMIN)).json() == problem(
        400, "Bad Request", "Ordering with 'map_index' is not supported"
    )


async def test_xcom_values_as_airflow_2_11_wrote_them(v1: httpx.AsyncClient) -> None:
    url = PUSH + "/xcomEntries/return_value"
    stringified = (await v1.get(url, headers=ADMIN)).json()
    assert stringified["value"] == "{'rows': 3, 'items': [1, 2, 3], 'status': 'ok'}"
    assert set(stringified) == {
        "dag_id",
        "execution_date",
        "key",
        "map_index",
        "task_id",
        "timestamp",
        "value",
    }
    # stringify=false gives the JSON with or without deserialize (Airflow 2.11's default XCom storage)
    for query in (
        "?stringify=false",
        "?deserialize=true&stringify=false",
        "?deserialize=false&stringify=false",
    ):
        assert (await v1.get(url + query, headers=ADMIN)).json()["value"] == {
            "items": [1, 2, 3],
            "rows": 3,
            "status": "ok",
        }
    assert (await v1.get(url + "?map_index=-2", headers=ADMIN)).json() == problem(
        404, "XCom entry not found", None
    )
    assert (await v1.get(url + "?stringify=maybe", headers=ADMIN)).json() == problem(
        400, "Bad Request", "Wrong type, expected 'boolean' for query parameter 'stringify'"
    )
    every = (
        await v1.get("/api/v1/dags/xcom_dag/dagRuns/~/taskInstances/~/xcomEntries", headers=ADMIN)
    ).json()
    assert [(e["task_id"], e["key"]) for e in every["xcom_entries"]] == [
        ("pull", "return_value"), ("push", "custom_key"), ("push", "return_value"),
    ]  # fmt: skip
    paged = (
        await v1.get("/api/v1/dags/~/dagRuns/~/taskInstances/~/xcomEntries?limit=2&offset=1", headers=ADMIN)
    ).json()
    assert (len(paged["xcom_entries"]), paged["total_entries"]) == (2, 9)


async def test_logs_as_json_text_and_their_tokens(
    v1: httpx.AsyncClient, v1_airflow: AirflowDeployment
) -> None:
    host = (await v1_airflow.api("GET", f"/dags/example_bash/dagRuns/{RUN}/taskInstances/extract")).json()[
        "hostname"
    ]
    url = EXTRACT + "/logs/1"
    answer = await v1.get(url, headers={**ADMIN, "Accept": "application/json"})
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    [(got_host, text)] = ast.literal_eval(body["content"])
    assert got_host == host
    assert "{subprocess.py:106} INFO - extract 2016-11-16" in text
    assert body["continuation_token"] == "eyJlbmRfb2ZfbG9nIjp0cnVlfQ"  # read to its end
    ended = (await v1.get(url + "?token=eyJlbmRfb2ZfbG9nIjp0cnVlfQ", headers={**ADMIN, **JSON})).json()
    assert ended == {"content": repr([(host, "")]), "continuation_token": "eyJlbmRfb2ZfbG9nIjp0cnVlfQ"}
    for accept in ("text/plain", "*/*", "application/json, text/plain"):
        plain = await v1.get(url, headers={**ADMIN, "Accept": accept})
        assert plain.headers["content-type"].startswith("text/plain"), accept
        assert plain.text == f"{host}\n{text}\n"
        assert plain.headers["cache-control"] == "no-store"
    not_run = (await v1.get(EXTRACT + "/logs/7", headers={**ADMIN, **JSON})).json()
    assert ast.literal_eval(not_run["content"]) == [
        (host, "*** Could not read the log of try 7: this task instance is at try 1")
    ]
    assert (await v1.get(url + "?token=forged", headers=ADMIN)).json() == problem(
        400, "Bad Signature. Please use only the tokens provided by the API.", None
    )
    for path in (
        EXTRACT.replace("extract", "nope") + "/logs/1",
        EXTRACT.replace("example_bash", "nope") + "/logs/1",
    ):
        assert (await v1.get(path, headers=ADMIN)).json() == problem(404, "TaskInstance not found", None)


# -- writes -----------------------------------------------------------------------------------------


async def test_patch_and_note_change_the_task_instance(
    v1: httpx.AsyncClient, v1_airflow: AirflowDeployment, own_run: tuple[str, str]
) -> None:
    run_id, logical_date = own_run
    url = f"/api/v1/dags/example_bash/dagRuns/{run_id}/taskInstances/extract"
    reference = {
        "dag_id": "example_bash",
        "dag_run_id": run_id,
        "execution_date": logical_date,
        "task_id": "extract",
    }
    dry = await v1.patch(url, headers=ADMIN, json={"new_state": "success"})  # dry_run: true by default
    assert (dry.status_code, dry.json()) == (200, reference)
    assert await v2_state(v1_airflow, run_id, "extract") is None
    done = await v1.patch(url, headers=ADMIN, json={"new_state": "success", "dry_run": False})
    assert (done.status_code, done.json()) == (200, reference)
    assert await v2_state(v1_airflow, run_id, "extract") == "success"
    again = await v1.patch(url, headers=ADMIN, json={"new_state": "success", "dry_run": False})
    assert (again.status_code, again.json()) == (200, reference)  # Airflow 3's 409: nothing to change
    viewer = await v1.patch(url, headers=VIEWER, json={"new_state": "failed", "dry_run": False})
    assert (viewer.status_code, viewer.json()) == (403, problem(403, "Forbidden", None))
    assert await v2_state(v1_airflow, run_id, "extract") == "success"
    for body, detail in (
        ({"new_state": "running"}, "'running' is not one of ['success', 'failed', 'skipped'] - 'new_state'"),
        ({"dry_run": True}, "{'new_state': ['Missing data for required field.']}"),
        ({"new_state": "failed", "note": "x"}, "{'note': ['Unknown field.']}"),
    ):
        assert (await v1.patch(url, headers=ADMIN, json=body)).json() == problem(400, "Bad Request", detail)
    missing = await v1.patch(url.replace("extract", "nope"), headers=ADMIN, json={"new_state": "failed"})
    assert missing.json() == problem(404, "Task not found", "Task 'nope' not found in DAG 'example_bash'")
    no_run = await v1.patch(url.replace(run_id, "no_such_run"), headers=ADMIN, json={"new_state": "failed"})
    assert no_run.json() == problem(
        404, "Not Found", "Task instance not found for task 'extract' on DAG run with ID 'no_such_run'"
    )

    noted = await v1.patch(url + "/setNote", headers=ADMIN, json={"note": "checked"})
    assert noted.status_code == 200
    assert (noted.json()["note"], noted.json()["state"], set(noted.json())) == ("checked", "success", TI_KEYS)
    assert (await v1.patch(url + "/setNote", headers=ADMIN, json={})).json() == problem(
        400, "Bad Request", "'note' is a required property"
    )
    assert (await v1.patch(url + "/setNote", headers=ADMIN, json={"note": "x" * 1001})).json() == problem(
        400, "Bad Request", "{'note': ['Longer than maximum length 1000.']}"
    )
    assert (
        await v1.patch(url.replace(run_id, "nope") + "/setNote", headers=ADMIN, json={"note": "x"})
    ).json() == (
        problem(404, "Task Instance not found for dag_id=example_bash, run_id=nope, task_id=extract", None)
    )


async def test_update_state_by_execution_date_with_its_relatives(
    v1: httpx.AsyncClient, v1_airflow: AirflowDeployment, own_run: tuple[str, str]
) -> None:
    run_id, logical_date = own_run
    url = "/api/v1/dags/example_bash/updateTaskInstancesState"
    change = {
        "task_id": "transform", "execution_date": logical_date, "new_state": "success", "include_upstream": False,
        "include_downstream": True, "include_future": False, "include_past": False, "dry_run": False,
    }  # fmt: skip
    planned = await v1.post(url, headers=ADMIN, json={**change, "dry_run": True})
    assert await v2_state(v1_airflow, run_id, "transform") is None
    answer = await v1.post(url, headers=ADMIN, json=change)
    assert answer.status_code == 200
    expected = [
        {"dag_id": "example_bash", "dag_run_id": run_id, "execution_date": logical_date, "task_id": task}
        for task in ("load", "transform")
    ]
    assert sorted(answer.json()["task_instances"], key=lambda ti: ti["task_id"]) == expected
    assert sorted(planned.json()["task_instances"], key=lambda ti: ti["task_id"]) == expected
    states = [await v2_state(v1_airflow, run_id, t) for t in ("extract", "transform", "load")]
    assert states == [None, "success", "success"]
    unchanged = await v1.post(url, headers=ADMIN, json=change)
    assert unchanged.json() == {"task_instances": []}  # both already succeeded
    no_run = await v1.post(url, headers=ADMIN, json={**change, "execution_date": "2031-01-01T00:00:00Z"})
    assert no_run.json() == problem(
        404,
        "Not Found",
        "Task instance not found for task 'transform' on execution_date 2031-01-01 00:00:00+00:00",
    )
    null_date = await v1.post(
        url, headers=ADMIN, json={**change, "execution_date": None, "dag_run_id": run_id, "task_id": "x"}
    )
    assert null_date.json() == problem(400, "Bad Request", "None is not of type 'string' - 'execution_date'")
    no_task = await v1.post(url, headers=ADMIN, json={**change, "task_id": "nope"})
    assert no_task.json() == problem(404, "Task ID nope not found", None)
    no_dag = await v1.post(url.replace("example_bash", "nope"), headers=ADMIN, json=change)
    assert no_dag.json() == problem(404, "Dag ID nope not found", None)
    naive = await v1.post(url, headers=ADMIN, json={**change, "execution_date": "2030-02-01T00:00:00"})
    assert naive.json() == problem(400, "Invalid datetime format", "Naive datetime is disallowed")
    both = await v1.post(url, headers=ADMIN, json={**change, "dag_run_id": run_id})
    assert both.json() == problem(
        400, "Bad Request", "{'_schema': ['Exactly one of execution_date or dag_run_id must be provided']}"
    )
    viewer = await v1.post(url, headers=VIEWER, json={**change, "new_state": "failed"})
    assert (viewer.status_code, viewer.json()) == (403, problem(403, "Forbidden", None))


async def test_clear_sends_v1_s_defaults_and_leaves_the_run_s_state(
    v1: httpx.AsyncClient, v1_airflow: AirflowDeployment, own_run: tuple[str, str]
) -> None:
    run_id, logical_date = own_run
    ran = await v1_airflow.api("PATCH", f"/dags/example_bash/dagRuns/{run_id}", json={"state": "success"})
    assert ran.status_code == 200, ran.text
    failed = await v1_airflow.api(
        "PATCH", f"/dags/example_bash/dagRuns/{run_id}/taskInstances/transform", json={"new_state": "failed"}
    )
    assert failed.status_code == 200, failed.text
    # Airflow 3 skips what had not run when a run is set to success.
    assert [await v2_state(v1_airflow, run_id, t) for t in ("extract", "transform", "load")] == [
        "skipped", "failed", "skipped",
    ]  # fmt: skip
    url = "/api/v1/dags/example_bash/clearTaskInstances"
    planned = await v1.post(url, headers=ADMIN, json={"dag_run_id": run_id})  # a dry run of failed ones
    expected = {"task_instances": [
        {"dag_id": "example_bash", "dag_run_id": run_id, "execution_date": logical_date, "task_id": "transform"}
    ]}  # fmt: skip
    assert (planned.status_code, planned.json()) == (200, expected)
    assert await v2_state(v1_airflow, run_id, "transform") == "failed"
    cleared = await v1.post(url, headers=ADMIN, json={"dag_run_id": run_id, "dry_run": False})
    assert (cleared.status_code, cleared.json()) == (200, expected)
    assert await v2_state(v1_airflow, run_id, "transform") is None
    assert await v2_state(v1_airflow, run_id, "extract") == "skipped"
    run = await v1_airflow.api("GET", f"/dags/example_bash/dagRuns/{run_id}")
    assert run.json()["state"] == "success"  # reset_dag_runs: false, v1's default (Airflow 3's is true)
    everything = await v1.post(url, headers=ADMIN, json={"dag_run_id": run_id, "only_failed": False})
    assert sorted(t["task_id"] for t in everything.json()["task_instances"]) == [
        "extract",
        "load",
        "transform",
    ]
    for body, title, detail in (
        ({"dag_run_id": "no_such_run"}, "Dag Run id no_such_run not found in dag example_bash", None),
        ({"dry_run": "yes"}, "Bad Request", "'yes' is not of type 'boolean' - 'dry_run'"),
        ({"task_ids": []}, "Bad Request", "[] should be non-empty - 'task_ids'"),
        ({"only_running": True}, "Bad Request", "{'_schema': ['only_failed and only_running both are set to True']}"),
        ({"end_date": logical_date, "dag_run_id": run_id}, "Bad Request",
         "{'_schema': ['Exactly one of dag_run_id or end_date must be provided']}"),
        ({"start_date": "soon"}, "Bad Request", "{'start_date': ['Not a valid datetime.']}"),
    ):  # fmt: skip
        status = 404 if title.startswith("Dag Run") else 400
        assert (await v1.post(url, headers=ADMIN, json=body)).json() == problem(status, title, detail), body
    no_dag = await v1.post(url.replace("example_bash", "nope"), headers=ADMIN, json={})
    assert no_dag.json() == problem(404, "Dag id nope not found", None)
    viewer = await v1.post(
        url, headers=VIEWER, json={"dag_run_id": run_id, "dry_run": False, "only_failed": False}
    )
    assert viewer.status_code == 403
    assert await v2_state(v1_airflow, run_id, "extract") == "skipped"


async def test_the_v1_openapi_document_lists_these_operations(v1: httpx.AsyncClient) -> None:
    document = (await v1.get("/api/v1/openapi.json")).json()
    paths = document["paths"]
    assert paths["/dags/{dag_id}/clearTaskInstances"]["post"]["tags"] == ["DAG"]
    assert paths["/dags/{dag_id}/updateTaskInstancesState"]["post"]["tags"] == ["DAG"]
    one = paths["/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}"]
    assert (one["get"]["tags"], one["get"]["summary"]) == (["TaskInstance"], "Get a task instance")
    assert one["patch"]["requestBody"]["content"]["application/json"]["schema"]["required"] == ["new_state"]
    xcom = paths["/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries/{xcom_key}"]["get"]
    assert [p["name"] for p in xcom["parameters"] if p["in"] == "query"] == [
        "map_index",
        "deserialize",
        "stringify",
    ]
    assert "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{task_try_number}" in paths


async def test_airflow_s_own_v1_client_reads_them_into_its_typed_models(
    v1_airflow: AirflowDeployment, database_url: str
) -> None:
    """apache-airflow-client 2.x (it checks every answer against its models) through a real socket."""
    import airflow_client.client as v1_client
    from airflow_client.client.api import dag_api, task_instance_api, x_com_api
    from airflow_client.client.model.clear_task_instances import ClearTaskInstances
    from airflow_client.client.model.list_task_instance_form import ListTaskInstanceForm
    from airflow_client.client.model.update_task_instance import UpdateTaskInstance
    from airflow_client.client.model.update_task_instances_state import UpdateTaskInstancesState
    from airflow_client.client.model.update_task_state import UpdateTaskState

    settings = Settings(
        database_url=database_url, backend="airflow", airflow_url=v1_airflow.url, airflow_auth="passthrough"
    )
    async with serving(create_app(settings)) as url:
        configuration = v1_client.Configuration(host=url + "/api/v1", username="admin", password="admin")

        def calls() -> list[Any]:
            with v1_client.ApiClient(configuration) as client:
                tis, xcoms, dags = (
                    task_instance_api.TaskInstanceApi(client), x_com_api.XComApi(client), dag_api.DAGApi(client),
                )  # fmt: skip
                dry = UpdateTaskInstance(dry_run=True, new_state=UpdateTaskState("success"))
                change = UpdateTaskInstancesState(
                    dry_run=True, task_id="extract", dag_run_id=RUN, new_state=UpdateTaskState("success"),
                    include_upstream=False, include_downstream=True, include_future=False, include_past=False,
                )  # fmt: skip
                return [
                    tis.get_task_instance("example_bash", RUN, "extract"),
                    tis.get_task_instances("example_bash", "~", state=["success"], limit=1),
                    tis.get_task_instances_batch(
                        ListTaskInstanceForm(dag_ids=["xcom_dag"], task_ids=["push"])
                    ),
                    tis.get_task_instance_tries("example_bash", RUN, "extract"),
                    tis.get_task_instance_try_details("example_bash", RUN, "extract", 1),
                    tis.get_task_instance_dependencies("example_bash", RUN, "extract"),
                    tis.get_log("example_bash", RUN, "extract", 1),
                    tis.patch_task_instance("example_bash", RUN, "extract", dry),
                    xcoms.get_xcom_entries("xcom_dag", RUN, "push"),
                    xcoms.get_xcom_entry(
                        "xcom_dag", RUN, "push", "return_value", deserialize=True, stringify=False
                    ),
                    dags.post_clear_task_instances(
                        "example_bash", ClearTaskInstances(dag_run_id=RUN, only_failed=False)
                    ),
                    dags.post_set_task_instances_state("example_bash", change),
                ]

        (
            one,
            listed,
            batch,
            tries,
            first,
            deps,
            log,
            patched,
            entries,
            entry,
            cleared,
            planned,
        ) = await asyncio.to_thread(calls)
    assert (one.task_id, one.state.value, one.execution_date, one.sla_miss) == (
        "extract", "success", "2016-11-16T00:00:00+00:00", None,
    )  # fmt: skip
    assert (len(listed.task_instances), batch.task_instances[0].task_id) == (1, "push")
    assert (tries.total_entries, first.try_number, deps.dependencies) == (1, 1, [])
    assert log.continuation_token == "eyJlbmRfb2ZfbG9nIjp0cnVlfQ" and "extract 2016-11-16" in log.content
    assert (patched.task_id, patched.execution_date) == ("extract", "2016-11-16T00:00:00+00:00")
    assert [e.key for e in entries.xcom_entries] == ["custom_key", "return_value"]
    assert entry.value == {"items": [1, 2, 3], "rows": 3, "status": "ok"}
    assert sorted(t.task_id for t in cleared.task_instances) == ["extract", "load", "transform"]
    assert {t.task_id for t in planned.task_instances} <= {"extract", "transform", "load"}


# -- against the stand-in ---------------------------------------------------------------------------


def standin_ti(task_id: str) -> dict[str, Any]:
    return {
        "task_id": task_id, "dag_id": "d", "dag_run_id": "r", "map_index": -1, "logical_date": None,
        "run_after": "2026-01-02T03:04:05.000006Z", "state": "running", "try_number": 1, "max_tries": 0,
        "task_display_name": task_id, "hostname": None, "unixname": None, "pool": "default_pool", "pool_slots": 1,
        "queue": "default", "priority_weight": 1, "operator": "PythonOperator", "executor_config": {},
        "rendered_fields": {}, "note": None, "rendered_map_index": None, "pid": None, "executor": None,
        "queued_when": None, "start_date": None, "end_date": None, "duration": None,
        "trigger": {"id": 4, "classpath": "a.B", "kwargs": "{}", "created_date": "2026-01-02T03:04:05Z",
                    "queue": None, "triggerer_id": 7},
        "triggerer_job": None,
    }  # fmt: skip


@pytest.fixture
async def standin(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, StandIn]]:
    log = {
        "content": [
            {"timestamp": "2026-01-02T03:04:05.678901Z", "event": "Task failed with exception", "level": "error",
             "logger": "task", "filename": "task_runner.py", "lineno": 12,
             "error_detail": [{"exc_type": "ValueError", "exc_value": "no rows", "frames": [
                 {"filename": "/dags/d.py", "lineno": 3, "name": "load"}]}]},
            "a line Airflow could not parse",
        ],
        "continuation_token": "airflow-3-token",
    }  # fmt: skip
    tis = {"task_instances": [standin_ti(f"t{n}") for n in range(100)], "total_entries": 250}
    airflow = StandIn(
        {
            "/api/v2/dags/d/dagRuns/r/taskInstances": (200, tis, 0.0),
            "/api/v2/dags/d/dagRuns/r/taskInstances/t/logs/1": (200, log, 0.0),
            "/api/v2/dags/d/dagRuns/r/taskInstances/t/tries/1": (
                200,
                {**standin_ti("t"), "hostname": "w1"},
                0.0,
            ),
            "/api/v2/dags/d/dagRuns/r/taskInstances/t": (500, {"detail": "boom"}, 0.0),
        }
    )
    async with airflow:
        async with dagport(
            database_url,
            airflow.url,
            airflow_auth="service",
            api_tokens=TOKEN,
            airflow_token="a-static-token",
        ) as client:
            client.headers["Authorization"] = f"Bearer {TOKEN}"
            yield client, airflow


async def test_a_page_is_one_call_capped_at_airflow_s_page(
    standin: tuple[httpx.AsyncClient, StandIn],
) -> None:
    client, airflow = standin
    answer = await client.get("/api/v1/dags/d/dagRuns/r/taskInstances?limit=150&offset=3&state=running,none")
    assert answer.status_code == 200
    body = answer.json()
    assert (len(body["task_instances"]), body["total_entries"]) == (100, 250)
    first = body["task_instances"][0]
    assert (first["execution_date"], first["hostname"], first["unixname"], first["executor_config"]) == (
        "2026-01-02T03:04:05.000006+00:00",
        "",
        "",
        "{}",
    )  # no logical date: the run's run_after; v1's strings for what Airflow 3 leaves null
    assert first["trigger"] == {
        "classpath": "a.B", "created_date": "2026-01-02T03:04:05+00:00", "id": 4, "kwargs": "{}", "triggerer_id": 7,
    }  # fmt: skip
    [seen] = airflow.seen
    assert seen.query == {"limit": ["100"], "offset": ["3"], "state": ["running", "none"]}


async def test_a_log_event_s_traceback_and_airflow_s_token(
    standin: tuple[httpx.AsyncClient, StandIn],
) -> None:
    client, airflow = standin
    url = "/api/v1/dags/d/dagRuns/r/taskInstances/t/logs/1"
    answer = (await client.get(url + "?full_content=true", headers=JSON)).json()
    assert answer == {
        "content": repr([(
            "w1",
            "[2026-01-02T03:04:05.678+0000] {task_runner.py:12} ERROR - Task failed with exception\n"
            "Traceback (most recent call last):\n"
            '  File "/dags/d.py", line 3, in load\n'
            "ValueError: no rows\n"
            "a line Airflow could not parse",
        )]),
        "continuation_token": "airflow-3-token",
    }  # fmt: skip
    again = await client.get(url + "?token=airflow-3-token", headers=JSON)
    assert again.status_code == 200
    logs = [s for s in airflow.seen if s.path.endswith("/logs/1")]
    assert [s.query for s in logs] == [
        {"map_index": ["-1"], "full_content": ["true"]},
        {"map_index": ["-1"], "full_content": ["false"], "token": ["airflow-3-token"]},
    ]


async def test_an_airflow_failure_is_a_502_problem(standin: tuple[httpx.AsyncClient, StandIn]) -> None:
    client, _ = standin
    answer = await client.get("/api/v1/dags/d/dagRuns/r/taskInstances/t")
    assert answer.status_code == 502
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["title"] == "Bad Gateway"


async def test_update_state_sets_every_map_index_of_the_task(
    standin: tuple[httpx.AsyncClient, StandIn],
) -> None:
    """Airflow 2's updateTaskInstancesState set every map index: Airflow 3's unmapped routes without
    a map index do (not map index -1's routes)."""
    client, airflow = standin
    mapped = [{**standin_ti("m"), "map_index": n, "state": "failed"} for n in range(3)]
    collection = (200, {"task_instances": mapped, "total_entries": 3}, 0.0)
    airflow.routes["/api/v2/dags/d/dagRuns/r/taskInstances/m/dry_run"] = collection
    airflow.routes["/api/v2/dags/d/dagRuns/r/taskInstances/m"] = collection
    change = {
        "task_id": "m", "dag_run_id": "r", "new_state": "success", "include_upstream": False,
        "include_downstream": False, "include_future": False, "include_past": False, "dry_run": False,
    }  # fmt: skip
    answer = await client.post("/api/v1/dags/d/updateTaskInstancesState", json=change)
    assert answer.status_code == 200, answer.text
    reference = {"dag_id": "d", "dag_run_id": "r", "execution_date": "2026-01-02T03:04:05.000006+00:00"}
    assert answer.json() == {"task_instances": [{**reference, "task_id": "m"}] * 3}
    assert [(s.method, s.path, s.query) for s in airflow.seen] == [
        ("PATCH", "/api/v2/dags/d/dagRuns/r/taskInstances/m/dry_run", {}),
        ("PATCH", "/api/v2/dags/d/dagRuns/r/taskInstances/m", {}),
    ]
    assert json.loads(airflow.seen[1].body) == {
        k: v for k, v in change.items() if k not in ("task_id", "dag_run_id", "dry_run")
    }


async def test_reading_on_from_the_end_of_the_log_reads_no_log(
    standin: tuple[httpx.AsyncClient, StandIn],
) -> None:
    client, airflow = standin
    url = "/api/v1/dags/d/dagRuns/r/taskInstances/t/logs/1?token=eyJlbmRfb2ZfbG9nIjp0cnVlfQ"
    answer = await client.get(url, headers=JSON)
    assert answer.json() == {
        "content": repr([("w1", "")]),
        "continuation_token": "eyJlbmRfb2ZfbG9nIjp0cnVlfQ",
    }
    assert [(s.path, s.query) for s in airflow.seen] == [
        ("/api/v2/dags/d/dagRuns/r/taskInstances/t/tries/1", {"map_index": ["-1"]}),
    ]
    airflow.seen.clear()
    # No such try: the task instance tells a try that did not run from no task instance (here: none).
    missing = await client.get(url.replace("/logs/1", "/logs/2"), headers=JSON)
    assert missing.json() == problem(404, "TaskInstance not found", None)
    assert [s.path for s in airflow.seen] == [
        "/api/v2/dags/d/dagRuns/r/taskInstances/t/tries/2",
        "/api/v2/dags/d/dagRuns/r/taskInstances/t/-1",
    ]

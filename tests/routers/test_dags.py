"""DAGs in dagport's store: definitions by PUT (docs/api.md 4.1), listing and detail, /code, pause
state, and deletion (section 3). What every backend shares is in tests/conformance/test_dags.py."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.helpers import build_reference_state, error_of, load_reference_dags

HELLO = {
    "dag_id": "hello",
    "start_date": "2024-01-01T00:00:00+00:00",
    "tasks": [{"task_id": "say"}, {"task_id": "done", "upstream": ["say"]}],
}
HELLO_DETAIL = {
    "dag_id": "hello",
    "description": None,
    "is_paused": True,
    "owners": ["airflow"],
    "tags": [],
    "schedule_interval": None,
    "start_date": "2024-01-01T00:00:00+00:00",
    "fileloc": "api",
    "tasks": ["say", "done"],
}


def detail(dag_id: str, tasks: list[str], tags: list[str], **fields: Any) -> dict[str, Any]:
    """A reference DAG's detail (they share start_date and schedule_interval)."""
    base = {
        "dag_id": dag_id,
        "description": None,
        "is_paused": True,
        "owners": ["airflow"],
        "tags": tags,
        "schedule_interval": None,
        "start_date": "2016-01-01T00:00:00+00:00",
        "fileloc": "api",
        "tasks": tasks,
    }
    return base | fields


EXAMPLE_BASH = detail(
    "example_bash",
    ["extract", "transform", "load"],
    ["reference", "bash"],
    description="Three bash tasks: extract >> transform >> load",
    owners=["data-team", "loader"],
)
LINEAGE_DAG = detail("lineage_dag", ["produce", "consume"], ["reference", "lineage"])
SIMPLE_DAG = detail("simple_dag", ["noop"], [])
THROWAWAY_DAG = detail("throwaway_dag", ["only_task"], [])
DATE = "2016-11-16T11:34:15+00:00"


async def put(client: httpx.AsyncClient, dag_id: str, definition: Any) -> httpx.Response:
    return await client.put(f"/dags/{dag_id}", content=json.dumps(definition))


def invalid(*problems: tuple[str, str]) -> dict[str, Any]:
    return {
        "error": f"Invalid DAG definition: {len(problems)} problem(s)",
        "detail": [{"loc": loc, "msg": msg} for loc, msg in problems],
    }


async def trigger(client: httpx.AsyncClient, dag_id: str, date: str = DATE) -> None:
    response = await client.post(f"/dags/{dag_id}/dag_runs", json={"execution_date": date})
    assert response.status_code == 200, response.text


# --- PUT /dags/{dag_id} ------------------------------------------------------------------------------


async def test_put_new_dag_is_201_with_detail(client):
    response = await put(client, "hello", HELLO)
    assert response.status_code == 201
    assert response.json() == HELLO_DETAIL


async def test_put_existing_dag_is_200_with_detail(client):
    await put(client, "hello", HELLO)
    response = await put(client, "hello", HELLO)
    assert response.status_code == 200
    assert response.json() == HELLO_DETAIL


async def test_put_yaml_definition(client):
    body = "dag_id: hello\nstart_date: 2024-01-01T00:00:00+00:00\ntasks:\n  - task_id: say\n"
    response = await client.put("/dags/hello", content=body, headers={"Content-Type": "application/yaml"})
    assert response.status_code == 201
    assert response.json() == HELLO_DETAIL | {"tasks": ["say"]}


YAML_HELLO = "dag_id: hello\nstart_date: 2024-01-01T00:00:00+00:00\ntasks:\n  - task_id: say\n"


@pytest.mark.parametrize("content_type", [None, "application/json", "text/plain"])
async def test_put_yaml_without_a_yaml_content_type_says_which_to_use(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = await client.put("/dags/hello", content=YAML_HELLO, headers=headers)
    assert response.status_code == 400
    assert error_of(response) == invalid(
        (
            "",
            "Invalid JSON: Expecting value (line 1, column 1). "
            "The text reads as YAML: send YAML with `Content-Type: application/yaml`",
        )
    )
    assert (await client.get("/dags/hello")).status_code == 404


@pytest.mark.parametrize(
    ("text", "msg"),
    [
        (
            '{"dag_id": "hello",}',
            "Invalid JSON: Expecting property name enclosed in double quotes (line 1, column 20)",
        ),
        ("just words", "Invalid JSON: Expecting value (line 1, column 1)"),
    ],
)
async def test_put_of_bad_json_that_is_no_yaml_mapping_gets_no_yaml_hint(client, text, msg):
    response = await client.put("/dags/hello", content=text)
    assert response.status_code == 400
    assert error_of(response) == invalid(("", msg))


async def test_put_with_bad_dates_names_each_field(client):
    definition = {
        "dag_id": "d",
        "start_date": "yesterday",
        "default_args": {"end_date": "2016-13-01"},
        "tasks": [{"task_id": "a", "start_date": 1479296055}],
    }
    response = await put(client, "d", definition)
    assert response.status_code == 400
    must = "must be a date such as 2015-11-16T14:34:15+00:00 (ISO 8601), or null, got"
    assert error_of(response) == invalid(
        ("start_date", f"start_date {must} 'yesterday'"),
        ("default_args.end_date", f"end_date {must} '2016-13-01'"),
        ("tasks[0].start_date", f"start_date {must} 1479296055"),
    )


async def test_put_honours_is_paused_upon_creation(client):
    response = await put(client, "hello", HELLO | {"is_paused_upon_creation": False})
    assert response.status_code == 201
    assert response.json() == HELLO_DETAIL | {"is_paused": False}


async def test_put_with_mismatched_dag_id_is_400(client):
    response = await put(client, "other", HELLO)
    assert response.status_code == 400
    assert error_of(response) == invalid(("dag_id", "dag_id 'hello' does not match 'other' in the path"))
    assert (await client.get("/dags/other")).status_code == 404
    assert (await client.get("/dags/hello")).status_code == 404


@pytest.mark.parametrize(
    ("tasks", "problem"),
    [
        ([{"task_id": "a", "bogus": 1}], ("tasks[0].bogus", "Unknown key 'bogus'")),
        ([{"task_id": "a"}, {"task_id": "a"}], ("tasks[1].task_id", "Duplicate task_id 'a'")),
        (
            [{"task_id": "a", "upstream": ["zz"]}],
            ("tasks[0].upstream[0]", "Upstream task 'zz' is not a task of this DAG"),
        ),
        (
            [{"task_id": "a", "upstream": ["b"]}, {"task_id": "b", "upstream": ["a"]}],
            ("tasks[0].upstream", "Dependency cycle: a -> b -> a"),
        ),
    ],
    ids=["unknown_key", "duplicate_task_id", "unknown_upstream", "cycle"],
)
async def test_put_invalid_definition_is_400_naming_the_path(client, tasks, problem):
    response = await put(client, "d", {"dag_id": "d", "tasks": tasks})
    assert response.status_code == 400
    assert error_of(response) == invalid(problem)
    assert (await client.get("/dags/d")).status_code == 404


async def test_put_invalid_definition_lists_every_problem(client):
    tasks = [{"task_id": "a", "bogus": 1}, {"task_id": "a", "upstream": ["zz"]}]
    response = await put(client, "d", {"dag_id": "d", "tasks": tasks})
    assert response.status_code == 400
    assert error_of(response) == invalid(
        ("tasks[0].bogus", "Unknown key 'bogus'"),
        ("tasks[1].task_id", "Duplicate task_id 'a'"),
        ("tasks[1].upstream[0]", "Upstream task 'zz' is not a task of this DAG"),
    )


async def test_put_invalid_definition_leaves_the_stored_one_alone(client):
    await put(client, "hello", HELLO)
    response = await put(client, "hello", {"dag_id": "hello", "tasks": [{"task_id": "a", "bogus": 1}]})
    assert response.status_code == 400
    assert (await client.get("/dags/hello")).json() == HELLO_DETAIL
    assert (await client.get("/dags/hello/code")).text == json.dumps(HELLO)


async def test_replace_keeps_is_paused(client):
    await put(client, "hello", HELLO)
    assert (await client.get("/dags/hello/paused/false")).status_code == 200
    response = await put(client, "hello", HELLO)
    assert response.status_code == 200
    assert response.json() == HELLO_DETAIL | {"is_paused": False}
    assert (await client.get("/dags/hello/paused")).json() == {"is_paused": False}


async def test_replace_keeps_existing_runs(client):
    await put(client, "hello", HELLO)
    await trigger(client, "hello", "2024-06-01T00:00:00+00:00")
    await put(client, "hello", HELLO | {"tasks": [{"task_id": "other"}]})
    response = await client.get("/dags/hello/dag_runs")
    assert response.status_code == 200
    assert [(r["run_id"], r["execution_date"]) for r in response.json()] == [
        ("manual__2024-06-01T00:00:00+00:00", "2024-06-01T00:00:00+00:00")
    ]


async def test_replace_replaces_tasks(client):
    await put(client, "hello", HELLO)
    response = await put(client, "hello", HELLO | {"tasks": [{"task_id": "done"}, {"task_id": "new"}]})
    assert response.json() == HELLO_DETAIL | {"tasks": ["done", "new"]}
    assert (await client.get("/dags/hello")).json() == HELLO_DETAIL | {"tasks": ["done", "new"]}
    removed = await client.get("/dags/hello/tasks/say")
    assert removed.status_code == 404
    assert error_of(removed) == {"error": "Task say not found in dag hello"}
    kept = await client.get("/dags/hello/tasks/done")
    assert kept.status_code == 200
    assert kept.json()["upstream_task_ids"] == "set()"
    assert (await client.get("/dags/hello/tasks/new")).status_code == 200


# --- GET /dags ---------------------------------------------------------------------------------------


async def test_list_dags_empty(client):
    response = await client.get("/dags")
    assert response.status_code == 200
    assert response.json() == {"dags": [], "total_entries": 0}


@pytest.mark.parametrize("paused", ["false", "true"])
async def test_list_dags_filtered_by_paused(client, paused):
    await load_reference_dags(client)
    await client.get("/dags/simple_dag/paused/false")
    response = await client.get("/dags", params={"paused": paused})
    assert response.status_code == 200
    if paused == "false":
        assert response.json() == {"dags": [SIMPLE_DAG | {"is_paused": False}], "total_entries": 1}
    else:
        assert response.json() == {"dags": [EXAMPLE_BASH, LINEAGE_DAG, THROWAWAY_DAG], "total_entries": 3}


@pytest.mark.parametrize(
    ("params", "loc", "msg"),
    [
        ({"limit": 0}, "query.limit", "Input should be greater than or equal to 1, got '0'"),
        ({"limit": 10001}, "query.limit", "Input should be less than or equal to 10000, got '10001'"),
        ({"offset": -1}, "query.offset", "Input should be greater than or equal to 0, got '-1'"),
        (
            {"limit": "x"},
            "query.limit",
            "Input should be a valid integer, unable to parse string as an integer, got 'x'",
        ),
        (
            {"paused": "maybe"},
            "query.paused",
            "Input should be a valid boolean, unable to interpret input, got 'maybe'",
        ),
    ],
)
async def test_list_dags_with_bad_query_is_400_with_detail(client, params, loc, msg):
    response = await client.get("/dags", params=params)
    assert response.status_code == 400
    assert error_of(response) == {
        "error": f"Invalid value for {loc}: {msg}",
        "detail": [{"loc": loc, "msg": msg}],
    }


async def test_list_dags_accepts_limit_bounds(client):
    await load_reference_dags(client)
    assert (await client.get("/dags", params={"limit": 1})).json() == {
        "dags": [EXAMPLE_BASH],
        "total_entries": 4,
    }
    assert (await client.get("/dags", params={"limit": 10000})).json()["total_entries"] == 4


# --- GET /dags/{dag_id} ------------------------------------------------------------------------------


async def test_get_dag_detail(client):
    await load_reference_dags(client)
    response = await client.get("/dags/example_bash")
    assert response.status_code == 200
    assert response.json() == EXAMPLE_BASH


# --- GET /dags/{dag_id}/code -------------------------------------------------------------------------


async def test_code_returns_the_submitted_json_text(client):
    text = '{\n  "dag_id": "hello",  "tasks": [ {"task_id": "say"} ]\n}\n'
    assert (await client.put("/dags/hello", content=text)).status_code == 201
    response = await client.get("/dags/hello/code")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == text


async def test_code_returns_the_submitted_yaml_text(client):
    text = "# a comment\ndag_id: hello\ntasks:\n  - task_id: say   # the only task\n"
    response = await client.put("/dags/hello", content=text, headers={"Content-Type": "application/yaml"})
    assert response.status_code == 201
    response = await client.get("/dags/hello/code")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == text


async def test_code_returns_the_latest_text_after_replace(client):
    await put(client, "hello", HELLO)
    replacement = HELLO | {"description": "v2"}
    await put(client, "hello", replacement)
    assert (await client.get("/dags/hello/code")).text == json.dumps(replacement)


# --- pause state -------------------------------------------------------------------------------------


async def test_paused_reads_the_creation_state(client):
    await put(client, "hello", HELLO)
    response = await client.get("/dags/hello/paused")
    assert response.status_code == 200
    assert response.json() == {"is_paused": True}


# --- DELETE /dags/{dag_id} ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/dags/throwaway_dag", "/dags/throwaway_dag/delete_dag"])
async def test_delete_dag_counts_runs_and_task_instances(client, path):
    await load_reference_dags(client)
    await trigger(client, "throwaway_dag")
    response = await client.delete(path)
    assert response.status_code == 200
    assert response.json() == {"count": 2, "message": "Removed 2 record(s)"}


async def test_delete_dag_counts_lineage_records(client):
    await build_reference_state(client)  # lineage_dag: 1 run, 2 task instances, 2 lineage records
    response = await client.delete("/dags/lineage_dag/delete_dag")
    assert response.status_code == 200
    assert response.json() == {"count": 5, "message": "Removed 5 record(s)"}


async def test_delete_dag_without_runs_counts_zero(client):
    await put(client, "hello", HELLO)
    response = await client.delete("/dags/hello")
    assert response.status_code == 200
    assert response.json() == {"count": 0, "message": "Removed 0 record(s)"}
    assert (await client.get("/dags/hello")).status_code == 404


async def test_delete_dag_leaves_other_dags_alone(client):
    await build_reference_state(client)
    await trigger(client, "throwaway_dag")
    await client.delete("/dags/throwaway_dag")
    response = await client.get("/dags/lineage_dag/dag_runs")
    assert [r["run_id"] for r in response.json()] == ["manual__2016-11-16T00:00:00+00:00"]
    lineage = await client.get("/lineage/lineage_dag/2016-11-16T00:00:00+00:00")
    assert sorted(lineage.json()["task_ids"]) == ["consume", "produce"]


async def test_dag_can_be_recreated_after_delete(client):
    await put(client, "hello", HELLO)
    await trigger(client, "hello", "2024-06-01T00:00:00+00:00")
    await client.delete("/dags/hello")
    response = await put(client, "hello", HELLO)
    assert response.status_code == 201
    assert response.json() == HELLO_DETAIL
    assert (await client.get("/dags/hello/dag_runs")).json() == []


@pytest.mark.parametrize("path", ["/dags/throwaway_dag", "/dags/throwaway_dag/delete_dag"])
async def test_second_delete_is_404(client, path):
    await load_reference_dags(client)
    assert (await client.delete(path)).status_code == 200
    response = await client.delete(path)
    assert response.status_code == 404
    assert error_of(response) == {"error": "Dag id throwaway_dag not found"}

"""GET /lineage/{dag_id}/{execution_date} (docs/api.md 3.5) and how lineage gets recorded (4.2, 4.3),
in dagport's store (Capability.RECORDED_LINEAGE; the lookups every backend shares are in
tests/conformance/test_lineage.py).

Lineage is recorded for a task instance when it reaches success: the state update's inlets and
outlets if given, else the task definition's. Entities come back as the JSON objects defined.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers import build_reference_state, load_reference_dags

RUN = "2016-11-16T00:00:00"
MESSAGE = "Lineage for dag lineage_dag at 2016-11-16 00:00:00+00:00"
PRODUCE = {
    "inlets": [{"type": "File", "url": "/tmp/input.csv"}],
    "outlets": [{"type": "File", "url": "/tmp/intermediate.csv"}],
}
CONSUME = {
    "inlets": [{"type": "File", "url": "/tmp/intermediate.csv"}],
    "outlets": [{"type": "Table", "database": "warehouse", "cluster": "main", "name": "results"}],
}
# -- helpers -----------------------------------------------------------------------------------------


async def lineage(client: httpx.AsyncClient, dag_id: str = "lineage_dag", date: str = RUN) -> dict:
    response = await client.get(f"/lineage/{dag_id}/{date}")
    assert response.status_code == 200, response.text
    return response.json()


async def trigger(client: httpx.AsyncClient, dag_id: str = "lineage_dag", date: str = RUN) -> None:
    response = await client.post(f"/dags/{dag_id}/dag_runs", json={"execution_date": date})
    assert response.status_code == 200, response.text


async def patch_ti(client: httpx.AsyncClient, task_id: str, body: dict[str, Any]) -> None:
    response = await client.patch(f"/dags/lineage_dag/dag_runs/{RUN}/tasks/{task_id}", json=body)
    assert response.status_code == 200, response.text


async def patch_run(client: httpx.AsyncClient, state: str) -> None:
    response = await client.patch(f"/dags/lineage_dag/dag_runs/{RUN}", json={"state": state})
    assert response.status_code == 200, response.text


@pytest.fixture
async def lineage_run(client: httpx.AsyncClient) -> None:
    """The reference DAGs and a fresh (queued) run of lineage_dag at 2016-11-16T00:00:00+00:00."""
    await load_reference_dags(client)
    await trigger(client)


# -- reading lineage -------------------------------------------------------------------------------


async def test_lineage_of_the_reference_run(client: httpx.AsyncClient) -> None:
    await build_reference_state(client)
    assert await lineage(client) == {"message": MESSAGE, "task_ids": {"consume": CONSUME, "produce": PRODUCE}}


@pytest.mark.parametrize(
    "date", ["2016-11-16T00%3A00%3A00%2B00%3A00", "2016-11-16T00:00:00+00:00", "2016-11-16T00:00:00Z"]
)
async def test_lineage_with_an_explicit_utc_offset(client: httpx.AsyncClient, date: str) -> None:
    await build_reference_state(client)
    assert await lineage(client, date=date) == {
        "message": MESSAGE,
        "task_ids": {"consume": CONSUME, "produce": PRODUCE},
    }


async def test_lineage_trailing_slash(client: httpx.AsyncClient) -> None:
    await build_reference_state(client)
    assert await lineage(client, date=f"{RUN}/") == {
        "message": MESSAGE,
        "task_ids": {"consume": CONSUME, "produce": PRODUCE},
    }


async def test_lineage_of_a_dag_without_entities_is_empty_lists(client: httpx.AsyncClient) -> None:
    await load_reference_dags(client)
    await trigger(client, "example_bash", "2016-11-16T11:34:15")
    for task_id in ("extract", "transform", "load"):
        response = await client.patch(
            f"/dags/example_bash/dag_runs/2016-11-16T11:34:15/tasks/{task_id}", json={"state": "success"}
        )
        assert response.status_code == 200, response.text
    empty = {"inlets": [], "outlets": []}
    assert await lineage(client, "example_bash", "2016-11-16T11:34:15") == {
        "message": "Lineage for dag example_bash at 2016-11-16 11:34:15+00:00",
        "task_ids": {"extract": empty, "load": empty, "transform": empty},
    }


@pytest.mark.usefixtures("lineage_run")
async def test_lineage_lists_only_task_instances_that_succeeded(client: httpx.AsyncClient) -> None:
    await patch_ti(client, "produce", {"state": "success"})
    await patch_ti(client, "consume", {"state": "running"})
    assert await lineage(client) == {"message": MESSAGE, "task_ids": {"produce": PRODUCE}}


@pytest.mark.usefixtures("lineage_run")
@pytest.mark.parametrize("state", ["failed", "skipped", "upstream_failed", "up_for_retry"])
async def test_lineage_is_not_recorded_for_other_states(client: httpx.AsyncClient, state: str) -> None:
    await patch_ti(client, "produce", {"state": state})
    assert await lineage(client) == {"message": MESSAGE, "task_ids": {}}


@pytest.mark.usefixtures("lineage_run")
async def test_lineage_from_the_state_update_overrides_the_definition(client: httpx.AsyncClient) -> None:
    inlets = [{"type": "Table", "database": "raw", "name": "events", "extra": {"partition": "2016-11-16"}}]
    outlets = [{"type": "File", "url": "s3://bucket/out.parquet"}, {"type": "File", "url": "/tmp/b"}]
    await patch_ti(client, "produce", {"state": "success", "inlets": inlets, "outlets": outlets})
    await patch_ti(client, "consume", {"state": "success"})
    assert await lineage(client) == {
        "message": MESSAGE,
        "task_ids": {"consume": CONSUME, "produce": {"inlets": inlets, "outlets": outlets}},
    }


@pytest.mark.usefixtures("lineage_run")
async def test_lineage_override_of_one_side_keeps_the_definitions_other_side(
    client: httpx.AsyncClient,
) -> None:
    outlets = [{"type": "File", "url": "/tmp/elsewhere.csv"}]
    await patch_ti(client, "produce", {"state": "success", "outlets": outlets})
    await patch_ti(client, "consume", {"state": "success", "inlets": []})
    assert await lineage(client) == {
        "message": MESSAGE,
        "task_ids": {
            "consume": {"inlets": [], "outlets": CONSUME["outlets"]},
            "produce": {"inlets": PRODUCE["inlets"], "outlets": outlets},
        },
    }


@pytest.mark.usefixtures("lineage_run")
async def test_lineage_of_a_later_success_replaces_the_earlier(client: httpx.AsyncClient) -> None:
    await patch_ti(client, "produce", {"state": "success", "inlets": [{"type": "File", "url": "/old"}]})
    await patch_ti(client, "produce", {"state": "running"})
    await patch_ti(client, "produce", {"state": "success"})
    assert await lineage(client) == {"message": MESSAGE, "task_ids": {"produce": PRODUCE}}


@pytest.mark.usefixtures("lineage_run")
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"state": "success", "inlets": "x"},
            "inlets must be a list of objects with a string 'type', got 'x'",
        ),
        (
            {"state": "success", "outlets": [{"url": "/tmp/x"}]},
            "outlets must be a list of objects with a string 'type', got [{'url': '/tmp/x'}]",
        ),
    ],
)
async def test_invalid_lineage_in_the_state_update_is_400(
    client: httpx.AsyncClient, body: dict[str, Any], message: str
) -> None:
    response = await client.patch(f"/dags/lineage_dag/dag_runs/{RUN}/tasks/produce", json=body)
    assert response.status_code == 400
    field = "inlets" if "inlets" in body else "outlets"
    assert response.json() == {
        "error": message,
        "detail": [{"loc": f"body.{field}", "msg": message}],
        "request_id": response.headers["x-request-id"],
    }
    assert await lineage(client) == {"message": MESSAGE, "task_ids": {}}


# -- lineage and run state changes ---------------------------------------------------------------


@pytest.mark.usefixtures("lineage_run")
async def test_marking_the_run_success_records_lineage_of_the_task_instances_it_finishes(
    client: httpx.AsyncClient,
) -> None:
    await patch_run(client, "success")
    assert await lineage(client) == {"message": MESSAGE, "task_ids": {"consume": CONSUME, "produce": PRODUCE}}


@pytest.mark.usefixtures("lineage_run")
async def test_marking_the_run_success_keeps_lineage_already_recorded(client: httpx.AsyncClient) -> None:
    inlets = [{"type": "File", "url": "/tmp/reported.csv"}]
    await patch_ti(client, "produce", {"state": "success", "inlets": inlets})
    await patch_run(client, "success")
    assert await lineage(client) == {
        "message": MESSAGE,
        "task_ids": {"consume": CONSUME, "produce": {"inlets": inlets, "outlets": PRODUCE["outlets"]}},
    }


@pytest.mark.usefixtures("lineage_run")
async def test_marking_the_run_success_records_nothing_for_finished_non_success(
    client: httpx.AsyncClient,
) -> None:
    await patch_ti(client, "produce", {"state": "skipped"})
    await patch_run(client, "success")
    assert await lineage(client) == {"message": MESSAGE, "task_ids": {"consume": CONSUME}}


@pytest.mark.usefixtures("lineage_run")
async def test_marking_the_run_failed_records_no_lineage(client: httpx.AsyncClient) -> None:
    await patch_run(client, "failed")
    assert await lineage(client) == {"message": MESSAGE, "task_ids": {}}


async def test_clearing_the_run_removes_its_lineage(client: httpx.AsyncClient) -> None:
    await build_reference_state(client)
    await patch_run(client, "queued")
    assert await lineage(client) == {"message": MESSAGE, "task_ids": {}}


async def test_clearing_one_run_keeps_the_lineage_of_another(client: httpx.AsyncClient) -> None:
    await build_reference_state(client)
    await trigger(client, date="2016-11-17T00:00:00")
    response = await client.patch("/dags/lineage_dag/dag_runs/2016-11-17T00:00:00", json={"state": "success"})
    assert response.status_code == 200, response.text
    response = await client.patch("/dags/lineage_dag/dag_runs/2016-11-17T00:00:00", json={"state": "queued"})
    assert response.status_code == 200, response.text
    assert await lineage(client) == {"message": MESSAGE, "task_ids": {"consume": CONSUME, "produce": PRODUCE}}
    assert await lineage(client, date="2016-11-17T00:00:00") == {
        "message": "Lineage for dag lineage_dag at 2016-11-17 00:00:00+00:00",
        "task_ids": {},
    }


# -- errors ------------------------------------------------------------------------------------------


async def test_lineage_needs_credentials(anon: httpx.AsyncClient) -> None:
    response = await anon.get(f"/api/experimental/lineage/lineage_dag/{RUN}")
    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"

"""v1's DAG run and dataset operations (docs/api-v1.md, "DAG runs and datasets"), beyond what the
replay of Airflow 2.11's recording pins down: the service mode with dagport's token, a viewer's
writes, a run's whole life, the texts of refused bodies and parameters, the datasets' lookups by URI.

Against the real Airflow 3.3.2 of the ``v1_airflow`` fixture, which the replay (tests/test_v1_replay.py)
and the check of its starting state (tests/test_v1_harness.py) share: these tests read what the
replay does not change (lineage_dag's finished run, the asset) and leave nothing behind (the runs
they trigger on simple_dag, at dates of their own, are deleted; no dataset event is created, since
asset events cannot be deleted). What a real Airflow cannot show on demand (how many calls an
operation makes, exactly what it asks; queued events, which only an event can make) is tested
against the local stand-in (tests/airflow_standin.py).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.airflow_deployment import AirflowDeployment
from tests.airflow_standin import Seen, StandIn
from tests.v1_fixtures import DOCS, FORBIDDEN, bad_request, dagport, database_fixture
from tests.v1_state import RUN_ID

TOKEN = "v1-runs-token-0001"
ADMIN = ("admin", "admin")
VIEWER = ("viewer", "viewer")
URI = "s3://dagport-ref/orders.csv"


def not_found(detail: str | None, title: str = "Not Found") -> dict[str, Any]:
    return {"detail": detail, "status": 404, "title": title, "type": DOCS + "NotFound"}


def conflict(detail: str) -> dict[str, Any]:
    return {"detail": detail, "status": 409, "title": "Conflict", "type": DOCS + "AlreadyExists"}


database_url = database_fixture("v1-runs")


@pytest.fixture
async def v1(v1_airflow: AirflowDeployment, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Passthrough: each request carries its Airflow user's Basic credentials."""
    async with dagport(database_url, v1_airflow.url) as client:
        yield client


def run_path(dag_id: str, run_id: str, tail: str = "") -> str:
    return f"/api/v1/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}{tail}"


@pytest.fixture
async def runs_deleted(v1_airflow: AirflowDeployment) -> AsyncIterator[list[tuple[str, str]]]:
    """The runs a test triggers, deleted through Airflow afterwards whatever the test did."""
    made: list[tuple[str, str]] = []
    yield made
    for dag_id, run_id in made:
        await v1_airflow.api("DELETE", f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}")


# -- credentials -------------------------------------------------------------------------------------


async def test_service_mode_polls_a_finished_run_with_dagports_token(
    v1_airflow: AirflowDeployment, database_url: str
) -> None:
    async with dagport(
        database_url,
        v1_airflow.url,
        airflow_auth="service",
        api_tokens=TOKEN,
        airflow_username=ADMIN[0],
        airflow_password=ADMIN[1],
    ) as client:
        path = f"/api/v1/dags/lineage_dag/dagRuns/{RUN_ID}"  # the raw + kept, as cornflow sends it
        answer = await client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/json"
        body = answer.json()
        end, decided = body.pop("end_date"), body.pop("last_scheduling_decision")
        assert body == {
            "conf": {},
            "dag_id": "lineage_dag",
            "dag_run_id": RUN_ID,
            "data_interval_end": "2016-11-16T00:00:00+00:00",
            "data_interval_start": "2016-11-16T00:00:00+00:00",
            "execution_date": "2016-11-16T00:00:00+00:00",
            "external_trigger": False,  # made by `dags test`, as the recording's
            "logical_date": "2016-11-16T00:00:00+00:00",
            "note": None,
            "run_type": "manual",
            "start_date": "2016-11-16T00:00:00+00:00",
            "state": "success",
        }
        assert end.endswith("+00:00") and decided.endswith("+00:00")
        assert answer.text == answer.text.rstrip("\n") + "\n" and answer.text.startswith('{\n  "conf"')

        basic = await client.get(path, auth=("anyone", TOKEN))  # the token as a Basic password
        assert basic.status_code == 200 and basic.json()["dag_run_id"] == RUN_ID
        refused = await client.get(path)
        assert (refused.status_code, refused.json()) == (403, FORBIDDEN)
        wrong = await client.get(path, headers={"Authorization": "Bearer not-a-token"})
        assert (wrong.status_code, wrong.json()) == (403, FORBIDDEN)


async def test_a_viewer_reads_runs_but_cannot_write_them(v1: httpx.AsyncClient) -> None:
    read = await v1.get(run_path("lineage_dag", RUN_ID), auth=VIEWER)
    assert (read.status_code, read.json()["state"]) == (200, "success")
    run_id = f"viewer_{uuid.uuid4().hex[:8]}"
    trigger = await v1.post("/api/v1/dags/simple_dag/dagRuns", json={"dag_run_id": run_id}, auth=VIEWER)
    assert (trigger.status_code, trigger.json()) == (403, FORBIDDEN)
    patch = await v1.patch(run_path("lineage_dag", RUN_ID), json={"state": "failed"}, auth=VIEWER)
    assert (patch.status_code, patch.json()) == (403, FORBIDDEN)
    delete = await v1.delete(run_path("lineage_dag", RUN_ID), auth=VIEWER)
    assert (delete.status_code, delete.json()) == (403, FORBIDDEN)
    after = await v1.get(run_path("simple_dag", run_id), auth=ADMIN)
    assert after.status_code == 404  # nothing was triggered
    still = await v1.get(run_path("lineage_dag", RUN_ID), auth=ADMIN)
    assert still.json()["state"] == "success"
    nobody = await v1.post("/api/v1/dags/simple_dag/dagRuns", json={"dag_run_id": run_id})
    assert (nobody.status_code, nobody.json()) == (403, FORBIDDEN)


# -- a run's life -----------------------------------------------------------------------------------


async def test_a_triggered_run_from_trigger_to_delete(
    v1: httpx.AsyncClient, runs_deleted: list[tuple[str, str]]
) -> None:
    # A date of its own, with an offset, and no run id: named after the date as given.
    second = uuid.uuid4().int % 60
    given = f"2031-03-04T05:06:{second:02d}+05:30"
    utc = f"2031-03-03T23:36:{second:02d}+00:00"
    run_id = f"manual__{given}"
    runs_deleted.append(("simple_dag", run_id))
    body = {"logical_date": given, "conf": {"a": [1, 2]}, "note": "from the test"}
    trigger = await v1.post("/api/v1/dags/simple_dag/dagRuns", json=body, auth=ADMIN)
    assert trigger.status_code == 200, trigger.text
    expected = {
        "conf": {"a": [1, 2]},
        "dag_id": "simple_dag",
        "dag_run_id": run_id,
        "data_interval_end": given,
        "data_interval_start": given,
        "end_date": None,
        "execution_date": given,
        "external_trigger": True,
        "last_scheduling_decision": None,
        "logical_date": given,
        "note": "from the test",
        "run_type": "manual",
        "start_date": None,
        "state": "queued",
    }
    assert trigger.json() == expected
    in_utc = {**expected, **{k: utc for k in ("data_interval_end", "data_interval_start")}}
    in_utc.update(execution_date=utc, logical_date=utc)
    got = await v1.get(run_path("simple_dag", run_id), auth=ADMIN)
    assert (got.status_code, got.json()) == (200, in_utc)
    fields = await v1.get(run_path("simple_dag", run_id) + "?fields=state,note", auth=ADMIN)
    assert fields.json() == {"note": "from the test", "state": "queued"}

    again = await v1.post(
        "/api/v1/dags/simple_dag/dagRuns", json={"dag_run_id": "other", "logical_date": given}, auth=ADMIN
    )
    date_text = given.replace("T", " ")
    assert (again.status_code, again.json()) == (
        409,
        conflict(f"DAGRun with DAG ID: 'simple_dag' and DAGRun logical date: '{date_text}' already exists"),
    )
    same_id = await v1.post(
        "/api/v1/dags/simple_dag/dagRuns",
        json={"dag_run_id": run_id, "execution_date": "2031-03-05T00:00:00Z"},
        auth=ADMIN,
    )
    assert (same_id.status_code, same_id.json()) == (
        409,
        conflict(f"DAGRun with DAG ID: 'simple_dag' and DAGRun ID: '{run_id}' already exists"),
    )

    window = "execution_date_gte=2031-03-03T00%3A00%3A00Z&execution_date_lte=2031-03-04T00%3A00%3A00Z"
    listed = await v1.get(f"/api/v1/dags/~/dagRuns?{window}&state=bogus,queued&fields=dag_run_id", auth=ADMIN)
    assert listed.json() == {"dag_runs": [{"dag_run_id": run_id}], "total_entries": 1}
    batch = await v1.post(
        "/api/v1/dags/~/dagRuns/list",
        json={"dag_ids": ["simple_dag"], "execution_date_gte": "2031-03-03T00:00:00Z", "states": ["queued"]},
        auth=ADMIN,
    )
    assert batch.json() == {"dag_runs": [in_utc], "total_entries": 1}

    failed = await v1.patch(run_path("simple_dag", run_id), json={"state": "failed"}, auth=ADMIN)
    assert failed.status_code == 200
    assert (failed.json()["state"], failed.json()["note"]) == ("failed", "from the test")
    assert failed.json()["end_date"] is not None
    noted = await v1.patch(run_path("simple_dag", run_id, "/setNote"), json={"note": "checked"}, auth=ADMIN)
    assert (noted.json()["note"], noted.json()["state"]) == ("checked", "failed")

    dry = await v1.post(run_path("simple_dag", run_id, "/clear"), json={}, auth=ADMIN)
    assert dry.json() == {
        "task_instances": [
            {"dag_id": "simple_dag", "dag_run_id": run_id, "execution_date": utc, "task_id": "noop"}
        ]
    }
    cleared = await v1.post(run_path("simple_dag", run_id, "/clear"), json={"dry_run": False}, auth=ADMIN)
    assert cleared.status_code == 200
    assert (cleared.json()["dag_run_id"], cleared.json()["state"]) == (run_id, "queued")
    upstream = await v1.get(run_path("simple_dag", run_id, "/upstreamDatasetEvents"), auth=ADMIN)
    assert upstream.json() == {"dataset_events": [], "total_entries": 0}

    deleted = await v1.delete(run_path("simple_dag", run_id), auth=ADMIN)
    assert (deleted.status_code, deleted.content, deleted.headers["content-type"]) == (
        204,
        b"",
        "application/json",
    )
    gone = await v1.get(run_path("simple_dag", run_id), auth=ADMIN)
    assert (gone.status_code, gone.json()) == (
        404,
        not_found(
            f"DAGRun with DAG ID: 'simple_dag' and DagRun ID: '{run_id}' not found", title="DAGRun not found"
        ),
    )


async def test_a_trigger_without_a_date_is_dated_now_and_named_after_it(
    v1: httpx.AsyncClient, runs_deleted: list[tuple[str, str]]
) -> None:
    trigger = await v1.post("/api/v1/dags/simple_dag/dagRuns", json={"dag_run_id": ""}, auth=ADMIN)
    assert trigger.status_code == 200, trigger.text
    run = trigger.json()
    runs_deleted.append(("simple_dag", run["dag_run_id"]))
    assert run["dag_run_id"] == f"manual__{run['logical_date']}"
    assert run["logical_date"].startswith("20") and run["logical_date"].endswith("+00:00")
    assert (run["execution_date"], run["conf"], run["external_trigger"]) == (run["logical_date"], {}, True)


# -- refused requests, in Airflow 2.11's words ------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "answer"),
    [
        ({"conf": []}, 400, bad_request("[] is not of type 'object' - 'conf'")),
        ({"dag_id": "x"}, 400, bad_request("Property is read-only - 'dag_id'")),
        ({"dag_run_id": 5}, 400, bad_request("5 is not of type 'string' - 'dag_run_id'")),
        (
            {"execution_date": "2031-01-01"},
            400,
            bad_request("'2031-01-01' is not a 'date-time' - 'execution_date'"),
        ),
        ({"dag_run_id": None}, 400, bad_request("{'dag_run_id': ['Field may not be null.']}")),
        (
            {"logical_date": "2031-01-01T00:00:00Z", "data_interval_start": "2031-01-01T00:00:00Z"},
            400,
            bad_request(
                "{'_schema': [\"Both 'data_interval_start' and 'data_interval_end' must be specified together\"]}"
            ),
        ),
        ([1], 400, bad_request("[1] is not of type 'object'")),
    ],
)
async def test_a_refused_trigger_body(v1: httpx.AsyncClient, body: Any, status: int, answer: Any) -> None:
    response = await v1.post("/api/v1/dags/simple_dag/dagRuns", json=body, auth=ADMIN)
    assert (response.status_code, response.json()) == (status, answer)


async def test_the_dag_is_looked_up_before_the_body_is_read_as_airflow_2_did(v1: httpx.AsyncClient) -> None:
    unknown = {"logical_date": "2031-01-01T00:00:00Z", "execution_date": "2031-01-02T00:00:00Z"}
    missing = await v1.post("/api/v1/dags/no_such_dag/dagRuns", json=unknown, auth=ADMIN)
    assert (missing.status_code, missing.json()) == (
        404,
        not_found("DAG with dag_id: 'no_such_dag' not found", title="DAG not found"),
    )
    known = await v1.post("/api/v1/dags/simple_dag/dagRuns", json=unknown, auth=ADMIN)
    assert (known.status_code, known.json()) == (
        400,
        bad_request(
            "'2031-01-01T00:00:00Z' != '2031-01-02T00:00:00Z'",
            title="logical_date conflicts with execution_date",
        ),
    )
    tilde = await v1.post("/api/v1/dags/~/dagRuns", json={}, auth=ADMIN)  # no wildcard where v1 took none
    assert (tilde.status_code, tilde.json()) == (
        404,
        not_found("DAG with dag_id: '~' not found", "DAG not found"),
    )


async def test_refused_run_writes(v1: httpx.AsyncClient) -> None:
    finished = run_path("lineage_dag", RUN_ID)
    running = await v1.patch(finished, json={"state": "running"}, auth=ADMIN)
    assert running.json() == bad_request("'running' is not one of ['success', 'failed', 'queued'] - 'state'")
    empty = await v1.patch(finished, json={}, auth=ADMIN)  # Airflow 2.11: an HTML 500
    assert (empty.status_code, empty.json()) == (400, bad_request("'state' is a required property"))
    extra = await v1.patch(finished, json={"state": "failed", "note": "x"}, auth=ADMIN)
    assert extra.json() == bad_request("{'note': ['Unknown field.']}")
    gone = await v1.patch(run_path("lineage_dag", "no_such_run"), json={"note": "x"}, auth=ADMIN)
    assert gone.json() == not_found(None, title="Dag Run id no_such_run not found in dag lineage_dag")
    null_note = await v1.patch(finished + "/setNote", json={"note": None}, auth=ADMIN)
    assert null_note.json() == bad_request("None is not of type 'string' - 'note'")
    long_note = await v1.patch(finished + "/setNote", json={"note": "x" * 1001}, auth=ADMIN)
    assert long_note.json() == bad_request("{'note': ['Longer than maximum length 1000.']}")
    clear = await v1.post(
        run_path("lineage_dag", "no_such_run", "/clear"), json={"dry_run": "yes"}, auth=ADMIN
    )
    assert clear.json() == bad_request("'yes' is not of type 'boolean' - 'dry_run'")
    clear_gone = await v1.post(run_path("lineage_dag", "no_such_run", "/clear"), json={}, auth=ADMIN)
    assert clear_gone.json() == not_found(None, title="Dag Run id no_such_run not found in dag   lineage_dag")
    text = await v1.post(
        run_path("lineage_dag", RUN_ID, "/clear"),
        content="{}",
        headers={"Content-Type": "text/plain"},
        auth=ADMIN,
    )
    assert (text.status_code, text.json()["title"]) == (415, "Unsupported Media Type")
    still = await v1.get(finished, auth=ADMIN)
    assert (still.json()["state"], still.json()["note"]) == ("success", None)


async def test_listing_rules(v1: httpx.AsyncClient) -> None:
    known_and_not = await v1.get(
        "/api/v1/dags/lineage_dag/dagRuns?state=bogus&state=success&fields=dag_run_id", auth=ADMIN
    )
    assert known_and_not.json() == {"dag_runs": [{"dag_run_id": RUN_ID}], "total_entries": 1}
    unknown_field = await v1.get("/api/v1/dags/lineage_dag/dagRuns?fields=bogus", auth=ADMIN)
    assert unknown_field.json() == bad_request(
        "bogus not in DAGRunSchema", title="DAGRunCollectionSchema error"
    )
    # v1 checked the fields on the runs it answered: none, no check.
    no_runs = await v1.get("/api/v1/dags/no_such_dag/dagRuns?fields=bogus", auth=ADMIN)
    assert no_runs.json() == {"dag_runs": [], "total_entries": 0}
    one = await v1.get(
        "/api/v1/dags/lineage_dag/dagRuns/" + quote(RUN_ID, safe="") + "?fields=bogus", auth=ADMIN
    )
    assert one.json() == bad_request("bogus not in DAGRunSchema", title="DAGRunSchema error")
    negative = await v1.get("/api/v1/dags/lineage_dag/dagRuns?limit=-1", auth=ADMIN)
    assert negative.json() == bad_request(None, title="Page limit must be a positive integer")
    by_trigger = await v1.get(
        "/api/v1/dags/lineage_dag/dagRuns?order_by=-external_trigger&fields=dag_run_id", auth=ADMIN
    )
    assert by_trigger.json() == {"dag_runs": [{"dag_run_id": RUN_ID}], "total_entries": 1}
    batch = await v1.post("/api/v1/dags/~/dagRuns/list", json={"states": ["bogus"]}, auth=ADMIN)
    assert batch.json() == {"dag_runs": [], "total_entries": 0}
    bad_ids = await v1.post("/api/v1/dags/~/dagRuns/list", json={"dag_ids": ["a", 1]}, auth=ADMIN)
    assert bad_ids.json() == bad_request("1 is not of type 'string' - 'dag_ids.1'")
    zero = await v1.post("/api/v1/dags/~/dagRuns/list", json={"page_limit": 0}, auth=ADMIN)
    assert zero.json() == bad_request("0 is less than the minimum of 1 - 'page_limit'")
    named = await v1.post("/api/v1/dags/lineage_dag/dagRuns/list", json={}, auth=ADMIN)
    assert named.status_code == 405


# -- datasets ---------------------------------------------------------------------------------------


async def test_datasets_by_uri(v1: httpx.AsyncClient) -> None:
    encoded = quote(URI, safe="")
    one = await v1.get(f"/api/v1/datasets/{encoded}", auth=ADMIN)
    assert one.status_code == 200, one.text
    dataset = one.json()
    assert (dataset["id"], dataset["uri"], dataset["aliases"]) == (1, URI, [])
    assert [d["dag_id"] for d in dataset["consuming_dags"]] == ["dataset_consumer"]
    assert [(t["dag_id"], t["task_id"]) for t in dataset["producing_tasks"]] == [
        ("dataset_producer", "produce_orders")
    ]
    listed = await v1.get("/api/v1/datasets?uri_pattern=orders", auth=ADMIN)
    assert listed.json() == {"datasets": [dataset], "total_entries": 1}
    none = await v1.get("/api/v1/datasets?dag_ids=simple_dag,xcom_dag", auth=ADMIN)
    assert none.json() == {"datasets": [], "total_entries": 0}
    part = await v1.get(f"/api/v1/datasets/{quote('s3://dagport-ref/orders', safe='')}", auth=ADMIN)
    assert part.json() == not_found(
        "The Dataset with uri: `s3://dagport-ref/orders` was not found", "Dataset not found"
    )

    events = await v1.get(
        "/api/v1/datasets/events?source_dag_id=dataset_producer&order_by=-timestamp", auth=ADMIN
    )
    [event] = events.json()["dataset_events"]
    event.pop("timestamp")
    assert event == {
        "created_dagruns": [],
        "dataset_id": 1,
        "dataset_uri": URI,
        "extra": {},
        "id": 1,
        "source_dag_id": "dataset_producer",
        "source_map_index": -1,
        "source_run_id": RUN_ID,
        "source_task_id": "produce_orders",
    }
    assert events.json()["total_entries"] == 1


async def test_refused_dataset_events_and_absent_queued_events(v1: httpx.AsyncClient) -> None:
    unknown = await v1.post("/api/v1/datasets/events", json={"dataset_uri": "s3://no/such.csv"}, auth=ADMIN)
    assert unknown.json() == not_found("Dataset with uri: 's3://no/such.csv' not found", "Dataset not found")
    missing = await v1.post("/api/v1/datasets/events", json={"extra": {}}, auth=ADMIN)
    assert missing.json() == bad_request("'dataset_uri' is a required property")
    extra = await v1.post("/api/v1/datasets/events", json={"dataset_uri": URI, "extra": "x"}, auth=ADMIN)
    assert extra.json() == bad_request("'x' is not of type 'object' - 'extra'")
    field = await v1.post("/api/v1/datasets/events", json={"dataset_uri": URI, "foo": 1}, auth=ADMIN)
    assert field.json() == bad_request("{'foo': ['Unknown field.']}")
    null = await v1.post("/api/v1/datasets/events", json={"dataset_uri": URI, "extra": None}, auth=ADMIN)
    assert null.json() == bad_request("{'extra': ['Field may not be null.']}")  # connexion let null through

    encoded = quote(URI, safe="")
    title = "Queue event not found"
    for method in ("GET", "DELETE"):
        one = await v1.request(method, f"/api/v1/dags/simple_dag/datasets/queuedEvent/{encoded}", auth=ADMIN)
        assert one.json() == not_found(
            f"Queue event with dag_id: `simple_dag` and dataset uri: `{URI}` was not found", title
        )
        dag = await v1.request(method, "/api/v1/dags/simple_dag/datasets/queuedEvent", auth=ADMIN)
        assert dag.json() == not_found("Queue event with dag_id: `simple_dag` was not found", title)
    unknown_uri = await v1.get("/api/v1/datasets/queuedEvent/s3%3A%2F%2Fno%2Fsuch.csv", auth=ADMIN)
    assert unknown_uri.json() == not_found(
        "Queue event with dataset uri: `s3://no/such.csv` was not found", title
    )
    delete = await v1.delete("/api/v1/datasets/queuedEvent/s3%3A%2F%2Fno%2Fsuch.csv", auth=ADMIN)
    assert delete.status_code == 404
    before = await v1.get("/api/v1/dags/simple_dag/datasets/queuedEvent?before=yesterday", auth=ADMIN)
    assert before.status_code == 400 and before.json()["detail"].startswith(
        "'yesterday' is not a 'date-time'"
    )


async def test_the_v1_document_lists_the_run_and_dataset_operations(v1: httpx.AsyncClient) -> None:
    document = (await v1.get("/api/v1/openapi.json")).json()
    operations = {
        (method.upper(), path): (op["tags"], op["summary"], bool(op.get("description")))
        for path, item in document["paths"].items()
        for method, op in item.items()
    }
    assert operations[("GET", "/dags/{dag_id}/dagRuns/{dag_run_id}")] == (["DAGRun"], "Get a DAG run", True)
    assert operations[("POST", "/dags/~/dagRuns/list")] == (["DAGRun"], "List DAG runs (batch)", True)
    assert operations[("GET", "/dags/{dag_id}/dagRuns/{dag_run_id}/upstreamDatasetEvents")][0] == [
        "DAGRun",
        "Dataset",
    ]
    assert operations[("GET", "/datasets/{uri}")] == (["Dataset"], "Get a dataset", True)
    listing = document["paths"]["/dags/{dag_id}/dagRuns"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {
        "limit",
        "offset",
        "state",
        "fields",
        "execution_date_gte",
    }


# -- what each operation asks Airflow (the stand-in) ------------------------------------------------

V2_RUN = {
    "dag_run_id": RUN_ID,
    "dag_id": "d",
    "logical_date": "2016-11-16T00:00:00Z",
    "run_after": "2016-11-16T00:00:00Z",
    "start_date": "2016-11-16T00:00:00Z",
    "end_date": "2016-11-16T00:01:00.5Z",
    "data_interval_start": "2016-11-16T00:00:00Z",
    "data_interval_end": "2016-11-16T00:00:00Z",
    "last_scheduling_decision": None,
    "state": "success",
    "run_type": "asset_triggered",
    "triggered_by": "asset",
    "conf": None,
    "note": None,
}


@pytest.fixture
async def standin_client(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, StandIn]]:
    routes: dict[str, Any] = {}
    airflow = StandIn(routes)
    async with airflow:
        async with dagport(
            database_url, airflow.url, airflow_auth="service", api_tokens=TOKEN, airflow_token="static"
        ) as client:
            client.headers["Authorization"] = f"Bearer {TOKEN}"
            yield client, airflow


async def test_a_poll_is_one_call_and_a_listing_page_one_call(
    standin_client: tuple[httpx.AsyncClient, StandIn],
) -> None:
    client, airflow = standin_client
    run_target = f"/api/v2/dags/d/dagRuns/{quote(RUN_ID, safe='')}"
    airflow.routes[run_target] = (200, V2_RUN, 0.0)
    airflow.routes["/api/v2/dags/d/dagRuns"] = (200, {"dag_runs": [V2_RUN] * 3, "total_entries": 250}, 0.0)
    airflow.routes["/api/v2/dags/~/dagRuns/list"] = (200, {"dag_runs": [V2_RUN], "total_entries": 1}, 0.0)

    poll = await client.get(f"/api/v1/dags/d/dagRuns/{RUN_ID}")
    assert poll.json() == {
        "conf": {},
        "dag_id": "d",
        "dag_run_id": RUN_ID,
        "data_interval_end": "2016-11-16T00:00:00+00:00",
        "data_interval_start": "2016-11-16T00:00:00+00:00",
        "end_date": "2016-11-16T00:01:00.500000+00:00",
        "execution_date": "2016-11-16T00:00:00+00:00",
        "external_trigger": False,
        "last_scheduling_decision": None,
        "logical_date": "2016-11-16T00:00:00+00:00",
        "note": None,
        "run_type": "dataset_triggered",
        "start_date": "2016-11-16T00:00:00+00:00",
        "state": "success",
    }
    assert [s.target for s in airflow.seen] == [run_target]

    airflow.seen.clear()
    listing = await client.get(
        "/api/v1/dags/d/dagRuns?limit=500&offset=7&order_by=-execution_date&state=queued,bogus&state=failed"
        "&start_date_gte=2017-01-01T02%3A00%3A00%2B02%3A00&fields=dag_run_id"
    )
    assert listing.json() == {"dag_runs": [{"dag_run_id": RUN_ID}] * 3, "total_entries": 250}
    [seen] = airflow.seen
    assert (seen.path, seen.query) == (
        "/api/v2/dags/d/dagRuns",
        {
            "limit": ["100"],
            "offset": ["7"],
            "order_by": ["-logical_date"],
            "state": ["queued", "failed"],
            "start_date_gte": ["2017-01-01T00:00:00+00:00"],
        },
    )

    airflow.seen.clear()
    batch = await client.post(
        "/api/v1/dags/~/dagRuns/list",
        json={
            "dag_ids": [],
            "page_limit": 500,
            "order_by": "dag_run_id",
            "end_date_lte": "2017-01-01T00:00:00Z",
        },
    )
    assert batch.json()["total_entries"] == 1
    [seen] = airflow.seen
    assert seen.method == "POST" and seen.path == "/api/v2/dags/~/dagRuns/list"
    assert json.loads(seen.body) == {
        "order_by": "run_id",
        "page_offset": 0,
        "page_limit": 500,  # v1's batch had no cap
        "end_date_lte": "2017-01-01T00:00:00Z",
    }


async def test_calls_that_change_nothing_leave_the_read_cache_as_it_is(database_url: str) -> None:
    """A batch listing, a dry-run clear and a connection test are POSTs that change nothing: reads
    cached before them are still served from the cache (a write would empty it)."""
    run_target = f"/api/v2/dags/d/dagRuns/{quote(RUN_ID, safe='')}"
    airflow = StandIn(
        {
            run_target: (200, V2_RUN, 0.0),
            "/api/v2/dags/~/dagRuns/list": (200, {"dag_runs": [V2_RUN], "total_entries": 1}, 0.0),
            run_target + "/clear": (200, {"task_instances": [], "total_entries": 0}, 0.0),
            "/api/v2/connections/test": (
                200,
                {"status": True, "message": "Connection successfully tested"},
                0.0,
            ),
        }
    )
    settings = {"airflow_auth": "service", "api_tokens": TOKEN, "airflow_token": "static"}
    async with airflow, dagport(database_url, airflow.url, airflow_cache_seconds=300, **settings) as client:
        client.headers["Authorization"] = f"Bearer {TOKEN}"
        poll = f"/api/v1/dags/d/dagRuns/{RUN_ID}"
        answers = [
            await client.get(poll),
            await client.post("/api/v1/dags/~/dagRuns/list", json={}),
            await client.get(poll),
            await client.post(f"{poll}/clear", json={}),  # a dry run: v1's default
            await client.get(poll),
            await client.post("/api/v1/connections/test", json={"connection_id": "c", "conn_type": "http"}),
            await client.get(poll),
        ]
    assert [a.status_code for a in answers] == [200] * 7
    assert [(s.method, s.path) for s in airflow.seen] == [
        ("GET", run_target),
        ("POST", "/api/v2/dags/~/dagRuns/list"),
        ("POST", run_target + "/clear"),
        ("POST", "/api/v2/connections/test"),
    ]


def _assets(seen: Seen) -> tuple[int, Any, float]:
    asset = {"name": "x", "group": "asset", "scheduled_dags": [], "producing_tasks": [], "aliases": []}
    if seen.query.get("uri_pattern") == ["s3://b/k"]:  # a substring search: a longer URI matches too
        found = [{**asset, "id": 7, "uri": "s3://b/k2"}, {**asset, "id": 8, "uri": "s3://b/k"}]
        return 200, {"assets": found, "total_entries": 2}, 0.0
    if seen.query.get("dag_ids") == ["c"]:  # the DAG's assets: 8, and 9 no longer named by it
        return 200, {"assets": [{**asset, "id": 8, "uri": "s3://b/k"}], "total_entries": 1}, 0.0
    return 200, {"assets": [], "total_entries": 0}, 0.0


async def test_queued_events_carry_their_datasets_uris(
    standin_client: tuple[httpx.AsyncClient, StandIn],
) -> None:
    client, airflow = standin_client
    queued = [
        {"dag_id": "c", "asset_id": 8, "created_at": "2026-01-02T03:04:05Z", "dag_display_name": "c"},
        {"dag_id": "c", "asset_id": 9, "created_at": "2026-01-02T03:04:06Z", "dag_display_name": "c"},
    ]
    airflow.routes["/api/v2/assets"] = _assets
    airflow.routes["/api/v2/assets/9"] = (200, {"id": 9, "name": "y", "uri": "s3://old/one"}, 0.0)
    airflow.routes["/api/v2/dags/c/assets/queuedEvents"] = (
        200,
        {"queued_events": queued, "total_entries": 2},
        0.0,
    )
    airflow.routes["/api/v2/dags/c/assets/8/queuedEvents"] = (200, queued[0], 0.0)

    listed = await client.get("/api/v1/dags/c/datasets/queuedEvent?before=2026-02-01T00%3A00%3A00Z")
    assert listed.json() == {
        "queued_events": [
            {"created_at": "2026-01-02T03:04:05+00:00", "dag_id": "c", "uri": "s3://b/k"},
            {"created_at": "2026-01-02T03:04:06+00:00", "dag_id": "c", "uri": "s3://old/one"},
        ],
        "total_entries": 2,
    }
    assert [s.path for s in airflow.seen] == [
        "/api/v2/dags/c/assets/queuedEvents",
        "/api/v2/assets",
        "/api/v2/assets/9",
    ]
    assert airflow.seen[0].query == {"before": ["2026-02-01T00:00:00+00:00"]}

    airflow.seen.clear()
    one = await client.get("/api/v1/dags/c/datasets/queuedEvent/s3%3A%2F%2Fb%2Fk")
    assert one.json() == {"created_at": "2026-01-02T03:04:05+00:00", "dag_id": "c", "uri": "s3://b/k"}
    assert [s.path for s in airflow.seen] == ["/api/v2/assets", "/api/v2/dags/c/assets/8/queuedEvents"]
    assert airflow.seen[0].query == {
        "only_active": ["false"],
        "uri_pattern": ["s3://b/k"],
        "order_by": ["id"],
        "limit": ["100"],
        "offset": ["0"],
    }

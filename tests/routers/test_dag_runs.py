"""Reading and setting runs in dagport's store: list, latest_runs and PATCH (docs/api.md 2, 3, 3.2, 4.2).

What every backend shares is in tests/conformance/test_runs.py. Here: the database's ids and dates
as text, the graph links and their base URL, start dates and task-instance dates by dagport's
clock, the validation of the query and the body. Every test runs on Postgres and on SQLite; the
app's clock is the FakeClock (2026-11-24 02:49:29.097350+00:00 unless a test advances it).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conftest import REFERENCE_DAGS_DIR
from tests.helpers import client_for, date_error, put_dag

URL = "/dags/example_bash/dag_runs"
T0 = "2026-11-24 02:49:29.097350+00:00"
T0_ISO = "2026-11-24T02:49:29.097350+00:00"
RUN_DATE = "2016-11-16T11:34:15"
RUN_ID = "manual__2016-11-16T11:34:15+00:00"


def error_body(response: httpx.Response) -> dict[str, Any]:
    """The error envelope without its request_id (which must echo the X-Request-ID header)."""
    body = response.json()
    assert body.pop("request_id") == response.headers["x-request-id"]
    return body


def listed(
    pk: int,
    date: str,
    *,
    dag_id: str = "example_bash",
    state: str = "queued",
    start: str = "",
    base: str = "",
) -> dict[str, Any]:
    """One element of the run listing for a run triggered at ``date`` (ISO, UTC) with a generated id."""
    url_date = date.replace("+00:00", "%2B00:00").replace("T", "+")
    return {
        "dag_id": dag_id,
        "dag_run_url": f"{base}/dags/{dag_id}/graph?execution_date={url_date}",
        "execution_date": date,
        "id": pk,
        "run_id": f"manual__{date}",
        "start_date": start,
        "state": state,
    }


async def load(client: httpx.AsyncClient, *dag_ids: str) -> None:
    for dag_id in dag_ids or ("example_bash",):
        await put_dag(client, REFERENCE_DAGS_DIR / f"{dag_id}.json")


async def trigger(client: httpx.AsyncClient, date: str, dag_id: str = "example_bash") -> None:
    response = await client.post(f"/dags/{dag_id}/dag_runs", json={"execution_date": date})
    assert response.status_code == 200, response.text


async def set_ti(client: httpx.AsyncClient, task_id: str, state: str, date: str = RUN_DATE) -> None:
    response = await client.patch(f"{URL}/{date}/tasks/{task_id}", json={"state": state})
    assert response.status_code == 200, response.text


async def ti(client: httpx.AsyncClient, task_id: str, date: str = RUN_DATE) -> dict[str, str]:
    response = await client.get(f"{URL}/{date}/tasks/{task_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def ti_summary(client: httpx.AsyncClient, task_id: str) -> tuple[str, ...]:
    info = await ti(client, task_id)
    keys = ("state", "start_date", "end_date", "duration", "try_number")
    return tuple(info[k] for k in keys)


# -- GET /dags/{dag_id}/dag_runs ---------------------------------------------------------------------


async def test_list_is_ordered_by_execution_date_with_whole_items(client):
    await load(client)
    await trigger(client, "2016-11-20")
    await trigger(client, RUN_DATE)
    await trigger(client, "2016-11-18T02:00:00+02:00")  # 2016-11-18T00:00Z
    response = await client.get(URL)
    assert response.status_code == 200
    assert response.json() == [
        listed(2, "2016-11-16T11:34:15+00:00"),
        {**listed(3, "2016-11-18T00:00:00+00:00"), "run_id": "manual__2016-11-18T02:00:00+02:00"},
        listed(1, "2016-11-20T00:00:00+00:00"),
    ]


async def test_list_url_keeps_microseconds(client):
    await load(client)
    await trigger(client, "2016-11-22T11:34:15.123456")
    [item] = (await client.get(URL)).json()
    assert item["dag_run_url"] == "/dags/example_bash/graph?execution_date=2016-11-22+11:34:15.123456%2B00:00"
    assert item["execution_date"] == "2016-11-22T11:34:15.123456+00:00"


@pytest.mark.parametrize(
    "date",
    [
        "0001-01-01T00:00:00",
        "0005-03-04T05:06:07.000001",
        "1999-12-31T23:59:59.5",
        "2016-11-22T11:34:15.100000",
        "2016-11-22T11:34:15.000010",
        "9999-12-31T23:59:59.999999",
    ],
)
async def test_listings_write_dates_as_isoformat_does(client, date):
    """The listings' dates are written by the database (iso_text): the same text as Python's."""
    from datetime import UTC

    from app.dates import dag_run_url, parse_date

    expected = parse_date(date).astimezone(UTC)
    definition = json.loads((REFERENCE_DAGS_DIR / "example_bash.json").read_text())
    await put_dag(client, {**definition, "start_date": "0001-01-01T00:00:00+00:00"})
    await trigger(client, date)
    await set_ti(client, "extract", "running", date=date)
    [item] = (await client.get(URL)).json()
    [latest] = (await client.get("/latest_runs")).json()["items"]
    for shown in (item, latest):
        assert shown["execution_date"] == expected.isoformat()
        assert shown["dag_run_url"] == dag_run_url("", "example_bash", expected)
        assert shown["start_date"] == T0_ISO


async def test_list_shows_start_date_of_a_started_run(client):
    await load(client)
    await trigger(client, RUN_DATE)
    await set_ti(client, "extract", "running")
    assert (await client.get(URL)).json() == [
        listed(1, "2016-11-16T11:34:15+00:00", state="running", start=T0_ISO)
    ]


async def test_list_urls_use_the_ui_base_url(app_factory):
    async with client_for(app_factory(ui_base_url="http://airflow.example")) as client:
        await load(client)
        await trigger(client, RUN_DATE)
        assert (await client.get(URL)).json() == [
            listed(1, "2016-11-16T11:34:15+00:00", base="http://airflow.example")
        ]


@pytest.mark.parametrize("state", ["bogus", "up_for_retry", "null"])
async def test_unknown_state_is_400(client, state):
    await load(client)
    response = await client.get(URL, params={"state": state})
    assert response.status_code == 400
    assert error_body(response) == {
        "error": f"Invalid state '{state}'; expected one of: queued, running, success, failed"
    }


@pytest.mark.parametrize(
    ("query", "loc", "msg"),
    [
        ("limit=0", "query.limit", "Input should be greater than or equal to 1, got '0'"),
        ("limit=10001", "query.limit", "Input should be less than or equal to 10000, got '10001'"),
        (
            "limit=abc",
            "query.limit",
            "Input should be a valid integer, unable to parse string as an integer, got 'abc'",
        ),
        ("offset=-1", "query.offset", "Input should be greater than or equal to 0, got '-1'"),
    ],
    ids=["limit-0", "limit-10001", "limit-text", "offset-negative"],
)
async def test_out_of_range_paging_is_400_with_detail(client, query, loc, msg):
    await load(client)
    response = await client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert error_body(response) == {
        "error": f"Invalid value for {loc}: {msg}",
        "detail": [{"loc": loc, "msg": msg}],
    }


@pytest.mark.parametrize("param", ["execution_date_gte", "execution_date_lte"])
async def test_bad_date_bound_is_400(client, param):
    await load(client)
    response = await client.get(URL, params={param: "foo"})
    assert response.status_code == 400
    assert error_body(response) == {"error": date_error("foo")}


# -- GET /latest_runs --------------------------------------------------------------------------------


async def test_latest_runs_lists_each_dags_latest_run_by_dag_id(client, clock):
    await load(client, "throwaway_dag", "simple_dag", "example_bash", "lineage_dag")
    await trigger(client, "2016-11-16", dag_id="throwaway_dag")
    await trigger(client, RUN_DATE, dag_id="simple_dag")
    await trigger(client, "2016-11-20")
    await trigger(client, RUN_DATE)
    await set_ti(client, "extract", "running")  # starts the older example_bash run only
    clock.advance(2)
    response = await client.patch(
        f"/dags/simple_dag/dag_runs/{RUN_DATE}/tasks/noop", json={"state": "running"}
    )
    assert response.status_code == 200
    response = await client.get("/latest_runs")
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "dag_id": "example_bash",
                "execution_date": "2016-11-20T00:00:00+00:00",
                "start_date": "",
                "dag_run_url": "/dags/example_bash/graph?execution_date=2016-11-20+00:00:00%2B00:00",
            },
            {
                "dag_id": "simple_dag",
                "execution_date": "2016-11-16T11:34:15+00:00",
                "start_date": "2026-11-24T02:49:31.097350+00:00",
                "dag_run_url": "/dags/simple_dag/graph?execution_date=2016-11-16+11:34:15%2B00:00",
            },
            {
                "dag_id": "throwaway_dag",
                "execution_date": "2016-11-16T00:00:00+00:00",
                "start_date": "",
                "dag_run_url": "/dags/throwaway_dag/graph?execution_date=2016-11-16+00:00:00%2B00:00",
            },
        ]
    }


async def test_latest_runs_is_empty_without_runs(client):
    await load(client)
    response = await client.get("/latest_runs")
    assert response.status_code == 200
    assert response.json() == {"items": []}


async def test_latest_runs_urls_use_the_ui_base_url(app_factory):
    async with client_for(app_factory(ui_base_url="http://airflow.example")) as client:
        await load(client)
        await trigger(client, RUN_DATE)
        assert (await client.get("/latest_runs")).json() == {
            "items": [
                {
                    "dag_id": "example_bash",
                    "execution_date": "2016-11-16T11:34:15+00:00",
                    "start_date": "",
                    "dag_run_url": "http://airflow.example/dags/example_bash/graph"
                    "?execution_date=2016-11-16+11:34:15%2B00:00",
                }
            ]
        }


# -- PATCH /dags/{dag_id}/dag_runs/{execution_date} --------------------------------------------------

T1 = "2026-11-24 02:49:34.097350+00:00"  # T0 + 5 s
T2 = "2026-11-24 02:49:44.097350+00:00"  # T0 + 15 s


async def half_done_run(client: httpx.AsyncClient, clock: Any) -> None:
    """extract ran 5 s and succeeded, transform has run for 10 s, load never started; now is T2."""
    await load(client)
    await trigger(client, RUN_DATE)
    await set_ti(client, "extract", "running")
    clock.advance(5)
    await set_ti(client, "extract", "success")
    await set_ti(client, "transform", "running")
    clock.advance(10)


@pytest.mark.parametrize("state", ["success", "failed"])
async def test_patch_finishing_state_returns_the_run(client, clock, state):
    await half_done_run(client, clock)
    response = await client.patch(f"{URL}/{RUN_DATE}", json={"state": state})
    assert response.status_code == 200
    assert response.json() == {
        "dag_id": "example_bash",
        "run_id": RUN_ID,
        "execution_date": "2016-11-16T11:34:15+00:00",
        "state": state,
        "start_date": T0_ISO,
        "end_date": "2026-11-24T02:49:44.097350+00:00",
    }
    assert (await client.get(f"{URL}/{RUN_DATE}")).json() == {"state": state}


@pytest.mark.parametrize("state", ["success", "failed"])
async def test_patch_finishing_state_finishes_unfinished_task_instances(client, clock, state):
    await half_done_run(client, clock)
    await client.patch(f"{URL}/{RUN_DATE}", json={"state": state})
    assert await ti_summary(client, "extract") == ("success", T0, T1, "5.0", "1")
    assert await ti_summary(client, "transform") == (state, T1, T2, "10.0", "1")
    assert await ti_summary(client, "load") == (state, "None", T2, "None", "0")


async def test_patch_success_keeps_failed_task_instances(client, clock):
    await half_done_run(client, clock)
    await set_ti(client, "transform", "failed")
    await client.patch(f"{URL}/{RUN_DATE}", json={"state": "success"})
    assert await ti_summary(client, "transform") == ("failed", T1, T2, "10.0", "1")
    assert await ti_summary(client, "load") == ("success", "None", T2, "None", "0")


async def test_patch_queued_clears_the_run(client, clock):
    await half_done_run(client, clock)
    await client.patch(f"{URL}/{RUN_DATE}", json={"state": "success"})
    clock.advance(1)
    response = await client.patch(f"{URL}/{RUN_DATE}", json={"state": "queued"})
    assert response.status_code == 200
    assert response.json() == {
        "dag_id": "example_bash",
        "run_id": RUN_ID,
        "execution_date": "2016-11-16T11:34:15+00:00",
        "state": "queued",
        "start_date": None,
        "end_date": None,
    }
    assert await ti_summary(client, "extract") == ("None", "None", "None", "None", "1")
    assert await ti_summary(client, "transform") == ("None", "None", "None", "None", "1")
    assert await ti_summary(client, "load") == ("None", "None", "None", "None", "0")
    assert (await client.get(URL)).json() == [listed(1, "2016-11-16T11:34:15+00:00")]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"state": "running"}, "Invalid state 'running'; expected one of: success, failed, queued"),
        ({"state": "SUCCESS"}, "Invalid state 'SUCCESS'; expected one of: success, failed, queued"),
        ({"state": None}, "Invalid state None; expected one of: success, failed, queued"),
        ({}, "Missing required field 'state'"),
    ],
    ids=["running", "upper-case", "null", "missing"],
)
async def test_patch_invalid_state_is_400(client, body, message):
    await load(client)
    await trigger(client, RUN_DATE)
    response = await client.patch(f"{URL}/{RUN_DATE}", json=body)
    assert response.status_code == 400
    assert error_body(response) == {"error": message, "detail": [{"loc": "body.state", "msg": message}]}
    assert (await client.get(f"{URL}/{RUN_DATE}")).json() == {"state": "queued"}


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"{nope", "Request body is not valid JSON"), (b"[]", "Request body must be a JSON object")],
)
async def test_patch_body_must_be_a_json_object(client, content, message):
    await load(client)
    await trigger(client, RUN_DATE)
    response = await client.patch(f"{URL}/{RUN_DATE}", content=content)
    assert response.status_code == 400
    assert error_body(response) == {"error": message}


async def test_patch_bad_date_is_400(client):
    response = await client.patch("/dags/no_such_dag/dag_runs/foo", json={"state": "success"})
    assert response.status_code == 400
    assert error_body(response) == {"error": date_error("foo")}

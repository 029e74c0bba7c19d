"""Hostile input gets a clear JSON 4xx, the same on Postgres and SQLite, never a 500."""

from __future__ import annotations

import pytest

from tests.helpers import load_reference_dags

NUL_URL = "Request URL contains a NUL character"
NUL_BODY = "Request body contains a NUL character (\\u0000), which cannot be stored"


@pytest.mark.parametrize(
    "path",
    [
        "/dags/a%00b/dag_runs",
        "/dags/a%00b/paused",
        "/pools/a%00b",
        "/dags/example_bash/tasks/x%00",
        "/dags?tag=%00",
        "/dags/example_bash/dag_runs?state=queued%00",
    ],
)
async def test_nul_in_the_url_is_400(client, path):
    response = await client.get(path)
    assert response.status_code == 400
    assert response.json()["error"] == NUL_URL


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/pools", '{"name": "a\\u0000b", "slots": 1}'),
        ("POST", "/dags/example_bash/dag_runs", '{"run_id": "x\\u0000"}'),
        ("POST", "/dags/example_bash/dag_runs", '{"conf": {"k": "\\u0000"}}'),
    ],
)
async def test_nul_in_the_body_is_400_and_writes_nothing(client, method, path, body):
    await load_reference_dags(client)
    response = await client.request(method, path, content=body)
    assert response.status_code == 400
    assert response.json()["error"] == NUL_BODY
    assert len((await client.get("/pools")).json()) == 1
    assert (await client.get("/dags/example_bash/dag_runs")).json() == []


@pytest.mark.parametrize("date", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00"])
async def test_a_date_outside_utc_range_is_the_date_400(client, date):
    await load_reference_dags(client)
    message = (
        f"Given execution date, {date}, could not be identified as a date. "
        "Example date format: 2015-11-16T14:34:15+00:00"
    )
    response = await client.get(f"/dags/example_bash/dag_runs/{date}")
    assert (response.status_code, response.json()["error"]) == (400, message)
    response = await client.post("/dags/example_bash/dag_runs", json={"execution_date": date})
    assert (response.status_code, response.json()["error"]) == (400, message)


@pytest.mark.parametrize("query", ["offset=99999999999999999999", "offset=-1", "limit=0", "limit=10001"])
async def test_out_of_range_paging_is_400_with_detail(client, query):
    await load_reference_dags(client)
    response = await client.get(f"/dags/example_bash/dag_runs?{query}")
    assert response.status_code == 400
    body = response.json()
    name = query.split("=")[0]
    assert body["error"].startswith(f"Invalid value for query.{name}: ")
    assert [d["loc"] for d in body["detail"]] == [f"query.{name}"]


async def test_huge_integers_in_bodies_are_400(client):
    await load_reference_dags(client)
    response = await client.post("/pools", json={"name": "big", "slots": 2**40})
    assert (response.status_code, response.json()["error"]) == (400, f"Bad value for `slots`: {2**40}")
    run = await client.post("/dags/example_bash/dag_runs", json={"execution_date": "2016-11-16"})
    assert run.status_code == 200
    response = await client.patch(
        "/dags/example_bash/dag_runs/2016-11-16/tasks/extract", json={"state": "running", "pid": 2**40}
    )
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == "body.pid"


def _nested(levels: int) -> object:
    value: object = 1
    for _ in range(levels):
        value = [value]
    return value


async def test_a_conf_nested_deeper_than_storable_is_400_and_writes_nothing(client):
    """orjson reads 1,024 levels but writes 254: a body is refused beyond 100 levels, not a 500."""
    await load_reference_dags(client)
    deep = '{"conf": {"k": ' + "[" * 300 + "1" + "]" * 300 + "}}"
    response = await client.post("/dags/example_bash/dag_runs", content=deep)
    assert (response.status_code, response.json()["error"]) == (
        400,
        "Request body is nested more than 100 levels deep",
    )
    assert (await client.get("/dags/example_bash/dag_runs")).json() == []
    shallow = await client.post("/dags/example_bash/dag_runs", json={"conf": {"k": _nested(98)}})
    assert shallow.status_code == 200


async def test_a_definition_nested_too_deep_is_400(client):
    definition = {"dag_id": "deep", "tasks": [{"task_id": "a", "params": {"p": _nested(300)}}]}
    response = await client.put("/dags/deep", json=definition)
    assert response.status_code == 400
    assert response.json()["detail"] == [
        {"loc": "", "msg": "The definition is nested more than 100 levels deep"}
    ]
    assert (await client.get("/dags/deep")).status_code == 404

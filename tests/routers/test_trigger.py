"""POST /dags/{dag_id}/dag_runs: triggering a run (docs/api.md sections 1, 2 and 3.1), in dagport's store.

The trigger's rules every backend shares (dates, run ids, replace_microseconds, duplicates, the
DAG's checks) are in tests/conformance/test_trigger.py. Here: the body's validation, the stored
conf, queued_at and a run created running by dagport's clock, the default timezone, definitions
without a start date, concurrent triggers, the latest-run pointer. Every test runs on Postgres and
on SQLite. The app's clock is the FakeClock, so "now" is
2026-11-24 02:49:29.097350+00:00 unless a test advances it.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.db.models import dag_run
from app.main import create_app
from tests.conftest import REFERENCE_DAGS_DIR
from tests.helpers import client_for, date_error, put_dag

NOW = "2026-11-24 02:49:29.097350+00:00"
NOW_SECOND = "2026-11-24T02:49:29+00:00"
CONF_ERROR = "Dag Run conf must be a dictionary object, other types are not supported"
URL = "/dags/example_bash/dag_runs"


def duplicate_error(date: str, run_id: str, dag_id: str = "example_bash") -> str:
    return f"A DAG Run already exists for DAG {dag_id} at {date} with run id {run_id}"


def created(
    date: str, run_id: str, *, dag_id: str = "example_bash", state: str = "queued", queued_at: str = NOW
) -> str:
    return (
        f"Created <DagRun {dag_id} @ {date}: {run_id}, state:{state}, "
        f"queued_at: {queued_at}. externally triggered: True>"
    )


def error_body(response: httpx.Response) -> dict[str, Any]:
    """The error envelope without its request_id (which must echo the X-Request-ID header)."""
    body = response.json()
    assert body.pop("request_id") == response.headers["x-request-id"]
    return body


def conf_error_body(hint: str) -> dict[str, Any]:
    """Airflow's sentence, exactly (its own test asserts it); what conf is and what to send instead
    in detail."""
    return {"error": CONF_ERROR, "detail": [{"loc": "body.conf", "msg": hint}]}


SEND_CONF = "send conf as a JSON object, or as a string holding one"
NOT_JSON_CONF = f"conf is a string that is not valid JSON ({{}}): {SEND_CONF}"
SAME_SECOND_HINT = (
    "A run of this DAG was already triggered in this second (a run without execution_date is dated "
    "now with its microseconds zeroed): pass an execution_date of its own, or "
    '"replace_microseconds": false to keep the microseconds of now'
)


async def load_bash(client: httpx.AsyncClient) -> None:
    await put_dag(client, REFERENCE_DAGS_DIR / "example_bash.json")


async def trigger(client: httpx.AsyncClient, body: Any, dag_id: str = "example_bash") -> httpx.Response:
    return await client.post(f"/dags/{dag_id}/dag_runs", json=body)


async def scalar(engine: AsyncEngine, sql: str) -> Any:
    async with engine.connect() as conn:
        return await conn.scalar(text(sql))


async def stored_confs(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(dag_run.c.conf).order_by(dag_run.c.id))).scalars())


async def ti_info(client: httpx.AsyncClient, date: str, task_id: str, dag_id: str = "example_bash") -> dict:
    response = await client.get(f"/dags/{dag_id}/dag_runs/{date}/tasks/{task_id}")
    assert response.status_code == 200, response.text
    return response.json()


# -- the body --------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"{not json", b"{'a': 1}", b"execution_date=2016-11-28T00:00:00"])
async def test_body_that_is_not_json_is_400(client, content):
    await load_bash(client)
    response = await client.post(URL, content=content)
    assert response.status_code == 400
    assert error_body(response) == {"error": "Request body is not valid JSON"}


@pytest.mark.parametrize("content", [b"null", b"[]", b'["execution_date"]', b'"x"', b"1", b"true"])
async def test_json_body_that_is_not_an_object_is_400(client, content):
    await load_bash(client)
    response = await client.post(URL, content=content)
    assert response.status_code == 400
    assert error_body(response) == {"error": "Request body must be a JSON object"}


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/octet-stream", None]
)
async def test_body_is_read_as_json_whatever_the_content_type(client, content_type):
    await load_bash(client)
    headers = {"Content-Type": content_type} if content_type else {}
    response = await client.post(URL, content=b'{"execution_date": "2016-11-27T00:00:00"}', headers=headers)
    assert response.status_code == 200
    assert response.json()["execution_date"] == "2016-11-27T00:00:00+00:00"


async def test_trailing_slash_is_the_same_route(client):
    await load_bash(client)
    response = await client.post(f"{URL}/", json={"execution_date": "2016-11-29T00:00:00"})
    assert response.status_code == 200
    assert response.json()["run_id"] == "manual__2016-11-29T00:00:00+00:00"


async def test_unknown_extra_keys_are_ignored(client):
    await load_bash(client)
    response = await trigger(client, {"execution_date": "2016-11-16", "include_deferred": True, "x": [1]})
    assert response.status_code == 200


# -- conf ------------------------------------------------------------------------------------------


async def test_conf_object_is_stored(client, clean_db):
    await load_bash(client)
    conf = {"key": "value", "n": 1, "nested": {"a": [1, 2]}}
    response = await trigger(client, {"conf": conf, "execution_date": "2016-11-01T00:00:00"})
    assert response.status_code == 200
    assert await stored_confs(clean_db) == [conf]


async def test_conf_as_json_string_is_decoded(client, clean_db):
    await load_bash(client)
    response = await trigger(client, {"conf": '{"key":"value"}', "execution_date": "2016-11-02"})
    assert response.status_code == 200
    assert await stored_confs(clean_db) == [{"key": "value"}]


async def test_conf_null_and_absent_store_no_conf(client, clean_db):
    await load_bash(client)
    assert (await trigger(client, {"conf": None, "execution_date": "2016-11-02"})).status_code == 200
    assert (await trigger(client, {"execution_date": "2016-11-03"})).status_code == 200
    assert await stored_confs(clean_db) == [None, None]


async def test_conf_empty_object_is_accepted(client, clean_db):
    await load_bash(client)
    assert (await trigger(client, {"conf": {}, "execution_date": "2016-11-03"})).status_code == 200
    assert await stored_confs(clean_db) == [{}]


@pytest.mark.parametrize(
    ("conf", "kind"),
    [([1, 2], "an array"), (5, "a number"), (1.5, "a number"), (True, "a boolean")],
    ids=repr,
)
async def test_conf_that_is_not_an_object_is_400(client, clean_db, conf, kind):
    await load_bash(client)
    response = await trigger(client, {"conf": conf, "execution_date": "2016-11-02"})
    assert response.status_code == 400
    assert error_body(response) == conf_error_body(f"conf is {kind}, not an object: {SEND_CONF}")
    assert await scalar(clean_db, "SELECT count(*) FROM dag_run") == 0


@pytest.mark.parametrize(
    ("conf", "problem"),
    [
        ("not json", "invalid literal, expected 'null' at line 1, column 1"),
        ('{"key": "value"', "unexpected end of data at line 1, column 16"),
        ("{'key': 'value'}", "unexpected character, expected a string key at line 1, column 2"),
        ('{"a": 1}\n{"b": 2}', "unexpected content after document at line 2, column 1"),
        ("", "Input is a zero-length, empty document at line 1, column 1"),
    ],
    ids=repr,
)
async def test_conf_string_that_is_not_json_says_where_the_parser_stopped(client, clean_db, conf, problem):
    await load_bash(client)
    response = await trigger(client, {"conf": conf, "execution_date": "2016-11-02"})
    assert response.status_code == 400
    assert error_body(response) == conf_error_body(NOT_JSON_CONF.format(problem))
    assert await scalar(clean_db, "SELECT count(*) FROM dag_run") == 0


@pytest.mark.parametrize(
    ("conf", "kind"),
    [
        ("[1, 2]", "an array"),
        ('"text"', "a string"),
        ("null", "null"),
        ("3", "a number"),
        ("true", "a boolean"),
    ],
)
async def test_conf_string_holding_json_that_is_not_an_object_says_what_it_holds(
    client, clean_db, conf, kind
):
    await load_bash(client)
    response = await trigger(client, {"conf": conf, "execution_date": "2016-11-02"})
    assert response.status_code == 400
    hint = f"conf is a string holding JSON {kind}, not an object: {SEND_CONF}"
    assert error_body(response) == conf_error_body(hint)
    assert await scalar(clean_db, "SELECT count(*) FROM dag_run") == 0


async def test_a_conf_number_too_large_to_read_is_400(client, clean_db):
    """An integer of 4,400 digits (over Python's int-string limit and a double's range), in conf
    or in a conf string."""
    await load_bash(client)
    number = "1" + "0" * 4400
    response = await client.post(URL, content=f'{{"conf": {{"n": {number}}}}}'.encode())
    assert response.status_code == 400
    assert error_body(response) == {
        "error": "Request body holds a number too large to read (line 1, column 16)"
    }
    response = await trigger(client, {"conf": f'{{"n": {number}}}'})
    assert response.status_code == 400
    assert error_body(response) == conf_error_body(
        "conf is a string holding a number too large to read (line 1, column 7)"
    )
    assert await scalar(clean_db, "SELECT count(*) FROM dag_run") == 0


async def test_conf_is_checked_before_the_date_and_the_dag(client):
    response = await trigger(client, {"conf": [1], "execution_date": "foo"}, dag_id="no_such_dag")
    assert response.status_code == 400
    assert error_body(response) == conf_error_body(f"conf is an array, not an object: {SEND_CONF}")


async def test_a_conf_string_answers_airflows_exact_sentence(client):
    """Airflow's own test of this endpoint posts this body and asserts the error text, exactly."""
    await load_bash(client)
    response = await trigger(client, {"conf": "This is a string not a dict"})
    assert response.status_code == 400
    assert error_body(response) == {
        "error": "Dag Run conf must be a dictionary object, other types are not supported",
        "detail": [
            {
                "loc": "body.conf",
                "msg": "conf is a string that is not valid JSON (unexpected character, expected a JSON "
                f"value at line 1, column 1): {SEND_CONF}",
            }
        ],
    }


async def test_the_error_is_the_first_problems_sentence_and_detail_lists_each(client):
    response = await trigger(client, {"run_id": "a/b", "conf": "[1]"})
    assert response.status_code == 400
    assert error_body(response) == {
        "error": "run_id must be 1 to 250 characters without '/', got 'a/b'",
        "detail": [
            {"loc": "body.run_id", "msg": "run_id must be 1 to 250 characters without '/', got 'a/b'"},
            {
                "loc": "body.conf",
                "msg": f"conf is a string holding JSON an array, not an object: {SEND_CONF}",
            },
        ],
    }
    response = await trigger(client, {"conf": "[1]", "replace_microseconds": "maybe"})
    assert error_body(response) == {
        "error": CONF_ERROR,
        "detail": [
            {
                "loc": "body.conf",
                "msg": f"conf is a string holding JSON an array, not an object: {SEND_CONF}",
            },
            {
                "loc": "body.replace_microseconds",
                "msg": "replace_microseconds must be true or false, got 'maybe'",
            },
        ],
    }


# -- run_id ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("run_id", "message"),
    [
        ("a/b", "run_id must be 1 to 250 characters without '/', got 'a/b'"),
        ("r" * 251, f"run_id must be 1 to 250 characters without '/', got '{'r' * 251}'"),
        (5, "run_id must be a string, got 5"),
        (["x"], "run_id must be a string, got ['x']"),
    ],
    ids=["slash", "too-long", "number", "list"],
)
async def test_invalid_run_id_is_400(client, run_id, message):
    await load_bash(client)
    response = await trigger(client, {"run_id": run_id, "execution_date": "2016-11-30"})
    assert response.status_code == 400
    assert error_body(response) == {"error": message, "detail": [{"loc": "body.run_id", "msg": message}]}


@pytest.mark.parametrize(
    "run_id",
    ["a\r\nSet-Cookie: x", "tab\there", "esc\x1b[31m", "del\x7f", "c1\x9b", "\u202edaily", "x\u2067y"],
)
async def test_a_run_id_with_control_or_bidi_characters_is_400(client, run_id):
    await load_bash(client)
    response = await trigger(client, {"run_id": run_id, "execution_date": "2016-11-30"})
    message = f"run_id must not contain control characters or bidirectional overrides, got {run_id!r}"
    assert response.status_code == 400
    assert error_body(response) == {"error": message, "detail": [{"loc": "body.run_id", "msg": message}]}
    assert (await client.get("/dags/example_bash/dag_runs")).json() == []


async def test_a_run_id_in_other_scripts_is_accepted(client):
    await load_bash(client)
    response = await trigger(client, {"run_id": "läuft_日次_\u200d", "execution_date": "2016-11-30"})
    assert response.status_code == 200
    assert response.json()["run_id"] == "läuft_日次_\u200d"


async def test_run_id_of_250_characters_is_accepted(client):
    await load_bash(client)
    response = await trigger(client, {"run_id": "r" * 250, "execution_date": "2016-11-30"})
    assert response.status_code == 200
    assert response.json()["run_id"] == "r" * 250


# -- execution_date --------------------------------------------------------------------------------


async def test_naive_date_is_in_the_default_timezone(settings, clean_db, clock):
    # Built from fresh Settings: model_copy (app_factory) would keep the cached `tz` of UTC.
    paris = Settings(**{**settings.model_dump(), "default_timezone": "Europe/Paris"})
    async with client_for(create_app(paris, engine=clean_db, clock=clock)) as client:
        await load_bash(client)
        response = await trigger(client, {"execution_date": "2016-11-16T12:34:15"})
        assert response.status_code == 200
        assert response.json()["execution_date"] == "2016-11-16T12:34:15+01:00"
        listed = (await client.get(URL)).json()
        assert [r["execution_date"] for r in listed] == ["2016-11-16T11:34:15+00:00"]


INVALID_DATES = [
    ("foo", "foo"),
    ("2016-13-01T00:00:00", "2016-13-01T00:00:00"),
    ("2016-02-30", "2016-02-30"),
    ("2016-11-16T25:00:00", "2016-11-16T25:00:00"),
    ("2016-11-16T11:34:15+24:00", "2016-11-16T11:34:15+24:00"),
    ("1479296055", "1479296055"),
    ("", ""),
    (1479296055, "1479296055"),
    (1.5, "1.5"),
]


@pytest.mark.parametrize(("value", "shown"), INVALID_DATES, ids=[repr(v) for v, _ in INVALID_DATES])
async def test_invalid_execution_date_is_400(client, clean_db, value, shown):
    await load_bash(client)
    response = await trigger(client, {"execution_date": value})
    assert response.status_code == 400
    assert error_body(response) == {"error": date_error(shown)}
    assert await scalar(clean_db, "SELECT count(*) FROM dag_run") == 0


# -- replace_microseconds --------------------------------------------------------------------------

MICRO_DATE = "2016-11-23T11:34:15.654321"


@pytest.mark.parametrize(
    ("value", "shown"), [("maybe", "maybe"), ("", ""), (1, "1"), (0, "0"), ([True], "[True]")], ids=repr
)
async def test_invalid_replace_microseconds_is_400(client, value, shown):
    await load_bash(client)
    response = await trigger(client, {"execution_date": MICRO_DATE, "replace_microseconds": value})
    assert response.status_code == 400
    message = f"replace_microseconds must be true or false, got '{shown}'"
    assert error_body(response) == {
        "error": message,
        "detail": [{"loc": "body.replace_microseconds", "msg": message}],
    }


# -- DAG checks ------------------------------------------------------------------------------------


async def test_start_date_from_default_args_applies(client):
    definition = {
        "dag_id": "defaults_dag",
        "default_args": {"start_date": "2020-01-01T00:00:00+00:00"},
        "tasks": [{"task_id": "only"}],
    }
    await put_dag(client, definition)
    response = await trigger(client, {"execution_date": "2019-12-31"}, dag_id="defaults_dag")
    assert response.status_code == 400
    assert error_body(response) == {
        "error": "The execution_date [2019-12-31T00:00:00+00:00] should be >= "
        "start_date [2020-01-01T00:00:00+00:00] from DAG's default_args"
    }


async def test_dag_without_start_date_accepts_any_date(client):
    await put_dag(client, {"dag_id": "undated", "tasks": [{"task_id": "only"}]})
    response = await trigger(client, {"execution_date": "1970-01-01"}, dag_id="undated")
    assert response.status_code == 200


# -- the created run -------------------------------------------------------------------------------


async def test_message_uses_the_clock_for_queued_at(client, clock):
    await load_bash(client)
    clock.advance(0.5)
    response = await trigger(client, {"execution_date": "2016-11-16T11:34:15"})
    assert response.json()["message"] == created(
        "2016-11-16 11:34:15+00:00",
        "manual__2016-11-16T11:34:15+00:00",
        queued_at="2026-11-24 02:49:29.597350+00:00",
    )


async def test_triggered_run_state_running_starts_the_run(app_factory):
    async with client_for(app_factory(triggered_run_state="running")) as client:
        await load_bash(client)
        response = await trigger(client, {"execution_date": "2016-11-16T11:34:15"})
        assert response.status_code == 200
        run_id = "manual__2016-11-16T11:34:15+00:00"
        assert response.json() == {
            "execution_date": "2016-11-16T11:34:15+00:00",
            "message": created("2016-11-16 11:34:15+00:00", run_id, state="running"),
            "run_id": run_id,
        }
        listed = (await client.get(URL)).json()
        assert [(r["state"], r["start_date"]) for r in listed] == [
            ("running", "2026-11-24T02:49:29.097350+00:00")
        ]


async def test_one_task_instance_per_task_is_created(client):
    await load_bash(client)
    await trigger(client, {"execution_date": "2016-11-16T11:34:15"})
    assert await ti_info(client, "2016-11-16T11:34:15", "extract") == {
        "task_id": "extract",
        "dag_id": "example_bash",
        "run_id": "manual__2016-11-16T11:34:15+00:00",
        "execution_date": "2016-11-16 11:34:15+00:00",
        "start_date": "None",
        "end_date": "None",
        "duration": "None",
        "state": "None",
        "try_number": "0",
        "max_tries": "2",
        "hostname": "",
        "unixname": "",
        "job_id": "None",
        "pool": "etl_pool",
        "pool_slots": "1",
        "queue": "default",
        "priority_weight": "3",
        "operator": "BashOperator",
        "queued_dttm": "None",
        "pid": "None",
        "executor_config": "{}",
        "updated_at": NOW,
    }
    transform = await ti_info(client, "2016-11-16T11:34:15", "transform")
    load = await ti_info(client, "2016-11-16T11:34:15", "load")
    assert (transform["max_tries"], transform["pool"], transform["priority_weight"]) == (
        "3",
        "default_pool",
        "2",
    )
    assert (load["max_tries"], load["pool"], load["priority_weight"]) == ("2", "default_pool", "1")


WEIGHTED_DAG = {
    # a -> b, a -> c, b -> d, c -> d, d -> e (a diamond, then a tail)
    "dag_id": "weighted",
    "start_date": "2016-01-01T00:00:00+00:00",
    "tasks": [
        {"task_id": "a", "priority_weight": 1},
        {"task_id": "b", "priority_weight": 2, "upstream": ["a"]},
        {"task_id": "c", "priority_weight": 3, "upstream": ["a"], "weight_rule": "upstream"},
        {"task_id": "d", "priority_weight": 4, "upstream": ["b", "c"], "weight_rule": "upstream"},
        {"task_id": "e", "priority_weight": 5, "upstream": ["d"], "weight_rule": "absolute"},
    ],
}
EXPECTED_WEIGHTS = {
    "a": 1 + 2 + 3 + 4 + 5,  # downstream: everything, d and e once each
    "b": 2 + 4 + 5,  # downstream: d, e
    "c": 3 + 1,  # upstream: a
    "d": 4 + 2 + 3 + 1,  # upstream: b, c, a once
    "e": 5,  # absolute
}


async def test_task_instance_priority_weight_follows_the_weight_rule(client):
    await put_dag(client, WEIGHTED_DAG)
    assert (await trigger(client, {"execution_date": "2016-11-16"}, dag_id="weighted")).status_code == 200
    weights = {
        task_id: (await ti_info(client, "2016-11-16", task_id, dag_id="weighted"))["priority_weight"]
        for task_id in EXPECTED_WEIGHTS
    }
    assert weights == {task_id: str(w) for task_id, w in EXPECTED_WEIGHTS.items()}


async def test_trigger_creates_task_instances_in_the_database(client, clean_db):
    await load_bash(client)
    await trigger(client, {"execution_date": "2016-11-16"})
    await trigger(client, {"execution_date": "2016-11-17"})
    assert await scalar(clean_db, "SELECT count(*) FROM dag_run") == 2
    assert await scalar(clean_db, "SELECT count(*) FROM task_instance") == 6
    assert await scalar(clean_db, "SELECT count(*) FROM dag_run WHERE external_trigger") == 2


# -- concurrency -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "date", "run_id"),
    [
        (
            {"execution_date": "2016-11-16T11:34:15"},
            "2016-11-16 11:34:15+00:00",
            "manual__2016-11-16T11:34:15+00:00",
        ),
        ({}, "2026-11-24 02:49:29+00:00", f"manual__{NOW_SECOND}"),
    ],
    ids=["dated", "now"],
)
async def test_concurrent_identical_triggers_make_exactly_one_run(client, clean_db, body, date, run_id):
    await load_bash(client)
    responses = await asyncio.gather(*(trigger(client, body) for _ in range(24)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * 23
    for response in responses:
        if response.status_code == 400:
            expected = {"error": duplicate_error(date, run_id)}
            if not body:
                expected["detail"] = [{"loc": "body.execution_date", "msg": SAME_SECOND_HINT}]
            assert error_body(response) == expected
    listed = (await client.get(URL)).json()
    assert [r["run_id"] for r in listed] == [run_id]
    assert await scalar(clean_db, "SELECT count(*) FROM dag_run") == 1
    assert await scalar(clean_db, "SELECT count(*) FROM task_instance") == 3


async def test_concurrent_triggers_of_one_run_id_make_exactly_one_run(client, clean_db):
    await load_bash(client)
    dates = [f"2016-11-{day:02d}" for day in range(1, 25)]
    responses = await asyncio.gather(
        *(trigger(client, {"run_id": "same", "execution_date": d}) for d in dates)
    )
    assert sorted(r.status_code for r in responses) == [200] + [400] * 23
    for date, response in zip(dates, responses, strict=True):
        if response.status_code == 400:
            assert error_body(response) == {"error": duplicate_error(f"{date} 00:00:00+00:00", "same")}
    assert await scalar(clean_db, "SELECT count(*) FROM dag_run") == 1
    assert await scalar(clean_db, "SELECT count(*) FROM task_instance") == 3


async def test_concurrent_triggers_with_different_dates_all_succeed(client, clean_db):
    await load_bash(client)
    dates = [f"2016-11-{day:02d}T00:00:00+00:00" for day in range(1, 25)]
    responses = await asyncio.gather(*(trigger(client, {"execution_date": d}) for d in dates))
    assert [r.status_code for r in responses] == [200] * 24
    listed = (await client.get(URL)).json()
    assert [r["execution_date"] for r in listed] == dates
    assert sorted(r["id"] for r in listed) == list(range(1, 25))
    assert await scalar(clean_db, "SELECT count(*) FROM dag_run") == 24
    assert await scalar(clean_db, "SELECT count(*) FROM task_instance") == 72


# -- the latest-run pointer (migration 0003) ------------------------------------------------------


async def latest_date(client: httpx.AsyncClient) -> str | None:
    items = (await client.get("/latest_runs")).json()["items"]
    return items[0]["execution_date"] if items else None


async def test_concurrent_triggers_of_one_dag_leave_the_latest_run_latest(client, clean_db):
    """Whatever order 24 concurrent inserts commit in, latest_runs names the greatest date."""
    await load_bash(client)
    dates = [f"2016-11-{day:02d}T00:00:00+00:00" for day in (7, 24, 3, 19, 1, 12, 22, 9, 15, 4, 18, 2)]
    for month in ("2016-11", "2016-12"):
        batch = [d.replace("2016-11", month) for d in dates]
        responses = await asyncio.gather(*(trigger(client, {"execution_date": d}) for d in batch))
        assert [r.status_code for r in responses] == [200] * len(batch)
        assert await latest_date(client) == f"{month}-24T00:00:00+00:00"
    pointer = "SELECT latest_run_id = (SELECT max(id) FROM dag_run WHERE execution_date = latest_execution_date) FROM dag"
    assert await scalar(clean_db, pointer) in (True, 1)


async def test_an_older_run_does_not_move_the_latest_and_deleting_the_latest_falls_back(client, clean_db):
    await load_bash(client)
    for date in ("2016-11-20", "2016-11-01", "2016-11-10"):
        assert (await trigger(client, {"execution_date": date})).status_code == 200
    assert await latest_date(client) == "2016-11-20T00:00:00+00:00"
    # Runs pruned with SQL, not through the API: the database keeps the pointer.
    async with clean_db.begin() as conn:
        await conn.execute(
            delete(dag_run).where(dag_run.c.execution_date > datetime(2016, 11, 15, tzinfo=UTC))
        )
    assert await latest_date(client) == "2016-11-10T00:00:00+00:00"
    async with clean_db.begin() as conn:
        await conn.execute(delete(dag_run))
    assert await latest_date(client) is None
    assert (await trigger(client, {"execution_date": "2016-11-05"})).status_code == 200
    assert await latest_date(client) == "2016-11-05T00:00:00+00:00"


async def test_one_statement_inserting_and_deleting_runs_of_several_dags_moves_each_pointer(client, clean_db):
    """Bulk SQL (migration 0006: on Postgres the pointer triggers run once per statement): each DAG
    points at its newest run after a multi-row INSERT and a multi-row DELETE, out of date order,
    an older run than the one already pointed at moving nothing."""
    for name in ("example_bash", "simple_dag", "lineage_dag"):
        await put_dag(client, REFERENCE_DAGS_DIR / f"{name}.json")
    assert (await trigger(client, {"execution_date": "2016-11-20"}, dag_id="simple_dag")).status_code == 200
    rows = [
        ("example_bash", 3),
        ("simple_dag", 9),  # older than its triggered run
        ("example_bash", 9),
        ("lineage_dag", 2),
        ("example_bash", 5),
        ("simple_dag", 25),
        ("lineage_dag", 1),
    ]

    def run(dag_id: str, day: int) -> dict[str, Any]:
        date = datetime(2016, 11, day, tzinfo=UTC)
        return {"dag_id": dag_id, "run_id": f"bulk_{day}", "execution_date": date, "start_date": date}

    async with clean_db.begin() as conn:
        # One statement (VALUES with several rows; an executemany would be one statement a row).
        await conn.execute(
            dag_run.insert().values(
                [dict(run(d, day), state="success", external_trigger=False) for d, day in rows]
            )
        )
    await assert_pointers_agree_with_runs(clean_db)
    latest = {
        i["dag_id"]: i["execution_date"][:10] for i in (await client.get("/latest_runs")).json()["items"]
    }
    assert latest == {"example_bash": "2016-11-09", "lineage_dag": "2016-11-02", "simple_dag": "2016-11-25"}
    async with clean_db.begin() as conn:  # the newest of two DAGs, another run of the third
        await conn.execute(
            delete(dag_run).where(
                dag_run.c.run_id.in_(["bulk_9", "bulk_25", "bulk_1"]),
                dag_run.c.execution_date >= datetime(2016, 11, 1, tzinfo=UTC),
            )
        )
    await assert_pointers_agree_with_runs(clean_db)
    latest = {
        i["dag_id"]: i["execution_date"][:10] for i in (await client.get("/latest_runs")).json()["items"]
    }
    assert latest == {"example_bash": "2016-11-05", "lineage_dag": "2016-11-02", "simple_dag": "2016-11-20"}
    async with clean_db.begin() as conn:
        await conn.execute(delete(dag_run).where(dag_run.c.dag_id != "lineage_dag"))
    await assert_pointers_agree_with_runs(clean_db)
    assert [i["dag_id"] for i in (await client.get("/latest_runs")).json()["items"]] == ["lineage_dag"]


async def test_replacing_the_definition_keeps_the_latest_run(client):
    await load_bash(client)
    assert (await trigger(client, {"execution_date": "2016-11-20"})).status_code == 200
    await load_bash(client)  # PUT again: the definition is replaced, runs are kept
    assert await latest_date(client) == "2016-11-20T00:00:00+00:00"


async def latest_item(client: httpx.AsyncClient) -> dict[str, str] | None:
    items = (await client.get("/latest_runs")).json()["items"]
    return items[0] if items else None


async def assert_pointers_agree_with_runs(engine: AsyncEngine) -> None:
    """Every DAG's pointer names its newest run, with that run's date and start_date."""
    from app.db.models import dag

    async with engine.connect() as conn:
        pointers = (
            await conn.execute(
                select(
                    dag.c.dag_id, dag.c.latest_run_id, dag.c.latest_execution_date, dag.c.latest_start_date
                )
            )
        ).all()
        runs = (
            await conn.execute(
                select(dag_run.c.dag_id, dag_run.c.id, dag_run.c.execution_date, dag_run.c.start_date)
            )
        ).all()
    newest: dict[str, tuple[Any, ...]] = {}
    for dag_id, *run in runs:
        if dag_id not in newest or run[1] > newest[dag_id][1]:
            newest[dag_id] = tuple(run)
    assert {d: tuple(p) for d, *p in pointers} == {d: newest.get(d, (None, None, None)) for d, *_ in pointers}


async def set_ti_state(client: httpx.AsyncClient, date: str, state: str, task_id: str = "extract") -> None:
    response = await client.patch(f"{URL}/{date}/tasks/{task_id}", json={"state": state})
    assert response.status_code == 200, response.text


async def test_latest_runs_follow_the_latest_runs_start_date(client, clean_db, clock):
    """latest_runs reads the start_date kept on the dag row (migration 0004): starting, clearing
    and restarting the latest run show; starting an older run does not."""
    await load_bash(client)
    for date in ("2016-11-10", "2016-11-20"):
        assert (await trigger(client, {"execution_date": date})).status_code == 200
    assert (await latest_item(client))["start_date"] == ""  # type: ignore[index]
    await set_ti_state(client, "2016-11-10", "running")  # the older run
    assert (await latest_item(client))["start_date"] == ""  # type: ignore[index]
    await set_ti_state(client, "2016-11-20", "running")
    started = (await latest_item(client))["start_date"]  # type: ignore[index]
    assert started == clock.now.isoformat()
    response = await client.patch(f"{URL}/2016-11-20", json={"state": "queued"})  # cleared: no start
    assert response.status_code == 200, response.text
    assert (await latest_item(client))["start_date"] == ""  # type: ignore[index]
    clock.advance(5)
    await set_ti_state(client, "2016-11-20", "running")
    assert (await latest_item(client))["start_date"] == clock.now.isoformat()  # type: ignore[index]
    await assert_pointers_agree_with_runs(clean_db)


async def test_a_run_redated_with_sql_moves_the_pointer(client, clean_db):
    """Runs never change date through the API; an operator's UPDATE is followed all the same."""
    from sqlalchemy import update

    await load_bash(client)
    for date in ("2016-11-10", "2016-11-20"):
        assert (await trigger(client, {"execution_date": date})).status_code == 200
    async with clean_db.begin() as conn:
        await conn.execute(
            update(dag_run).where(dag_run.c.id == 1).values(execution_date=datetime(2016, 12, 1, tzinfo=UTC))
        )
    assert await latest_date(client) == "2016-12-01T00:00:00+00:00"
    async with clean_db.begin() as conn:
        await conn.execute(
            update(dag_run).where(dag_run.c.id == 1).values(execution_date=datetime(2016, 11, 1, tzinfo=UTC))
        )
    assert await latest_date(client) == "2016-11-20T00:00:00+00:00"
    await assert_pointers_agree_with_runs(clean_db)


async def test_concurrent_triggers_and_starts_keep_pointer_and_start_date_together(client, clean_db):
    """Runs triggered while earlier ones start: whatever the interleaving, each DAG's pointer names
    its newest run and carries that run's start_date."""
    await load_bash(client)
    dates = [f"2016-11-{day:02d}T00:00:00+00:00" for day in (7, 24, 3, 19, 1, 12, 22, 9, 15, 4, 18, 2)]
    for date in dates[:6]:
        assert (await trigger(client, {"execution_date": date})).status_code == 200

    async def start(date: str) -> None:
        await set_ti_state(client, date, "running")

    async def add(date: str) -> None:
        assert (await trigger(client, {"execution_date": date})).status_code == 200

    await asyncio.gather(*(start(d) for d in dates[:6]), *(add(d) for d in dates[6:]))
    await assert_pointers_agree_with_runs(clean_db)
    await asyncio.gather(*(start(d) for d in dates[6:]))
    await assert_pointers_agree_with_runs(clean_db)
    assert (await latest_item(client))["start_date"] != ""  # type: ignore[index]


# -- a large DAG -----------------------------------------------------------------------------------


async def test_trigger_of_a_10000_task_dag_creates_every_task_instance(client, clean_db):
    tasks = [{"task_id": "t00000"}] + [
        {"task_id": f"t{i:05d}", "upstream": [f"t{i // 2:05d}"]} for i in range(1, 10_000)
    ]
    definition = {"dag_id": "huge", "start_date": "2016-01-01T00:00:00+00:00", "tasks": tasks}
    response = await client.put(
        "/dags/huge", content=json.dumps(definition), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text
    response = await trigger(client, {"execution_date": "2016-11-16"}, dag_id="huge")
    assert response.status_code == 200
    count_sql = "SELECT count(*) FROM task_instance WHERE dag_id = 'huge'"
    assert await scalar(clean_db, count_sql) == 10_000
    # the root of this binary tree reaches every task downstream
    assert (await ti_info(client, "2016-11-16", "t00000", dag_id="huge"))["priority_weight"] == "10000"
    assert (await ti_info(client, "2016-11-16", "t09999", dag_id="huge"))["priority_weight"] == "1"

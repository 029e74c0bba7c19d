"""Triggering a run and its refusals (docs/api.md 3.1), in every world.

The body's own validation (conf, run_id, replace_microseconds values, JSON) is answered before any
backend is asked: tests/routers/test_trigger.py has it, with what only dagport's store shows (the
stored conf, queued_at from dagport's clock, a run created running, the one-statement trigger).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from app.core import messages
from tests.conformance.support import error_of, iso, shown, trigger, trigger_at
from tests.conftest import FakeClock

DAG = "conformance_chain"
OTHER = "conformance_lineage"
URL = f"/dags/{DAG}/dag_runs"
PLUS_TWO = timezone(timedelta(hours=2))


def assert_created(answer: dict, *, execution_date: str, run_id: str, dag_id: str = DAG) -> None:
    """The trigger's answer: the date as sent, the run id, Airflow's repr of the run as ``message``
    (queued_at is the backend's own: dagport's clock, or Airflow's)."""
    assert (answer["execution_date"], answer["run_id"]) == (execution_date, run_id)
    as_python = datetime.fromisoformat(execution_date)
    prefix = f"Created <DagRun {dag_id} @ {as_python}: {run_id}, state:queued, queued_at: "
    message = answer["message"]
    assert message.startswith(prefix) and message.endswith(". externally triggered: True>"), message
    datetime.fromisoformat(message[len(prefix) : -len(". externally triggered: True>")])


async def post(api: httpx.AsyncClient, body: dict, dag_id: str = DAG) -> httpx.Response:
    return await api.post(f"/dags/{dag_id}/dag_runs", json=body)


# -- the date and the run id ----------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"{}", b"  \n"], ids=["empty", "empty-object", "whitespace"])
async def test_an_empty_body_triggers_a_run_now_without_microseconds(api, clock: FakeClock, content):
    response = await api.post(URL, content=content)
    assert response.status_code == 200, response.text
    now = iso(clock.now.replace(microsecond=0))
    assert_created(response.json(), execution_date=now, run_id=f"manual__{now}")


async def test_a_given_run_id_is_used(api, day):
    answer = await trigger(api, DAG, run_id="my_custom_run", execution_date=iso(day))
    assert_created(answer, execution_date=iso(day), run_id="my_custom_run")


async def test_a_run_id_without_a_date_runs_now(api, clock: FakeClock):
    now = iso(clock.now.replace(microsecond=0))
    assert_created(await trigger(api, DAG, run_id="x"), execution_date=now, run_id="x")


@pytest.mark.parametrize("run_id", [None, ""], ids=["null", "empty"])
async def test_a_null_or_empty_run_id_is_generated(api, day, run_id):
    answer = await trigger(api, DAG, run_id=run_id, execution_date=iso(day))
    assert answer["run_id"] == f"manual__{iso(day)}"


# (request form, echoed form) of 11:34:15 on the test's day; see docs/api.md section 2.
DATE_FORMS = [
    ("%Y-%m-%dT11:34:15", "%Y-%m-%dT11:34:15+00:00"),
    ("%Y-%m-%dT11:34:15Z", "%Y-%m-%dT11:34:15+00:00"),
    ("%Y-%m-%dT11:34:15z", "%Y-%m-%dT11:34:15+00:00"),
    ("%Y-%m-%dT11:34:15+00:00", "%Y-%m-%dT11:34:15+00:00"),
    ("%Y-%m-%dT11:34:15+02:00", "%Y-%m-%dT11:34:15+02:00"),
    ("%Y-%m-%dT11:34:15-05:30", "%Y-%m-%dT11:34:15-05:30"),
    ("%Y-%m-%dT11:34:15.123456+02:00", "%Y-%m-%dT11:34:15.123456+02:00"),
    ("%Y-%m-%d", "%Y-%m-%dT00:00:00+00:00"),
    ("%Y-%m-%d 11:34:15", "%Y-%m-%dT11:34:15+00:00"),
    ("%Y-%m-%dT11:34", "%Y-%m-%dT11:34:00+00:00"),
    ("%Y-%m-%dT11:34:15.5", "%Y-%m-%dT11:34:15.500000+00:00"),
    ("%Y-%m-%dT11:34:15.123", "%Y-%m-%dT11:34:15.123000+00:00"),
    ("%Y-%m-%dT11:34:15.1234567", "%Y-%m-%dT11:34:15.123456+00:00"),
    ("%Y-%m-%dT11:34:15.123456789Z", "%Y-%m-%dT11:34:15.123456+00:00"),
    ("%Y%m%dT113415", "%Y-%m-%dT11:34:15+00:00"),
    ("%Y-%m-%dT11:34:15 00:00", "%Y-%m-%dT11:34:15+00:00"),
    ("%Y-%m-%dT11:34:15 02:00", "%Y-%m-%dT11:34:15+02:00"),
]


@pytest.mark.parametrize(("form", "echoed_form"), DATE_FORMS, ids=[f for f, _ in DATE_FORMS])
async def test_execution_date_forms_are_read_and_echoed(api, day, form, echoed_form):
    echoed = day.strftime(echoed_form)
    answer = await trigger(api, DAG, execution_date=day.strftime(form))
    assert_created(answer, execution_date=echoed, run_id=f"manual__{echoed}")


async def test_an_aware_date_is_the_run_of_its_utc_instant(api, day):
    await trigger(api, DAG, execution_date=day.replace(hour=13, tzinfo=PLUS_TWO).isoformat())
    listed = (await api.get(URL, params={"execution_date_gte": iso(day), "limit": 10})).json()
    assert [(r["execution_date"], r["run_id"]) for r in listed] == [
        (iso(day.replace(hour=11)), f"manual__{day.replace(hour=13, tzinfo=PLUS_TWO).isoformat()}")
    ]


async def test_a_null_execution_date_means_now(api, clock: FakeClock):
    answer = await trigger(api, DAG, execution_date=None)
    assert answer["execution_date"] == iso(clock.now.replace(microsecond=0))


async def test_a_bad_date_is_refused_before_the_dag_is_looked_up(api):
    response = await post(api, {"execution_date": "foo"}, dag_id="no_such_dag")
    assert (response.status_code, error_of(response)) == (400, {"error": messages.unreadable_date("foo")})


# -- replace_microseconds ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", [True, "true", "TRUE", "t", "y", "yes", "Yes", "1", "on", "ON"], ids=repr)
async def test_replace_microseconds_true_zeroes_them(api, day, value):
    answer = await trigger(
        api, DAG, execution_date=iso(day.replace(microsecond=654321)), replace_microseconds=value
    )
    assert_created(answer, execution_date=iso(day), run_id=f"manual__{iso(day)}")


@pytest.mark.parametrize(
    "body", [{"replace_microseconds": False}, {"replace_microseconds": "off"}, {}], ids=repr
)
async def test_replace_microseconds_false_or_absent_with_a_date_keeps_them(api, day, body):
    kept = day.replace(microsecond=654321)
    answer = await trigger(api, DAG, execution_date=iso(kept), **body)
    assert answer["execution_date"] == iso(kept)


async def test_replace_microseconds_null_without_a_date_zeroes_now(api, clock: FakeClock):
    answer = await trigger(api, DAG, replace_microseconds=None)
    assert answer["execution_date"] == iso(clock.now.replace(microsecond=0))


async def test_replace_microseconds_false_without_a_date_keeps_now(api, clock: FakeClock):
    answer = await trigger(api, DAG, replace_microseconds="false")
    assert_created(answer, execution_date=iso(clock.now), run_id=f"manual__{iso(clock.now)}")


# -- duplicates --------------------------------------------------------------------------------------


async def test_a_second_run_at_the_same_date_is_refused(api, day):
    await trigger_at(api, DAG, day)
    response = await post(api, {"execution_date": iso(day)})
    assert response.status_code == 400
    assert error_of(response) == {"error": messages.duplicate_run(DAG, shown(day), f"manual__{iso(day)}")}


async def test_the_same_instant_at_another_offset_is_refused_in_the_requested_form(api, day):
    await trigger_at(api, DAG, day)
    other = day.astimezone(PLUS_TWO)
    response = await post(api, {"execution_date": other.isoformat()})
    assert response.status_code == 400
    assert error_of(response) == {
        "error": messages.duplicate_run(DAG, str(other), f"manual__{other.isoformat()}")
    }


async def test_a_run_id_taken_at_another_date_is_refused(api, day, number):
    run_id = f"custom_{number}"
    await trigger_at(api, DAG, day, run_id=run_id)
    later = day + timedelta(days=1)
    response = await post(api, {"run_id": run_id, "execution_date": iso(later)})
    assert response.status_code == 400
    assert error_of(response) == {"error": messages.duplicate_run(DAG, shown(later), run_id)}


async def test_two_triggers_now_in_the_same_second_collide_with_the_hint(api, clock: FakeClock):
    await trigger(api, DAG, conf={"first": True})
    clock.advance(0.5)
    response = await post(api, {"conf": {"second": True}})
    second = clock.now.replace(microsecond=0)
    assert response.status_code == 400
    assert error_of(response) == {
        "error": messages.duplicate_run(DAG, shown(second), f"manual__{iso(second)}"),
        "detail": [{"loc": "body.execution_date", "msg": messages.SAME_SECOND_HINT}],
    }
    clock.advance(1)
    await trigger(api, DAG)


async def test_both_ways_out_the_hint_names_work_within_the_same_second(api, clock: FakeClock):
    await trigger(api, DAG)
    clock.advance(0.25)
    kept = await trigger(api, DAG, replace_microseconds=False)
    assert kept["execution_date"] == iso(clock.now)
    await trigger(api, DAG, execution_date=iso(clock.now.replace(microsecond=500000)))


@pytest.mark.parametrize("kind", ["run_id", "execution_date", "replace_microseconds"])
async def test_other_duplicates_get_no_same_second_hint(api, clock: FakeClock, number, kind):
    body = {
        "run_id": {"run_id": f"first_{number}"},
        "execution_date": {"execution_date": iso(clock.now.replace(microsecond=0))},
        "replace_microseconds": {"replace_microseconds": False},
    }[kind]
    await trigger(api, DAG, **body)
    response = await post(api, body)
    assert response.status_code == 400
    assert set(error_of(response)) == {"error"}


async def test_the_same_run_id_and_date_on_another_dag_is_fine(api, day, number):
    body = {"run_id": f"shared_{number}", "execution_date": iso(day)}
    await trigger(api, DAG, **body)
    await trigger(api, OTHER, **body)


# -- the DAG -----------------------------------------------------------------------------------------


async def test_an_unknown_dag_is_404(api, day):
    response = await post(api, {"execution_date": iso(day)}, dag_id="no_such_dag")
    assert (response.status_code, error_of(response)) == (
        404,
        {"error": messages.dag_not_found("no_such_dag")},
    )


async def test_a_date_before_the_dag_s_start_date_is_refused_and_creates_nothing(api):
    response = await post(api, {"execution_date": "2020-06-01T00:00:00"})
    assert response.status_code == 400
    assert error_of(response) == {
        "error": "The execution_date [2020-06-01T00:00:00+00:00] should be >= "
        "start_date [2021-01-01T00:00:00+00:00] from DAG's default_args"
    }
    assert (await api.get(f"{URL}/2020-06-01T00:00:00")).status_code == 404


async def test_the_start_date_is_compared_as_an_instant_and_is_itself_allowed(api):
    """2021-01-01T01:00+02:00 is before the start (shown with its offset); the start itself is allowed."""
    response = await post(api, {"execution_date": "2021-01-01T01:00:00+02:00"}, dag_id=OTHER)
    assert response.status_code == 400
    assert error_of(response) == {
        "error": "The execution_date [2021-01-01T01:00:00+02:00] should be >= "
        "start_date [2021-01-01T00:00:00+00:00] from DAG's default_args"
    }
    await trigger(api, OTHER, execution_date="2021-01-01T02:00:00+02:00")  # the start date, at +02:00


async def test_a_paused_dag_can_be_triggered(api, day):
    assert (await api.get(f"/dags/{DAG}/paused")).json() == {"is_paused": True}
    await trigger_at(api, DAG, day)


# -- the created run -----------------------------------------------------------------------------------


async def test_the_run_is_queued_not_started_with_one_task_instance_per_task(api, day):
    answer = await trigger_at(api, DAG, day)
    assert (await api.get(f"{URL}/{iso(day)}")).json() == {"state": "queued"}
    [listed] = (await api.get(URL, params={"execution_date_gte": iso(day), "limit": 5})).json()
    assert (listed["state"], listed["start_date"]) == ("queued", "")
    for task_id in ("extract", "transform", "load"):
        response = await api.get(f"{URL}/{iso(day)}/tasks/{task_id}")
        assert response.status_code == 200, response.text
        info = response.json()
        assert (info["task_id"], info["run_id"], info["state"], info["try_number"]) == (
            task_id,
            answer["run_id"],
            "None",
            "0",
        )

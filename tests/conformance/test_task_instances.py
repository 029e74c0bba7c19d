"""Task and task-instance info (docs/api.md 3.3), a worker's report of a task instance's state and
the run's state that follows (4.3), in every world.

tests/routers/test_tasks.py keeps what only dagport's store shows: the whole info of the reference
DAGs (operator arguments, email settings, weight rules), the exact dates and durations a report sets
by dagport's clock, the run's dates as stored, concurrent reports.
"""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from app.core import messages
from app.core.ports import Capability
from app.core.states import TASK_INSTANCE_STATES
from tests.conformance.support import (
    DECLARED,
    definition,
    error_of,
    iso,
    requires,
    settable,
    shown,
    trigger_at,
)
from tests.conftest import FakeClock

DAG = "conformance_chain"
URL = f"/dags/{DAG}/dag_runs"
TASK_KEYS = {
    "task_id", "dag_id", "operator", "owner", "email", "email_on_failure", "email_on_retry", "retries",
    "retry_delay", "retry_exponential_backoff", "max_retry_delay", "execution_timeout", "start_date",
    "end_date", "depends_on_past", "wait_for_downstream", "pool", "pool_slots", "queue",
    "priority_weight", "weight_rule", "trigger_rule", "params", "inlets", "outlets", "doc_md",
    "upstream_task_ids", "downstream_task_ids",
}  # fmt: skip
TI_KEYS = {
    "task_id", "dag_id", "run_id", "execution_date", "start_date", "end_date", "duration", "state",
    "try_number", "max_tries", "hostname", "unixname", "job_id", "pool", "pool_slots", "queue",
    "priority_weight", "operator", "queued_dttm", "pid", "executor_config", "updated_at",
}  # fmt: skip


def ti_url(when: datetime | str, task_id: str, dag_id: str = DAG) -> str:
    date = when if isinstance(when, str) else iso(when)
    return f"/dags/{dag_id}/dag_runs/{date}/tasks/{task_id}"


async def report(api: httpx.AsyncClient, when: datetime, task_id: str, state: str | None, **fields) -> dict:
    response = await api.patch(ti_url(when, task_id), json={"state": state, **fields})
    assert response.status_code == 200, response.text
    return response.json()


async def run_state(api: httpx.AsyncClient, when: datetime) -> str:
    response = await api.get(f"{URL}/{iso(when)}")
    assert response.status_code == 200, response.text
    return response.json()["state"]


# -- GET /dags/{dag_id}/tasks/{task_id} -----------------------------------------------------------


async def test_task_info_is_every_attribute_as_python_writes_it(api):
    response = await api.get(f"/dags/{DAG}/tasks/transform")
    assert response.status_code == 200, response.text
    info = response.json()
    assert TASK_KEYS <= set(info) and all(isinstance(v, str) for v in info.values())
    assert {
        k: info[k]
        for k in sorted(TASK_KEYS - {"email", "email_on_failure", "email_on_retry", "max_retry_delay"})
    } == {
        "task_id": "transform",
        "dag_id": DAG,
        "operator": "BashOperator",
        "owner": "airflow",
        "retries": "1",
        "retry_delay": "0:05:00",
        "retry_exponential_backoff": "False",
        "execution_timeout": "None",
        "start_date": "2021-01-01 00:00:00+00:00",
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
        "upstream_task_ids": "{'extract'}",
        "downstream_task_ids": "{'load'}",
    }


async def test_task_info_names_the_dag_before_the_task(api):
    response = await api.get("/dags/no_such_dag/tasks/no_such_task")
    assert (response.status_code, error_of(response)) == (
        404,
        {"error": messages.dag_not_found("no_such_dag")},
    )
    response = await api.get(f"/dags/{DAG}/tasks/produce")  # a task of another DAG
    assert (response.status_code, error_of(response)) == (
        404,
        {"error": messages.task_not_found(DAG, "produce")},
    )


# -- GET .../dag_runs/{execution_date}/tasks/{task_id} ---------------------------------------------------


@pytest.mark.parametrize(("task_id", "weight"), [("extract", "3"), ("transform", "2"), ("load", "1")])
async def test_a_fresh_task_instance(api, day, task_id, weight):
    answer = await trigger_at(api, DAG, day)
    response = await api.get(ti_url(day, task_id))
    assert response.status_code == 200, response.text
    info = response.json()
    assert set(info) == TI_KEYS and all(isinstance(v, str) for v in info.values())
    assert {k: info[k] for k in ("task_id", "dag_id", "run_id", "execution_date", "state", "try_number")} == {
        "task_id": task_id,
        "dag_id": DAG,
        "run_id": answer["run_id"],
        "execution_date": shown(day),
        "state": "None",
        "try_number": "0",
    }
    # max_tries is the task's retries; priority_weight the effective weight (downstream rule).
    assert (info["start_date"], info["end_date"], info["duration"], info["max_tries"]) == ("None",) * 3 + (
        "1",
    )
    assert (info["pool"], info["pool_slots"], info["queue"], info["priority_weight"]) == (
        "default_pool",
        "1",
        "default",
        weight,
    )
    assert (info["operator"], info["hostname"], info["pid"]) == ("BashOperator", "", "None")


@pytest.mark.parametrize(
    "form", ["%Y-%m-%dT11%%3A34%%3A15%%2B00%%3A00", "%Y-%m-%dT13:34:15+02:00", "%Y-%m-%d 11:34:15Z"]
)
async def test_a_task_instance_is_found_by_any_spelling_of_its_instant(api, day, form):
    when = day.replace(hour=11, minute=34, second=15)
    await trigger_at(api, DAG, when)
    response = await api.get(ti_url(when.strftime(form), "load"))
    assert (response.status_code, response.json()["execution_date"]) == (200, shown(when))


async def test_a_task_instance_lookup_reports_the_first_missing_part(api, day):
    await trigger_at(api, DAG, day)
    other_day = iso(day.replace(hour=1))
    cases = [
        (ti_url(other_day, "no_such_task", "no_such_dag"), messages.dag_not_found("no_such_dag")),
        (ti_url(other_day, "no_such_task"), messages.task_not_found(DAG, "no_such_task")),
        (ti_url(other_day, "extract"), messages.run_not_found(DAG, shown(day.replace(hour=1)))),
        (
            ti_url(f"{day:%Y-%m-%d}T03:00:00%2B02:00", "extract"),
            f"Dag Run for date {day:%Y-%m-%d} 03:00:00+02:00 not found in dag {DAG}",
        ),
    ]
    for url, message in cases:
        for method in ("GET", "PATCH"):
            response = await api.request(method, url, json={"state": "success"})
            assert (response.status_code, error_of(response)) == (404, {"error": message}), (method, url)


async def test_a_bad_date_is_checked_first(api):
    response = await api.get(ti_url("foo", "no_such_task", "no_such_dag"))
    assert (response.status_code, error_of(response)) == (400, {"error": messages.unreadable_date("foo")})


@requires(Capability.DEFINITIONS)
async def test_a_task_added_after_the_trigger_has_no_instance_in_the_run(api, day):
    await trigger_at(api, DAG, day)
    changed = definition(DAG)
    changed["tasks"].append({"task_id": "report", "upstream": ["load"]})
    assert (await api.put(f"/dags/{DAG}", json=changed)).status_code == 200
    for method in ("GET", "PATCH"):
        response = await api.request(method, ti_url(day, "report"), json={"state": "running"})
        assert (response.status_code, error_of(response)) == (
            404,
            {"error": messages.task_instance_not_found("report", shown(day))},
        )
    assert await run_state(api, day) == "queued"


# -- PATCH .../tasks/{task_id}: what a client may set ------------------------------------------------------


@pytest.mark.parametrize("state", TASK_INSTANCE_STATES, ids=str)
async def test_a_report_sets_a_settable_state_and_refuses_the_others(api, world, day, state):
    """Every state of docs/api.md 4.3 is accepted where the backend lets a client set it (its
    capabilities), and refused with the contract's text otherwise: docs/airflow.md, The mapping."""
    await trigger_at(api, DAG, day)
    settable_states = DECLARED[world].settable_task_instance_states
    response = await api.patch(ti_url(day, "extract"), json={"state": state})
    if state in settable_states:
        assert response.status_code == 200, response.text
        assert response.json()["state"] == str(state)
        assert (await api.get(ti_url(day, "extract"))).json()["state"] == str(state)
    else:
        assert (response.status_code, error_of(response)) == (
            400,
            {"error": messages.task_instance_state_not_settable(settable_states, state)},
        )
        assert (await api.get(ti_url(day, "extract"))).json()["state"] == "None"


async def test_a_state_a_client_cannot_set_is_still_a_404_for_what_is_missing(api, day):
    response = await api.patch(ti_url(day, "extract"), json={"state": "up_for_reschedule"})
    assert (response.status_code, error_of(response)) == (
        404,
        {"error": messages.run_not_found(DAG, shown(day))},
    )


async def test_reporting_the_state_a_task_instance_is_in_changes_nothing(api, day):
    await trigger_at(api, DAG, day)
    first = await report(api, day, "load", "skipped")
    assert await report(api, day, "load", "skipped") == first


# -- the fields a report sets (docs/api.md 4.3) ------------------------------------------------------------


@requires(Capability.WORKER_REPORTS, settable("running"))
async def test_running_starts_an_attempt_with_the_worker_s_fields(api, day, clock: FakeClock):
    await trigger_at(api, DAG, day)
    info = await report(api, day, "extract", "running", hostname="worker-1", pid=4242, unixname="airflow")
    assert (info["state"], info["try_number"], info["start_date"]) == ("running", "1", shown(clock.now))
    assert (info["hostname"], info["pid"], info["unixname"]) == ("worker-1", "4242", "airflow")
    assert (await api.get(ti_url(day, "extract"))).json() == info
    await report(api, day, "extract", "up_for_retry")
    clock.advance(60)
    again = await report(api, day, "extract", "running")
    assert (again["try_number"], again["start_date"], again["hostname"]) == (
        "2",
        shown(clock.now),
        "worker-1",
    )


@requires(Capability.WORKER_REPORTS, settable("running"))
@pytest.mark.parametrize("state", ["success", "failed", "skipped", "upstream_failed"])
async def test_a_finished_state_sets_the_end_and_the_duration(api, day, clock: FakeClock, state):
    await trigger_at(api, DAG, day)
    await report(api, day, "load", "running")
    clock.advance(12.5)
    info = await report(api, day, "load", state)
    assert (info["state"], info["end_date"], info["duration"]) == (state, shown(clock.now), "12.5")


@requires(Capability.WORKER_REPORTS)
async def test_a_task_instance_finished_without_starting_has_no_duration(api, day, clock: FakeClock):
    await trigger_at(api, DAG, day)
    clock.advance(5)
    info = await report(api, day, "load", "skipped")
    assert (info["start_date"], info["end_date"], info["duration"]) == ("None", shown(clock.now), "None")


# -- the run's state follows (docs/api.md 4.3) ----------------------------------------------------------------


@requires(Capability.DERIVED_RUN_STATE, settable("running"))
async def test_running_moves_a_queued_run_to_running(api, day):
    await trigger_at(api, DAG, day)
    await report(api, day, "extract", "running")
    assert await run_state(api, day) == "running"


@requires(Capability.DERIVED_RUN_STATE)
async def test_the_run_succeeds_when_every_task_instance_is_finished_without_failure(api, day):
    await trigger_at(api, DAG, day)
    await report(api, day, "extract", "success")
    await report(api, day, "transform", "skipped")
    assert await run_state(api, day) == "queued"
    await report(api, day, "load", "success")
    assert await run_state(api, day) == "success"


@requires(Capability.DERIVED_RUN_STATE, settable("upstream_failed"))
@pytest.mark.parametrize("bad_state", ["failed", "upstream_failed"])
async def test_the_run_fails_when_every_task_instance_is_finished_and_one_failed(api, day, bad_state):
    await trigger_at(api, DAG, day)
    await report(api, day, "extract", "success")
    await report(api, day, "transform", "skipped")
    await report(api, day, "load", bad_state)
    assert await run_state(api, day) == "failed"


@requires(Capability.DERIVED_RUN_STATE)
async def test_a_run_of_skipped_task_instances_succeeds(api, day):
    await trigger_at(api, DAG, day)
    for task_id in ("extract", "transform", "load"):
        await report(api, day, task_id, "skipped")
    assert await run_state(api, day) == "success"


@requires(Capability.DERIVED_RUN_STATE, settable("up_for_retry"))
async def test_an_unfinished_task_instance_leaves_the_run_unfinished(api, day):
    await trigger_at(api, DAG, day)
    await report(api, day, "extract", "success")
    await report(api, day, "transform", "success")
    await report(api, day, "load", "up_for_retry")
    assert await run_state(api, day) == "queued"


@requires(
    Capability.DERIVED_RUN_STATE,
    settable("running"),
    settable("queued"),
    settable("up_for_retry"),
    settable(None),
)
@pytest.mark.parametrize("finished", ["success", "failed"])
@pytest.mark.parametrize("unfinished", ["running", "queued", "up_for_retry", None])
async def test_an_unfinished_report_reopens_a_finished_run(api, day, finished, unfinished):
    await trigger_at(api, DAG, day)
    for task_id in ("extract", "transform", "load"):
        await report(api, day, task_id, finished)
    assert await run_state(api, day) == finished
    await report(api, day, "transform", unfinished)
    assert await run_state(api, day) == "running"
    await report(api, day, "transform", finished)
    assert await run_state(api, day) == finished

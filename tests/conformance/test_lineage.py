"""A run's lineage (docs/api.md 3.5), in every world.

What lineage a run shows is each backend's account (Capability.RECORDED_LINEAGE: what success
reports recorded, in dagport's store; in front of Airflow, its assets: docs/airflow.md, What
differs); the recorded lineage's details (overrides, a later success, run state changes) are in
tests/routers/test_lineage.py.
"""

from __future__ import annotations

import pytest

from app.core import messages
from app.core.ports import Capability
from tests.conformance.support import error_of, iso, requires, shown, trigger_at

DAG = "conformance_lineage"


async def test_a_run_without_lineage_has_none(api, day):
    await trigger_at(api, DAG, day)
    response = await api.get(f"/lineage/{DAG}/{iso(day)}")
    assert response.status_code == 200, response.text
    assert response.json() == {"message": messages.lineage_of(DAG, shown(day)), "task_ids": {}}


@pytest.mark.parametrize("form", ["%Y-%m-%dT02:00:00%%2B02:00", "%Y-%m-%dT00:00:00Z"])
async def test_the_message_names_the_date_as_requested(api, day, form):
    await trigger_at(api, DAG, day)
    response = await api.get(f"/lineage/{DAG}/{day.strftime(form)}/")  # a trailing slash too
    assert response.status_code == 200, response.text
    requested = day.strftime(form).replace("%2B", "+").replace("T", " ").replace("Z", "+00:00")
    assert response.json()["message"] == f"Lineage for dag {DAG} at {requested}"


async def test_an_unknown_dag_then_an_unknown_run_are_404(api, day):
    response = await api.get(f"/lineage/no_such_dag/{iso(day)}")
    assert (response.status_code, error_of(response)) == (
        404,
        {"error": messages.dag_not_found("no_such_dag")},
    )
    response = await api.get(f"/lineage/{DAG}/{day:%Y-%m-%d}T02:00:00%2B02:00")
    assert (response.status_code, error_of(response)) == (
        404,
        {"error": f"Dag Run for date {day:%Y-%m-%d} 02:00:00+02:00 not found in dag {DAG}"},
    )


@pytest.mark.parametrize("dag_id", [DAG, "no_such_dag"])
async def test_a_bad_date_is_checked_first(api, dag_id):
    response = await api.get(f"/lineage/{dag_id}/foo")
    assert (response.status_code, error_of(response)) == (400, {"error": messages.unreadable_date("foo")})


@requires(Capability.RECORDED_LINEAGE)
async def test_a_success_report_records_the_task_s_lineage(api, day):
    await trigger_at(api, DAG, day)
    asset = {"type": "Asset", "uri": "conformance://lineage/data"}
    response = await api.patch(f"/dags/{DAG}/dag_runs/{iso(day)}/tasks/produce", json={"state": "success"})
    assert response.status_code == 200, response.text
    lineage = (await api.get(f"/lineage/{DAG}/{iso(day)}")).json()
    assert lineage["task_ids"] == {"produce": {"inlets": [], "outlets": [asset]}}

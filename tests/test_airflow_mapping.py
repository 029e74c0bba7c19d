"""The pure mapping functions from Airflow 3's REST API v2 answers to what dagport's APIs answer,
on answers recorded from a real Airflow (tests/data/airflow-v2/, written by ``python -m tests.record_v2``):
the experimental API's results (app/airflow/mapping.py) and /api/v1's bodies (app/schemas/v1/).
No Airflow runs here: a change of Airflow's shapes shows up as a changed recording."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.airflow import mapping
from app.core.results import Dag, Pool, Run
from app.gateway import models as v2
from app.schemas.v1.dag_runs import dag_run
from app.schemas.v1.monitor import health_info, version_info
from app.schemas.v1.pools import pool_info
from app.schemas.v1.task_instances import task_instance

RECORDED = Path(__file__).resolve().parent / "data" / "airflow-v2"
ASSET = {"type": "Asset", "uri": "dagport://example/out", "name": "dagport://example/out"}


def recorded(name: str) -> Any:
    return json.loads((RECORDED / f"{name}.json").read_text())


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_the_recording_is_of_the_airflow_the_suite_runs() -> None:
    pinned = (Path(__file__).resolve().parents[1] / "requirements" / "airflow.in").read_text()
    version = (RECORDED / "VERSION").read_text().strip()
    assert f"apache-airflow[postgres]=={version}" in pinned


# -- the experimental API's results -----------------------------------------------------------------


def test_a_run_is_dated_by_its_logical_date_and_triggered_from_outside() -> None:
    run = v2.DagRun.model_validate(recorded("dag_run"))
    assert mapping.to_run(run) == Run(
        dag_id="dagport_echo",
        run_id="recorded_echo",
        execution_date=at("2025-01-02T03:04:05+00:00"),
        state="success",
        start_date=at("2026-12-07T20:39:27.097614+00:00"),
        end_date=at("2026-12-07T20:39:32.447774+00:00"),
        queued_at=at("2026-12-07T20:39:26.819913+00:00"),
        external_trigger=True,
    )


def test_a_task_instance_takes_its_run_s_date_and_airflow_s_queued_time() -> None:
    run = v2.DagRun.model_validate(recorded("dag_run"))
    ti = mapping.to_task_instance(v2.TaskInstance.model_validate(recorded("task_instance")), run)
    assert (ti.task_id, ti.run_id, ti.execution_date, ti.state, ti.try_number, ti.max_tries) == (
        "echo_conf",
        "recorded_echo",
        at("2025-01-02T03:04:05+00:00"),
        "success",
        1,
        0,
    )
    assert (ti.queued_dttm, ti.duration, ti.pool, ti.operator, ti.job_id, ti.updated_at) == (
        at("2026-12-07T20:39:31.348619+00:00"),
        0.193625,
        "default_pool",
        "_PythonDecoratedOperator",
        None,
        None,
    )


def test_a_task_s_numbers_timedeltas_and_neighbours() -> None:
    tasks = v2.TaskCollection.model_validate(recorded("tasks")).tasks
    assert mapping.upstream_of(tasks) == {"echo_conf": ["prepare"]}
    task = mapping.to_task("dagport_echo", v2.Task.model_validate(recorded("task")), [], [], [ASSET])
    assert (
        task.operator,
        task.owner,
        task.retries,
        task.retry_delay,
        task.pool_slots,
        task.priority_weight,
    ) == (
        "BashOperator",
        "airflow",
        0,
        300.0,
        1,
        1,
    )
    assert (task.start_date, task.downstream_task_ids, task.outlets, task.email, task.arguments) == (
        at("2024-01-01T00:00:00+00:00"),
        ["echo_conf"],
        [ASSET],
        None,
        {},
    )


def test_declared_inlets_and_outlets_come_from_the_assets_naming_the_tasks() -> None:
    assets = v2.AssetCollection.model_validate(recorded("assets")).assets
    assert mapping.declared(assets, "dagport_assets") == ({"consume": [ASSET]}, {"produce": [ASSET]})
    assert mapping.declared(assets, "another_dag") == ({}, {})


def test_a_pool_and_a_dag() -> None:
    assert mapping.to_pool(1, v2.Pool.model_validate(recorded("pool"))) == Pool(
        id=1, pool="default_pool", slots=128, description="Default pool", include_deferred=False
    )
    dag = mapping.to_dag(v2.DagDetails.model_validate(recorded("dag_details")), ["prepare", "echo_conf"])
    assert dag == Dag(
        dag_id="dagport_echo",
        description=None,
        is_paused=False,
        owners=["airflow"],
        tags=["dagport"],
        schedule_interval=None,
        start_date=at("2024-01-01T00:00:00+00:00"),
        fileloc="/opt/airflow/dags/dagport_echo.py",
        tasks=["prepare", "echo_conf"],
    )


# -- /api/v1's bodies ------------------------------------------------------------------------------


def test_a_v1_run_is_airflow_2_s_shape_of_airflow_3_s_run() -> None:
    assert dag_run(v2.DagRun.model_validate(recorded("dag_run"))) == {
        "conf": {"marker": 1},
        "dag_id": "dagport_echo",
        "dag_run_id": "recorded_echo",
        "data_interval_end": "2025-01-02T03:04:05+00:00",
        "data_interval_start": "2025-01-02T03:04:05+00:00",
        "end_date": "2026-12-07T20:39:32.447774+00:00",
        "execution_date": "2025-01-02T03:04:05+00:00",
        "external_trigger": True,
        "last_scheduling_decision": "2026-12-07T20:39:32.445113+00:00",
        "logical_date": "2025-01-02T03:04:05+00:00",
        "note": None,
        "run_type": "manual",
        "start_date": "2026-12-07T20:39:27.097614+00:00",
        "state": "success",
    }


def test_a_v1_task_instance_has_what_airflow_2_had_and_3_dropped() -> None:
    body = task_instance(v2.TaskInstance.model_validate(recorded("task_instance")))
    assert {k: body[k] for k in ("execution_date", "sla_miss", "queued_when", "map_index", "trigger")} == {
        "execution_date": "2025-01-02T03:04:05+00:00",
        "sla_miss": None,
        "queued_when": "2026-12-07T20:39:31.348619+00:00",
        "map_index": -1,
        "trigger": None,
    }
    assert (body["try_number"], body["state"], body["operator"], body["executor_config"]) == (
        1,
        "success",
        "_PythonDecoratedOperator",
        "{}",
    )


def test_a_v1_pool_health_and_version() -> None:
    assert pool_info(v2.Pool.model_validate(recorded("pool"))) == {
        "deferred_slots": 0,
        "description": "Default pool",
        "include_deferred": False,
        "name": "default_pool",
        "occupied_slots": 0,
        "open_slots": 128,
        "queued_slots": 0,
        "running_slots": 0,
        "scheduled_slots": 0,
        "slots": 128,
    }
    health = health_info(recorded("health"))
    assert set(health) == {"metadatabase", "scheduler", "triggerer", "dag_processor"}
    assert health["metadatabase"] == {"status": "healthy"}
    assert health["scheduler"]["latest_scheduler_heartbeat"].endswith("+00:00")
    assert version_info(recorded("version")) == {
        "version": "3.3.2",
        "git_version": recorded("version")["git_version"],
    }


def test_times_keep_their_instant_whatever_the_recorded_zone() -> None:
    run = v2.DagRun.model_validate({**recorded("dag_run"), "logical_date": "2025-01-02T05:04:05+02:00"})
    assert mapping.to_run(run).execution_date == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)

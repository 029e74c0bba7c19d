"""``python -m tests.record_v2``: records what a real Airflow answers on its REST API v2, for the unit
tests of the pure mapping functions (tests/test_airflow_mapping.py, tests/test_v1_mapping.py).

Starts Airflow as the tests do (tests/airflow_deployment.py, the DAGs of tests/airflow_dags/),
triggers dagport_echo (with a conf) and dagport_assets once each at fixed logical dates, waits for
both to succeed, then writes each answer listed in :data:`RECORDED` as pretty JSON to
tests/data/airflow-v2/<name>.json (the DAGs folder's path written as /opt/airflow/dags), and the
Airflow version to tests/data/airflow-v2/VERSION. Run it
again after changing the Airflow in requirements/airflow.in, and look at the diff.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests import postgres
from tests.airflow_deployment import DAGS_FOLDER, AirflowDeployment, ensure_venv

OUT = Path(__file__).resolve().parent / "data" / "airflow-v2"
# Where the recording says the DAG files were (the checkout's path is nobody else's business).
RECORDED_DAGS_FOLDER = "/opt/airflow/dags"
ECHO_RUN = {"dag_run_id": "recorded_echo", "logical_date": "2025-01-02T03:04:05+00:00", "conf": {"marker": 1}}
ASSETS_RUN = {"dag_run_id": "recorded_assets", "logical_date": "2025-01-03T00:00:00+00:00"}

# name: (path under /api/v2, query)
RECORDED: dict[str, tuple[str, dict[str, Any]]] = {
    "version": ("/version", {}),
    "health": ("/monitor/health", {}),
    "dag": ("/dags/dagport_echo", {}),
    "dag_details": ("/dags/dagport_echo/details", {}),
    "dags": ("/dags", {"order_by": "dag_id", "limit": 3}),
    "tasks": ("/dags/dagport_echo/tasks", {}),
    "task": ("/dags/dagport_echo/tasks/prepare", {}),
    "dag_run": ("/dags/dagport_echo/dagRuns/recorded_echo", {}),
    "dag_runs": ("/dags/dagport_echo/dagRuns", {"order_by": "logical_date"}),
    "task_instance": ("/dags/dagport_echo/dagRuns/recorded_echo/taskInstances/echo_conf", {}),
    "task_instances": ("/dags/dagport_echo/dagRuns/recorded_echo/taskInstances", {}),
    "xcom_entry": (
        "/dags/dagport_echo/dagRuns/recorded_echo/taskInstances/echo_conf/xcomEntries/return_value",
        {},
    ),
    "pool": ("/pools/default_pool", {}),
    "pools": ("/pools", {}),
    "assets": ("/assets", {"dag_ids": "dagport_assets"}),
    "asset_events": (
        "/assets/events",
        {"source_dag_id": "dagport_assets", "source_run_id": "recorded_assets"},
    ),
    "dag_source": ("/dagSources/dagport_echo", {}),
}


async def record(airflow: AirflowDeployment) -> None:
    for dag_id, body in (("dagport_echo", ECHO_RUN), ("dagport_assets", ASSETS_RUN)):
        await airflow.wait_dag(dag_id)
        answer = await airflow.api("POST", f"/dags/{dag_id}/dagRuns", json=body)
        assert answer.status_code == 200, answer.text
        finished = await airflow.wait_run(dag_id, body["dag_run_id"], within=300)
        assert finished["state"] == "success", finished
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (path, query) in RECORDED.items():
        answer = await airflow.api("GET", path, params=query)
        assert answer.status_code == 200, (path, answer.text)
        text = json.dumps(answer.json(), indent=2, sort_keys=True) + "\n"
        (OUT / f"{name}.json").write_text(text.replace(str(DAGS_FOLDER), RECORDED_DAGS_FOLDER))
    version = (await airflow.api("GET", "/version")).json()["version"]
    (OUT / "VERSION").write_text(version + "\n")
    print(f"recorded {len(RECORDED)} answers of Airflow {version} in {OUT}", file=sys.stderr)


async def main_async() -> int:
    with tempfile.TemporaryDirectory(prefix="dagport-record-v2-") as work:
        airflow = AirflowDeployment(ensure_venv(), Path(work))
        await airflow.start()
        try:
            await record(airflow)
        finally:
            await airflow.stop()
    return 0


def main() -> int:
    with postgres.suite_postgres():
        return asyncio.run(main_async())


if __name__ == "__main__":
    sys.exit(main())

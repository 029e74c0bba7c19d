"""A real Airflow 3.3.2 in the starting state of the v1 recording
(tests/data/airflow-2.11-v1-transcripts.jsonl, recorded against Airflow 2.11.2 after a reset), for
replaying that recording against dagport's ``/api/v1`` in front of it (tests/v1_replay.py).

:func:`start_v1_airflow` starts an :class:`~tests.airflow_deployment.AirflowDeployment` over the DAG
files of tests/v1_airflow_dags/ (the recording's, ported to Airflow 3 imports) with the api-server
ONLY, and :func:`bring_to_recorded_state` makes, in the recording's order:

- through Airflow's REST API v2: the pools ``etl_pool`` (4, "ETL pool") and ``reporting``
  (2, "Reporting pool") besides ``default_pool``; the variables ``greeting``, ``settings`` and
  ``api_password``; the connections ``ref_postgres`` and ``ref_http``; all as the recording's
  answers show them (:data:`POOLS`, :data:`VARIABLES`, :data:`CONNECTIONS`).
- through Airflow's own Python functions in Airflow's venv (tests/v1_airflow_runs.py, which says
  why the CLI cannot): one finished ``success`` run ``manual__2016-11-16T00:00:00+00:00`` at logical
  date 2016-11-16T00:00:00+00:00, started at that date as ``airflow dags test`` starts it, for each
  of :data:`FINISHED_DAGS`, its tasks run as real task processes (task log files, XComs,
  dataset_producer's asset event 1); then the parse of every DAG file: the DAGs (created paused),
  import error 1 for broken_dag.py and warning_dag's "non-existent pool" DAG warning.

No scheduler, dag-processor or triggerer ever runs, as in the recording: runs triggered during a
replay stay ``queued``, a deleted DAG is not parsed back, and ``/monitor/health`` answers as the
recording's ``/health`` did (scheduler "unhealthy" without a heartbeat, dag-processor and triggerer
null). The whole takes about 30 s on two cores, measured in ``deployment.timings``: ``migrate``
6-8 s, the api-server ``healthy`` 9-11 s, ``v1_state`` (this module) 11-16 s.

Not reproduced, because the recording does not show it: ``ref_postgres``'s password (v1 never
answers it; :data:`CONNECTIONS` sets one). Event-log rows are this deployment's own history.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.airflow_deployment import AirflowDeployment, AirflowFailed, Say, say_to_stderr

HERE = Path(__file__).resolve().parent
V1_DAGS_FOLDER = HERE / "v1_airflow_dags"
RUNS_SCRIPT = HERE / "v1_airflow_runs.py"

RUN_ID = "manual__2016-11-16T00:00:00+00:00"
LOGICAL_DATE = "2016-11-16T00:00:00Z"  # as Airflow's v2 writes it
FINISHED_DAGS = ("example_bash", "lineage_dag", "xcom_dag", "dataset_producer")
DAG_IDS = (
    "dataset_consumer", "dataset_producer", "example_bash", "lineage_dag", "simple_dag", "throwaway_dag",
    "warning_dag", "xcom_dag",
)  # fmt: skip
BROKEN_FILE = "broken_dag.py"
WARNING = (
    "warning_dag",
    "non-existent pool",
    "Dag 'warning_dag' references non-existent pools: ['nonexistent_pool']",
)

# The recording's pools_list, variables_list, connections_list and connection_get answers.
POOLS = (
    {"name": "etl_pool", "slots": 4, "description": "ETL pool"},
    {"name": "reporting", "slots": 2, "description": "Reporting pool"},
)
VARIABLES = (
    {"key": "greeting", "value": "hello world", "description": "A plain string variable"},
    {"key": "settings", "value": '{"retries": 3, "regions": ["eu", "us"]}', "description": None},
    {"key": "api_password", "value": "s3cr3t", "description": None},
)
CONNECTIONS = (
    {
        "connection_id": "ref_postgres",
        "conn_type": "postgres",
        "description": "Warehouse database",
        "host": "db.example.com",
        "port": 5432,
        "login": "etl",
        "password": "etl-password",  # never shown by v1: any value
        "schema": "warehouse",
        "extra": None,
    },
    {
        "connection_id": "ref_http",
        "conn_type": "http",
        "description": None,
        "host": "api.example.com",
        "port": None,
        "login": None,
        "password": None,
        "schema": None,
        "extra": '{"timeout": 5, "verify": false}',
    },
)

# For tests/v1_airflow_runs.py only: its in-process executor; and a task's supervisor that misses
# its task process's exit (it does, now and then) notices it at its next check, after 1 s instead of
# the default 5.
RUNS_ENVIRONMENT = {
    "AIRFLOW__CORE__EXECUTOR": "v1_airflow_runs.InlineExecutor",
    "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "1",
}


async def _create(deployment: AirflowDeployment, path: str, body: dict[str, Any]) -> None:
    response = await deployment.api("POST", path, json=body)
    if response.status_code != 201:
        raise AirflowFailed(f"POST /api/v2{path} {body}: {response.status_code} {response.text}")


async def _get(deployment: AirflowDeployment, path: str) -> Any:
    response = await deployment.api("GET", path)
    if response.status_code != 200:
        raise AirflowFailed(f"GET /api/v2{path}: {response.status_code} {response.text}")
    return response.json()


async def bring_to_recorded_state(deployment: AirflowDeployment) -> None:
    """Makes the recording's starting state on a freshly started ``deployment`` (over
    :data:`V1_DAGS_FOLDER`, without scheduler and dag-processor), then checks the parts a failure
    would leave out; raises :class:`AirflowFailed` if one is missing."""
    if set(deployment.process_names) != {"api-server"} or deployment.dags_folder != V1_DAGS_FOLDER:
        raise ValueError("start the deployment with start_v1_airflow: the api-server only, the v1 DAG files")
    started = time.monotonic()
    # Pools first: the parse below warns about the pools that do not exist when it runs.
    for pool in POOLS:
        await _create(deployment, "/pools", pool)
    for variable in VARIABLES:
        await _create(deployment, "/variables", variable)
    for connection in CONNECTIONS:
        await _create(deployment, "/connections", connection)
    output = await deployment.run_in_venv(
        "python", str(RUNS_SCRIPT), *FINISHED_DAGS, log="v1-runs", within=240, env=RUNS_ENVIRONMENT
    )
    expected = [f"run {dag_id} {RUN_ID} success" for dag_id in FINISHED_DAGS]
    if [line for line in output.splitlines() if line.startswith("run ")] != expected:
        raise AirflowFailed(f"{RUNS_SCRIPT.name} did not finish the runs {expected}\n{output[-4000:]}")

    dags = await _get(deployment, "/dags?limit=100&order_by=dag_id")
    if [(dag["dag_id"], dag["is_paused"]) for dag in dags["dags"]] != [(d, True) for d in DAG_IDS]:
        raise AirflowFailed(f"the DAGs are not the v1 DAGs, all paused: {dags}")
    errors = await _get(deployment, "/importErrors")
    if [(e["import_error_id"], e["filename"]) for e in errors["import_errors"]] != [(1, BROKEN_FILE)]:
        raise AirflowFailed(f"not one import error for {BROKEN_FILE}: {errors}")
    warnings = await _get(deployment, "/dagWarnings")
    if [(w["dag_id"], w["warning_type"], w["message"]) for w in warnings["dag_warnings"]] != [WARNING]:
        raise AirflowFailed(f"not the warning {WARNING}: {warnings}")
    deployment.timings["v1_state"] = time.monotonic() - started
    deployment.say(f"v1 recording's starting state made in {deployment.timings['v1_state']:.1f} s")


async def start_v1_airflow(venv: Path, work: Path, *, say: Say = say_to_stderr) -> AirflowDeployment:
    """A new deployment (the api-server only) over :data:`V1_DAGS_FOLDER`, in the recording's
    starting state; stopped again if that fails. The caller stops it (``await deployment.stop()``)."""
    deployment = AirflowDeployment(venv, work, dags_folder=V1_DAGS_FOLDER, processes=("api-server",), say=say)
    await deployment.start()
    try:
        await bring_to_recorded_state(deployment)
    except BaseException:
        await deployment.stop()
        raise
    return deployment

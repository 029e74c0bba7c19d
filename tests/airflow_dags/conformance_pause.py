"""The conformance suite's DAG to pause and unpause (tests/conformance/dags/conformance_pause.json):
it never has a run, so unpausing it starts nothing. Created paused."""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG(
    dag_id="conformance_pause",
    schedule=None,
    start_date=pendulum.datetime(2021, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=True,
    tags=["conformance"],
):
    BashOperator(task_id="noop", bash_command="true")

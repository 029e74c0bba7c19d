"""The conformance suite's DAG to delete (tests/conformance/dags/conformance_throwaway.json): two
tasks. Created paused. Deleted from Airflow, it comes back on the dag-processor's next parse."""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG(
    dag_id="conformance_throwaway",
    schedule=None,
    start_date=pendulum.datetime(2021, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=True,
    tags=["conformance"],
):
    BashOperator(task_id="first", bash_command="true") >> BashOperator(task_id="second", bash_command="true")

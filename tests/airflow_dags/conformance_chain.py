"""The conformance suite's main DAG (tests/conformance/), as tests/conformance/dags/conformance_chain.json
defines it for dagport's own store: three tasks in a chain. Created paused, so Airflow's scheduler
leaves the runs the suite triggers queued, as dagport's store does."""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG(
    dag_id="conformance_chain",
    schedule=None,
    start_date=pendulum.datetime(2021, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=True,
    tags=["conformance"],
    default_args={"retries": 1},
):
    extract = BashOperator(task_id="extract", bash_command="true")
    transform = BashOperator(task_id="transform", bash_command="true")
    load = BashOperator(task_id="load", bash_command="true")
    extract >> transform >> load

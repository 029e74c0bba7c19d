"""A task that runs for about a minute, so a run can be caught with task instances still running
(DELETE of the DAG is refused while they are)."""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG(
    dag_id="dagport_slow",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["dagport"],
):
    BashOperator(task_id="sleep", bash_command="sleep 60")

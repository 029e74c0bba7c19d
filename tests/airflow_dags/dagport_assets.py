"""A producer with an outlet asset and a consumer with it as an inlet (lineage)."""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Asset

OUT = Asset("dagport://example/out")

with DAG(
    dag_id="dagport_assets",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["dagport"],
):
    produce = BashOperator(task_id="produce", bash_command="echo produce", outlets=[OUT])
    consume = BashOperator(task_id="consume", bash_command="echo consume", inlets=[OUT])
    produce >> consume

"""The conformance suite's lineage DAG (tests/conformance/dags/conformance_lineage.json): a producer
with an outlet and a consumer with it as an inlet (in Airflow, an asset). Created paused."""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Asset

DATA = Asset("conformance://lineage/data")

with DAG(
    dag_id="conformance_lineage",
    schedule=None,
    start_date=pendulum.datetime(2021, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=True,
    tags=["conformance"],
):
    produce = BashOperator(task_id="produce", bash_command="true", outlets=[DATA])
    consume = BashOperator(task_id="consume", bash_command="true", inlets=[DATA])
    produce >> consume

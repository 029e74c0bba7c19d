"""One task in the pool ``dagport_pool``. Airflow queues it only once that pool exists: the tests
create it (through dagport's pools endpoint) before they trigger this DAG."""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

POOL = "dagport_pool"

with DAG(
    dag_id="dagport_pool",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["dagport"],
):
    BashOperator(task_id="pooled", bash_command="echo pooled", pool=POOL, pool_slots=1)

"""Reference DAG for the experimental-API comparison: 3 bash tasks with dependencies."""
from datetime import datetime, timedelta

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

default_args = {
    "owner": "data-team",
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    # start_date in default_args makes the experimental trigger endpoint reject earlier execution dates
    "start_date": datetime(2016, 1, 1),
}

with DAG(
    dag_id="example_bash",
    description="Three bash tasks: extract >> transform >> load",
    default_args=default_args,
    schedule=None,
    catchup=False,
    tags=["reference", "bash"],
) as dag:
    extract = BashOperator(
        task_id="extract",
        bash_command="echo extract {{ ds }}",
        pool="etl_pool",
    )
    transform = BashOperator(
        task_id="transform",
        bash_command="echo transform",
        retries=3,
    )
    load = BashOperator(
        task_id="load",
        bash_command="echo load",
        owner="loader",
    )
    extract >> transform >> load

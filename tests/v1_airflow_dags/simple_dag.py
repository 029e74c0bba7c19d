"""Reference DAG: a single no-op task."""
from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG(
    dag_id="simple_dag",
    start_date=datetime(2016, 1, 1),
    schedule=None,
    catchup=False,
) as dag:
    EmptyOperator(task_id="noop")

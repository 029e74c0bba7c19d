"""Reference DAG for the v1 recording: its task names a pool that does not exist (-> a DAG warning)."""
from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG(
    dag_id="warning_dag",
    start_date=datetime(2016, 1, 1),
    schedule=None,
    catchup=False,
) as dag:
    EmptyOperator(task_id="needs_missing_pool", pool="nonexistent_pool")

"""Reference DAG that the driver deletes at the end (DELETE /api/experimental/dags/throwaway_dag)."""
from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG(
    dag_id="throwaway_dag",
    start_date=datetime(2016, 1, 1),
    schedule=None,
    catchup=False,
) as dag:
    EmptyOperator(task_id="only_task")

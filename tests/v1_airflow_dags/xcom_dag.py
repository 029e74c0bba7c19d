"""Reference DAG for the v1 recording: XCom values (return_value and a custom key)."""
from datetime import datetime

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG


def _push(ti):
    ti.xcom_push(key="custom_key", value="hello")
    return {"rows": 3, "status": "ok", "items": [1, 2, 3]}


def _pull(ti):
    value = ti.xcom_pull(task_ids="push")
    print("pulled", value)
    return value["rows"]


with DAG(
    dag_id="xcom_dag",
    description="push >> pull, with XComs",
    start_date=datetime(2016, 1, 1),
    schedule=None,
    catchup=False,
    tags=["reference", "xcom"],
) as dag:
    push = PythonOperator(task_id="push", python_callable=_push)
    pull = PythonOperator(task_id="pull", python_callable=_pull)
    push >> pull

"""Reference DAG for the v1 recording: produces the dataset s3://dagport-ref/orders.csv."""
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Asset

ORDERS = Asset("s3://dagport-ref/orders.csv", extra={"owner": "data-team"})

with DAG(
    dag_id="dataset_producer",
    start_date=datetime(2016, 1, 1),
    schedule=None,
    catchup=False,
    tags=["reference", "dataset"],
) as dag:
    BashOperator(task_id="produce_orders", bash_command="echo producing orders", outlets=[ORDERS])

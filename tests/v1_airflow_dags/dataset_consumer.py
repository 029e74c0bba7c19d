"""Reference DAG for the v1 recording: scheduled on the dataset that dataset_producer updates."""
from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Asset

with DAG(
    dag_id="dataset_consumer",
    start_date=datetime(2016, 1, 1),
    schedule=[Asset("s3://dagport-ref/orders.csv")],
    catchup=False,
    tags=["reference", "dataset"],
) as dag:
    EmptyOperator(task_id="consume_orders")

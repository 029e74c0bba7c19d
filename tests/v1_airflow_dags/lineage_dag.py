"""Reference DAG with lineage inlets/outlets (airflow.lineage.entities)."""
from datetime import datetime

from airflow.providers.common.compat.lineage.entities import File, Table
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG(
    dag_id="lineage_dag",
    start_date=datetime(2016, 1, 1),
    schedule=None,
    catchup=False,
    tags=["reference", "lineage"],
) as dag:
    produce = BashOperator(
        task_id="produce",
        bash_command="echo produce",
        inlets=[File(url="/tmp/input.csv")],
        outlets=[File(url="/tmp/intermediate.csv")],
    )
    consume = BashOperator(
        task_id="consume",
        bash_command="echo consume",
        inlets=[File(url="/tmp/intermediate.csv")],
        outlets=[Table(database="warehouse", cluster="main", name="results")],
    )
    produce >> consume

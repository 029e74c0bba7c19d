"""Two tasks in sequence; the second prints the run's conf (task log) and returns it (XCom)."""

from __future__ import annotations

import json

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, task

with DAG(
    dag_id="dagport_echo",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["dagport"],
    doc_md="Triggered through dagport: `prepare`, then `echo_conf` echoes the run's conf.",
):

    @task
    def echo_conf(**context):
        conf = context["dag_run"].conf
        print(f"dagport conf: {json.dumps(conf, sort_keys=True)}")
        return conf

    BashOperator(task_id="prepare", bash_command="echo prepare") >> echo_conf()

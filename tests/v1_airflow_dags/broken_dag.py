"""Reference DAG file for the v1 recording that fails to import (-> an import error)."""
from datetime import datetime

from airflow.sdk import DAG

raise RuntimeError("broken on purpose: this file is an import error for the v1 recording")

with DAG(dag_id="broken_dag", start_date=datetime(2016, 1, 1), schedule=None) as dag:
    pass

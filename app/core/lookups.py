"""The order in which a lookup reports what is missing (docs/api.md section 1, "Errors").

A lookup checks, after the date in the path: the DAG, the task, the run, the task instance, and
answers the first that fails. Each function below is called when a lookup did not find all it
looked for, and returns the message of the first missing part; the service raises it as the error
its endpoint answers with (404; 400 for a listing of an unknown DAG, Airflow's quirk).
"""

from __future__ import annotations

from datetime import datetime

from app.core import messages
from app.core.results import LineageLookup, RunLookup, TaskInstanceLookup, TaskLookup


def missing_run(lookup: RunLookup | LineageLookup, *, dag_id: str, execution_date: datetime) -> str:
    """The DAG, then the run."""
    if not lookup.dag_exists:
        return messages.dag_not_found(dag_id)
    return messages.run_not_found(dag_id, execution_date)


def missing_task(lookup: TaskLookup, *, dag_id: str, task_id: str) -> str:
    """The DAG, then the task."""
    if not lookup.dag_exists:
        return messages.dag_not_found(dag_id)
    return messages.task_not_found(dag_id, task_id)


def missing_task_instance(
    lookup: TaskInstanceLookup, *, dag_id: str, execution_date: datetime, task_id: str
) -> str:
    """The DAG, the task, the run, then the task instance."""
    if not lookup.dag_exists:
        return messages.dag_not_found(dag_id)
    if not lookup.task_exists:
        return messages.task_not_found(dag_id, task_id)
    if not lookup.run_exists:
        return messages.run_not_found(dag_id, execution_date)
    return messages.task_instance_not_found(task_id, execution_date)

"""Typed models of the Airflow REST API v2 answers dagport reads (Airflow 3's own shapes:
airflow-core/src/airflow/api_fastapi/core_api/datamodels/), one module per resource.

Each model holds the fields dagport uses, with the types Airflow 3.0 to 3.3 give them, and
ignores the others, so a field Airflow adds later changes nothing. A body that does not fit is a
502 (:meth:`app.gateway.transport.Answer.parsed`), never a KeyError. This package re-exports the
models the experimental API's store reads; other callers import the resource's module.
"""

from app.gateway.models.assets import Asset, AssetCollection, AssetEvent, AssetEventCollection, TaskReference
from app.gateway.models.base import Collection, TimeDelta, V2Model
from app.gateway.models.dags import Dag, DagCollection, DagDetails, DagSource, DagTag, Task, TaskCollection
from app.gateway.models.monitor import Version
from app.gateway.models.pools import Pool, PoolCollection
from app.gateway.models.runs import DagRun, DagRunCollection
from app.gateway.models.task_instances import TaskInstance, TaskInstanceCollection

__all__ = [
    "Asset",
    "AssetCollection",
    "AssetEvent",
    "AssetEventCollection",
    "Collection",
    "Dag",
    "DagCollection",
    "DagDetails",
    "DagRun",
    "DagRunCollection",
    "DagSource",
    "DagTag",
    "Pool",
    "PoolCollection",
    "Task",
    "TaskCollection",
    "TaskInstance",
    "TaskInstanceCollection",
    "TaskReference",
    "TimeDelta",
    "V2Model",
    "Version",
]

"""The Store of app/core/ports.py over Airflow 3's REST API v2 (docs/airflow.md has the mapping).

Every call goes through the gateway (app/gateway/): endpoints and parameters, never a path built
here. One port per resource (runs.py, tasks.py, dags.py, pools.py, lineage.py), sharing the client,
the id registry and the runs-by-date memory. A port knows no api.md message: it reports what
exists, as dagport's own store does, and raises a domain error only for what Airflow refuses
(``Invalid``, ``InUse``). What Airflow cannot do of the contract the backend declares as
capabilities (app/airflow/backend.py), which the services answer. There are no pre-rendered,
versioned listings (``listings`` is ``None``): Airflow offers no change stamp.

A unit of work is Airflow's REST API itself: ``reading()`` and ``writing()`` hand out this one
object (each write is one Airflow call, in Airflow's own transaction).
"""

from __future__ import annotations

from app.airflow.dags import AirflowDags
from app.airflow.lineage import AirflowLineage
from app.airflow.pools import AirflowPools
from app.airflow.runs import AirflowRuns, RunDates
from app.airflow.tasks import AirflowTasks
from app.db.repositories.airflow_ids import IdRegistry
from app.gateway.client import AirflowClient


class AirflowStore:
    __slots__ = ("dags", "lineage", "pools", "runs", "tasks")

    listings = None  # no VersionedListings in front of Airflow

    def __init__(self, client: AirflowClient, ids: IdRegistry) -> None:
        dates = RunDates(client)
        self.runs = AirflowRuns(client, ids, dates)
        self.tasks = AirflowTasks(client, dates)
        self.dags = AirflowDags(client, self.tasks)
        self.pools = AirflowPools(client, ids)
        self.lineage = AirflowLineage(client, dates, self.tasks)

"""DAG models: detail and listing (docs/api.md 4.1), pause state, deletion."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from app.core.results import Dag
from app.dates import iso_utc


class DagDetail(BaseModel):
    dag_id: str = Field(examples=["example_bash"])
    description: str | None
    is_paused: bool
    owners: list[str] = Field(examples=[["data-team", "loader"]])
    tags: list[str]
    schedule_interval: str | None
    start_date: str | None = Field(examples=["2016-01-01T00:00:00+00:00"])
    fileloc: str = Field(description="Where the definition came from: a file path, or `api` for PUT")
    tasks: list[str] = Field(description="task_ids in definition order")


class DagList(BaseModel):
    dags: list[DagDetail]
    total_entries: int


class PausedState(BaseModel):
    is_paused: bool


class OkResponse(BaseModel):
    response: str = Field(examples=["ok"])


class DeleteResult(BaseModel):
    count: int = Field(examples=[2])
    message: str = Field(examples=["Removed 2 record(s)"])


def dag_detail(dag: Dag) -> dict[str, Any]:
    return {
        "dag_id": dag.dag_id,
        "description": dag.description,
        "is_paused": dag.is_paused,
        "owners": dag.owners,
        "tags": dag.tags,
        "schedule_interval": dag.schedule_interval,
        "start_date": iso_utc(dag.start_date),
        "fileloc": dag.fileloc,
        "tasks": dag.tasks,
    }


class DagListQuery(BaseModel):
    """The query of GET /dags."""

    limit: int = Field(100, ge=1, le=10000)
    offset: int = Field(0, ge=0, le=2**31 - 1)
    paused: bool | None = Field(None, description="Only paused (true) or unpaused (false) DAGs")
    tag: str | None = Field(None, description="Only DAGs with this tag")

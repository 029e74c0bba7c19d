"""DAG models: detail and listing (api.md 4.1), pause state, deletion."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

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


def dag_detail(row: Any, task_ids: list[str]) -> dict[str, Any]:
    return {
        "dag_id": row.dag_id,
        "description": row.description,
        "is_paused": row.is_paused,
        "owners": row.owners,
        "tags": row.tags,
        "schedule_interval": row.schedule_interval,
        "start_date": iso_utc(row.start_date),
        "fileloc": row.fileloc,
        "tasks": task_ids,
    }

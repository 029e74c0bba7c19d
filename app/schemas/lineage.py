"""Lineage response (docs/api.md 3.5)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class TaskLineage(BaseModel):
    inlets: list[dict[str, Any]]
    outlets: list[dict[str, Any]]


class LineageResponse(BaseModel):
    message: str = Field(examples=["Lineage for dag lineage_dag at 2016-11-16 00:00:00+00:00"])
    task_ids: dict[str, TaskLineage] = Field(
        examples=[
            {
                "produce": {
                    "inlets": [{"type": "File", "url": "/tmp/input.csv"}],
                    "outlets": [{"type": "File", "url": "/tmp/intermediate.csv"}],
                }
            }
        ]
    )

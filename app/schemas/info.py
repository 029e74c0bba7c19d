"""Small responses of the service endpoints."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TestResponse(BaseModel):
    status: str = Field(examples=["OK"])


class InfoResponse(BaseModel):
    version: str = Field(examples=["0.1.0"])
    airflow_version: str | None = Field(
        None,
        exclude_if=lambda value: value is None,  # absent, not null, in dagport's own store
        description="In front of Airflow (DAGPORT_BACKEND=airflow): the version of the Airflow behind it",
        examples=["3.3.2"],
    )


class HealthResponse(BaseModel):
    status: str = Field(examples=["ok"])

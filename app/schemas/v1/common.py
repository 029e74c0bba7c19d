"""What every v1 answer shares: dates as Airflow 2 wrote them, the problem body's model."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class V1Model(BaseModel):
    """A v1 answer's model: documentation of the shape the service builds (extra keys forbidden,
    so the document lists them all)."""

    model_config = ConfigDict(extra="forbid")


def v1_datetime(value: datetime | None) -> str | None:
    """``isoformat()`` of an aware date (``+00:00``; microseconds only when not zero), as v1 wrote it."""
    return None if value is None else value.isoformat()


class Problem(V1Model):
    """An error (RFC 7807), as Airflow 2 answered it."""

    detail: str | None = Field(
        description="What went wrong, or null", examples=["The DAG with dag_id: x was not found"]
    )
    status: int = Field(description="The HTTP status", examples=[404])
    title: str = Field(
        description="The kind of error (some errors carry their message here)", examples=["DAG not found"]
    )
    type: str = Field(
        description="Airflow 2.11.2's documentation of the kind, or about:blank",
        examples=[
            "https://airflow.apache.org/docs/apache-airflow/2.11.2/stable-rest-api-ref.html#section/Errors/NotFound"
        ],
    )

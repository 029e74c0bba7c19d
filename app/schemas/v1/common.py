"""What every v1 answer shares: dates as Airflow 2 wrote them, the model of a list's page, the
problem body's model."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model


class V1Model(BaseModel):
    """A v1 answer's model: documentation of the shape the service builds (extra keys forbidden,
    so the document lists them all)."""

    model_config = ConfigDict(extra="forbid")


def collection(name: str, items: str, item: type[BaseModel]) -> type[V1Model]:
    """The model of v1's ``<name>``: one page of a list, ``{<items>: [item, ...], "total_entries": n}``
    (Airflow 2's collection schemas: ``total_entries`` counts every page)."""
    fields: dict[str, Any] = {items: (list[item], ...), "total_entries": (int, ...)}  # type: ignore[valid-type]  # a model given at run time
    return create_model(name, __base__=V1Model, **fields)


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

"""Airflow 3's connections (``ConnectionResponse``, ``ConnectionTestResponse``)."""

from __future__ import annotations

from pydantic import Field

from app.gateway.models.base import V2Model


class Connection(V2Model):
    """``ConnectionResponse`` (its ``password``, masked, is not read)."""

    connection_id: str
    conn_type: str
    description: str | None = None
    host: str | None = None
    login: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    port: int | None = None
    extra: str | None = None


class ConnectionCollection(V2Model):
    connections: list[Connection]
    total_entries: int


class ConnectionTest(V2Model):
    """``ConnectionTestResponse``."""

    status: bool
    message: str

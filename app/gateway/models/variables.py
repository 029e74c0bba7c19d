"""Airflow 3's variables (``VariableResponse``)."""

from __future__ import annotations

from app.gateway.models.base import V2Model


class Variable(V2Model):
    """``VariableResponse``: ``value`` as Airflow 3 shows it (``***`` for a key that looks
    sensitive; a JSON value serialised again)."""

    key: str
    value: str | None = None
    description: str | None = None


class VariableCollection(V2Model):
    variables: list[Variable]
    total_entries: int

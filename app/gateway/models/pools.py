"""Airflow 3's pools (``PoolResponse``)."""

from __future__ import annotations

from app.gateway.models.base import V2Model


class Pool(V2Model):
    """``PoolResponse``."""

    name: str
    slots: int
    description: str | None = None
    include_deferred: bool = False


class PoolCollection(V2Model):
    pools: list[Pool]
    total_entries: int

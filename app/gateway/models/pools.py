"""Airflow 3's pools (``PoolResponse``)."""

from __future__ import annotations

from app.gateway.models.base import V2Model


class Pool(V2Model):
    """``PoolResponse``. ``open_slots`` is -1 for a pool of unlimited slots (``slots`` -1)."""

    name: str
    slots: int
    description: str | None = None
    include_deferred: bool = False
    occupied_slots: int = 0
    running_slots: int = 0
    queued_slots: int = 0
    scheduled_slots: int = 0
    open_slots: int = 0
    deferred_slots: int = 0


class PoolCollection(V2Model):
    pools: list[Pool]
    total_entries: int

"""Airflow 3's XCom entries (``XComResponse``, ``XComResponseNative`` / ``XComResponseString``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.gateway.models.base import V2Model


class XComEntry(V2Model):
    """``XComResponse``: an entry without its value, as listings give it."""

    key: str
    timestamp: datetime
    logical_date: datetime | None = None
    run_after: datetime | None = None
    map_index: int = -1
    task_id: str
    dag_id: str
    run_id: str

    @property
    def execution_date(self) -> datetime | None:
        """The run's date in front of Airflow: its logical_date, else its run_after (UTC)."""
        found = self.logical_date or self.run_after
        return None if found is None else found.astimezone(UTC)


class XComEntryWithValue(XComEntry):
    """One entry with its value (a string when Airflow stringified it, else the value's JSON)."""

    value: Any = None


class XComCollection(V2Model):
    xcom_entries: list[XComEntry]
    total_entries: int

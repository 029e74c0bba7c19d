"""What every model of Airflow 3's answers shares: unknown fields ignored, frozen; its timedelta; a count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict


class V2Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


def utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


class TimeDelta(V2Model):
    """Airflow's serialised timedelta: ``{"__type": "TimeDelta", "days", "seconds", "microseconds"}``."""

    days: int = 0
    seconds: int = 0
    microseconds: int = 0

    @property
    def total_seconds(self) -> float:
        return timedelta(days=self.days, seconds=self.seconds, microseconds=self.microseconds).total_seconds()


class Collection(V2Model):
    """Any listing, for its count (``total_entries``) alone."""

    total_entries: int

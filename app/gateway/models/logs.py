"""Airflow 3's task logs (``TaskInstancesLogResponse``): structured messages, or plain lines where
Airflow could not parse them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.gateway.models.base import V2Model


class LogMessage(V2Model):
    """``StructuredLogMessage``: one event and what Airflow's logging put beside it."""

    event: str = ""
    timestamp: datetime | None = None
    level: str | None = None
    logger: str | None = None
    filename: str | None = None
    lineno: int | None = None
    error_detail: list[dict[str, Any]] | None = None  # an exception: its type, value and frames


class TaskInstanceLog(V2Model):
    content: list[LogMessage | str]
    continuation_token: str | None = None

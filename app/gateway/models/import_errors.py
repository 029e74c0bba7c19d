"""Airflow 3's import errors (``ImportErrorResponse``)."""

from __future__ import annotations

from datetime import datetime

from app.gateway.models.base import V2Model


class ParseImportError(V2Model):
    """``ImportErrorResponse`` (named as Airflow names its table's model: ``ImportError`` is Python's)."""

    import_error_id: int
    timestamp: datetime
    filename: str
    stack_trace: str = ""


class ImportErrorCollection(V2Model):
    import_errors: list[ParseImportError]
    total_entries: int

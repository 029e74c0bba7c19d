"""A DAG file's source, as v1 gave it for ``Accept: application/json``."""

from __future__ import annotations

from app.schemas.v1.common import V1Model


class DAGSource(V1Model):
    content: str


SOURCE_NOT_FOUND = "Dag source not found"
FILE_NOT_FOUND = "File not found"
NOT_ACCEPTABLE = "Not Allowed Accept Header"
DUPLICATE_REQUEST = "Duplicate request"  # the body of Airflow 2's 201 when a parse was already asked for

"""Import errors as v1 gave them (``ImportError``, ``ImportErrorCollection``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from app.gateway.models.import_errors import ParseImportError
from app.schemas.v1.common import V1Model, collection, v1_datetime


class ImportError(V1Model):  # v1's name for it; within this module it hides Python's own
    """An import error."""

    import_error_id: int
    timestamp: str
    filename: str = Field(description="The file's path within Airflow 3's DAG bundle")
    stack_trace: str


ImportErrorCollection = collection("ImportErrorCollection", "import_errors", ImportError)


def import_error(v2: ParseImportError) -> dict[str, Any]:
    return {
        "import_error_id": v2.import_error_id,
        "timestamp": v1_datetime(v2.timestamp),
        "filename": v2.filename,
        "stack_trace": v2.stack_trace,
    }


def not_found(import_error_id: str) -> str:
    return f"The ImportError with import_error_id: `{import_error_id}` was not found"

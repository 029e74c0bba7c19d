"""``/importErrors``: the files Airflow failed to import, over Airflow 3's ``/api/v2/importErrors``."""

from __future__ import annotations

from typing import Any

from app.errors import NotFound
from app.gateway import endpoints as api
from app.gateway.models.import_errors import ImportErrorCollection, ParseImportError
from app.schemas.v1.import_errors import import_error, not_found
from app.services.v1.context import V1Context
from app.services.v1.dags import read
from app.services.v1.paging import order_by, page

ORDER_BY = {name: name for name in ("import_error_id", "timestamp", "filename")}


class ImportErrorsService:
    def __init__(self, context: V1Context) -> None:
        self.client = context.client

    async def listing(self, *, limit: int | None, offset: int | None, order: str | None) -> dict[str, Any]:
        window = page(limit, offset)
        query = {
            "limit": window.limit,
            "offset": window.offset,
            "order_by": order_by(order, ORDER_BY, "import_error_id"),
        }
        collection = read(await self.client.get(api.IMPORT_ERRORS, query=query), ImportErrorCollection)
        return {
            "import_errors": [import_error(e) for e in collection.import_errors],
            "total_entries": collection.total_entries,
        }

    async def get(self, import_error_id: int) -> dict[str, Any]:
        answer = await self.client.get(api.IMPORT_ERROR, {"import_error_id": str(import_error_id)})
        if answer.status == 404:
            raise NotFound(not_found(str(import_error_id)), title="Import error not found")
        return import_error(read(answer, ParseImportError))

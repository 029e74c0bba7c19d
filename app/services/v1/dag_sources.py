"""``/dagSources/{file_token}`` and ``/parseDagFile/{file_token}``: a DAG's source and a request to
parse its file again, for dagport's file tokens (app/services/v1/file_tokens.py)."""

from __future__ import annotations

from app.errors import NotFound
from app.gateway import endpoints as api
from app.gateway.models.dags import Dag, DagSource
from app.gateway.pager import expect
from app.schemas.v1.dag_sources import FILE_NOT_FOUND, SOURCE_NOT_FOUND
from app.services.v1.context import V1Context
from app.services.v1.file_tokens import FileTokens
from app.services.v1.upstream import fetch


class DagSourcesService:
    def __init__(self, context: V1Context) -> None:
        self.client = context.client
        self.tokens = context.service(FileTokens)

    async def source(self, file_token: str) -> str:
        """The source of the file that defines the DAG the token names (Airflow 3's latest version
        of it)."""
        dag_id = await self.tokens.dag_id(file_token)
        if dag_id is None:
            raise NotFound("", title=SOURCE_NOT_FOUND)
        missing = NotFound("", title=SOURCE_NOT_FOUND)
        return (
            await fetch(self.client, api.DAG_SOURCE, {"dag_id": dag_id}, DagSource, missing=missing)
        ).content or ""

    async def reparse(self, file_token: str) -> bool:
        """Ask Airflow to parse the DAG's file again (its own file token is read from the DAG);
        False when such a request is already waiting (Airflow 3: a 409; Airflow 2 said so in a 201)."""
        dag_id = await self.tokens.dag_id(file_token)
        if dag_id is None:
            raise NotFound("", title=FILE_NOT_FOUND)
        missing = NotFound("", title=FILE_NOT_FOUND)
        airflow_token = (
            await fetch(self.client, api.DAG, {"dag_id": dag_id}, Dag, missing=missing)
        ).file_token
        if not airflow_token:
            raise NotFound("", title=FILE_NOT_FOUND)
        parsed = await self.client.send("PUT", api.PARSE_DAG_FILE, {"file_token": airflow_token})
        if parsed.status == 404:
            raise NotFound("", title=FILE_NOT_FOUND)
        if parsed.status == 409:
            return False
        expect(parsed, 201)
        return True

"""A task instance's log of one try, as v1 gave it (docs/api-v1.md, "Task instances, XCom, logs,
clearing and state updates"): Airflow 3's log and the try's host, read at once (two calls); from
the end of the log (v1's end-of-log token) the try only.

A try that Airflow 3 has no record of, of a task instance that exists, answers as Airflow 2.11 did
(200, a line saying the log could not be read); a task instance that does not exist is v1's 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import Invalid, NotFound
from app.gateway import endpoints as api
from app.gateway.models.logs import TaskInstanceLog
from app.gateway.models.task_instances import TaskInstance, TaskInstanceTry
from app.gateway.pager import refused
from app.gateway.transport import Answer
from app.schemas.v1 import logs as schema
from app.services.v1.context import V1Context
from app.services.v1.upstream import fetch

UNMAPPED = -1
TI_NOT_FOUND = "TaskInstance not found"


@dataclass(frozen=True, slots=True)
class Log:
    """One read of a log: the host it ran on, its text, and the token to read on from."""

    host: str
    text: str
    token: str


class LogService:
    def __init__(self, context: V1Context) -> None:
        self.client = context.client

    async def read(
        self,
        dag_id: str,
        dag_run_id: str,
        task_id: str,
        try_number: int,
        *,
        map_index: int | None,
        full_content: bool,
        token: str | None,
    ) -> Log:
        index = UNMAPPED if map_index is None else map_index
        params = {"dag_id": dag_id, "dag_run_id": dag_run_id, "task_id": task_id}
        if token == schema.END_OF_LOG:
            return await self._ended(params, index, try_number)
        query: dict[str, object] = {"map_index": index, "full_content": "true" if full_content else "false"}
        if token:
            query["token"] = token
        log, tried = await self.client.gather(
            [
                lambda: self.client.get(
                    api.TASK_INSTANCE_LOG, {**params, "try_number": str(try_number)}, query
                ),
                lambda: self._try(params, index, try_number),
            ]
        )
        if log.status == 400 and log.detail.startswith("Bad Signature"):
            raise Invalid("", title=schema.BAD_SIGNATURE)
        if log.status == 404:
            return await self._not_run(params, index, try_number)
        if log.status != 200:
            raise refused(log)
        host = (tried.parsed(TaskInstanceTry).hostname or "") if tried.status == 200 else ""
        read = log.parsed(TaskInstanceLog)
        return Log(host, schema.log_text(read.content), read.continuation_token or schema.END_OF_LOG)

    async def _try(self, params: dict[str, str], map_index: int, try_number: int) -> Answer:
        return await self.client.get(
            api.TASK_INSTANCE_TRY, {**params, "task_try_number": str(try_number)}, {"map_index": map_index}
        )

    async def _ended(self, params: dict[str, str], map_index: int, try_number: int) -> Log:
        """Read on from the end of the log: nothing, so the log is not read; the try (Airflow 3
        answers it where it answers the log) gives the host, or says the try did not run."""
        tried = await self._try(params, map_index, try_number)
        if tried.status == 404:
            return await self._not_run(params, map_index, try_number)
        if tried.status != 200:
            raise refused(tried)
        return Log(tried.parsed(TaskInstanceTry).hostname or "", "", schema.END_OF_LOG)

    async def _not_run(self, params: dict[str, str], map_index: int, try_number: int) -> Log:
        instance = await fetch(
            self.client,
            api.MAPPED_TASK_INSTANCE,
            {**params, "map_index": str(map_index)},
            TaskInstance,
            missing=NotFound("", title=TI_NOT_FOUND),
        )
        return Log(
            instance.hostname or "", schema.not_run(try_number, instance.try_number), schema.END_OF_LOG
        )

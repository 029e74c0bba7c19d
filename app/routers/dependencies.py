"""What endpoints take from a request: their service, path dates, bodies and request checks.

Each is a FastAPI dependency (``Annotated`` aliases below) whose callable reads only the request
and path parameters, so lean routes call it directly (``app/routing.py``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Request

from app.core import messages
from app.dates import parse_date
from app.errors import Invalid
from app.json import MAX_DEPTH, NumberTooLarge, loads, too_deep
from app.schemas.common import validate_body
from app.schemas.dag_runs import RunStatePatch, TriggerRequest
from app.schemas.pools import PoolCreate
from app.schemas.tasks import TaskInstancePatch
from app.services.dag_runs import DagRunService
from app.services.dags import DagService
from app.services.lineage import LineageService
from app.services.pools import PoolService
from app.services.tasks import TaskService

# -- services (built once per app: app/main.py) ---------------------------------------------------


async def _dag_runs(request: Request) -> DagRunService:
    service: DagRunService = request.app.state.services.dag_runs
    return service


async def _tasks(request: Request) -> TaskService:
    service: TaskService = request.app.state.services.tasks
    return service


async def _dags(request: Request) -> DagService:
    service: DagService = request.app.state.services.dags
    return service


async def _pools(request: Request) -> PoolService:
    service: PoolService = request.app.state.services.pools
    return service


async def _lineage(request: Request) -> LineageService:
    service: LineageService = request.app.state.services.lineage
    return service


DagRuns = Annotated[DagRunService, Depends(_dag_runs)]
Tasks = Annotated[TaskService, Depends(_tasks)]
Dags = Annotated[DagService, Depends(_dags)]
Pools = Annotated[PoolService, Depends(_pools)]
Lineage = Annotated[LineageService, Depends(_lineage)]


# -- dates ----------------------------------------------------------------------------------------

# Documented as RFC 3339 (what clients should send); docs/api.md section 2's other ISO 8601 forms (a space
# for `T`, date only, basic form, naive values) are accepted too. Documentation only: parse_date decides.
DATE_PARAM_SCHEMA = {"format": "date-time"}
DATE_PARAM_DESCRIPTION = (
    "An RFC 3339 date-time such as `2016-11-16T11:34:15+00:00`; other ISO 8601 forms (space for `T`, "
    "date only, basic form, no offset: DAGPORT_DEFAULT_TIMEZONE) are read too. Anything else is 400."
)
DatePath = Annotated[str, Path(description=DATE_PARAM_DESCRIPTION, json_schema_extra=DATE_PARAM_SCHEMA)]


async def _path_execution_date(request: Request, execution_date: DatePath) -> datetime:
    """The path's date; a bad one is 400 before anything else is read."""
    return parse_date(execution_date, default_tz=request.app.state.settings.tz)


ExecutionDate = Annotated[datetime, Depends(_path_execution_date)]


# -- request checks and bodies --------------------------------------------------------------------


async def single_valued_query(request: Request) -> None:
    """Every query parameter of these routes takes one value: `?paused=true&paused=false` is
    ambiguous (FastAPI would silently keep the last), so a repeated one is 400."""
    params = request.query_params
    repeated = sorted({key for key in params if len(params.getlist(key)) > 1})
    if repeated:
        detail = [
            {"loc": f"query.{key}", "msg": messages.expected_one_value(params.getlist(key))}
            for key in repeated
        ]
        raise Invalid(messages.repeated_query_parameter(repeated[0]), detail=detail)


SingleValuedQuery = Depends(single_valued_query)


# A `\u0000` escape in JSON text: its backslash is preceded by an even number of backslashes (an
# escaped backslash, `\\u0000`, is the text `\u0000`, not a NUL).
_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def reject_nul(raw: bytes) -> None:
    """Text columns cannot hold NUL on Postgres: refuse it up front, the same way on both databases."""
    if b"\x00" in raw or (b"\\u0000" in raw and _ESCAPED_NUL.search(raw)):
        raise Invalid(messages.BODY_HOLDS_NUL)


async def read_json_object(request: Request, *, empty: dict[str, Any] | None = None) -> dict[str, Any]:
    """The body as a JSON object, whatever the Content-Type (Airflow reads it that way too).

    ``empty`` is what an empty body means (``{}`` on the trigger endpoint); ``None``: it is invalid.
    """
    raw = await request.body()
    reject_nul(raw)
    if not raw.strip():
        if empty is not None:
            return dict(empty)
        raise Invalid(messages.BODY_NOT_JSON)
    try:
        body = loads(raw)
    except NumberTooLarge as exc:
        raise Invalid(messages.body_number_too_large(exc.msg, exc.lineno, exc.colno)) from None
    except ValueError:
        raise Invalid(messages.BODY_NOT_JSON) from None
    if not isinstance(body, dict):
        raise Invalid(messages.BODY_NOT_AN_OBJECT)
    if too_deep(body):
        raise Invalid(messages.body_too_deep(MAX_DEPTH))
    return body


async def _trigger_body(request: Request) -> TriggerRequest:
    return validate_body(TriggerRequest, await read_json_object(request, empty={}))


async def _run_state_body(request: Request) -> RunStatePatch:
    return validate_body(RunStatePatch, await read_json_object(request))


async def _task_instance_body(request: Request) -> TaskInstancePatch:
    return validate_body(TaskInstancePatch, await read_json_object(request))


async def _pool_body(request: Request) -> PoolCreate:
    # field order = Airflow's check order: name, then slots
    return validate_body(PoolCreate, await read_json_object(request))


TriggerBody = Annotated[TriggerRequest, Depends(_trigger_body)]
RunStateBody = Annotated[RunStatePatch, Depends(_run_state_body)]
TaskInstanceBody = Annotated[TaskInstancePatch, Depends(_task_instance_body)]
PoolBody = Annotated[PoolCreate, Depends(_pool_body)]


async def definition_text(request: Request) -> str:
    """A PUT definition's text, UTF-8. A NUL is refused by validation, which names its field (raw,
    it is invalid JSON and invalid YAML; escaped, it is found in the decoded strings)."""
    raw = await request.body()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid(messages.BODY_NOT_UTF8) from None


DefinitionText = Annotated[str, Depends(definition_text)]

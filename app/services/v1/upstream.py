"""Airflow 3's answers as v1 services read them (docs/api-v1.md, "Conventions").

- :func:`fetch`: one GET read as a model; :func:`~app.gateway.answers.parsed` for an answer already had. A 404 is the
  operation's own :class:`~app.errors.NotFound` (``missing``); any other unexpected answer is what
  ``otherwise`` makes of it.
- ``otherwise``: :func:`~app.gateway.pager.refused` (the default), a 400 naming Airflow's text, for
  calls dagport builds itself from what it checked; :func:`rejected` where Airflow 3 checks what the
  caller sent (the admin objects' fields), whose refusals keep Airflow's status and text, its 422
  worded as v1 worded a body's problem (:func:`unprocessable`). :func:`read` is :func:`parsed` with
  :func:`rejected`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from app.errors import Conflict, Disabled, DomainError, Invalid, NotFound
from app.gateway.answers import Refusal, parsed
from app.gateway.client import AirflowClient, Params
from app.gateway.endpoints import ANY, Endpoint, Wildcard
from app.gateway.pager import refused
from app.gateway.transport import Answer, Query
from app.schemas.v1.bodies import located

M = TypeVar("M", bound=BaseModel)


def wildcard(value: str) -> str | Wildcard:
    """v1's ``~`` (every DAG, run or task, where v1 took it) as Airflow's wildcard."""
    return ANY if value == "~" else value


def validation_detail(body: Any) -> str | None:
    """The first problem of Airflow 3's 422 (``{"detail": [{"loc", "msg"}, ...]}``) in v1's
    jsonschema form, ``<msg> - '<field>'`` (just ``<msg>`` for the body as a whole)."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(detail, list) or not detail or not isinstance(detail[0], dict):
        return None
    first = detail[0]
    where = (part for part in first.get("loc", ()) if part not in ("body", "query", "path"))
    return located(first.get("msg", "Invalid value"), where)


def unprocessable(answer: Answer) -> Invalid:
    """Airflow 3's 422 (its validation of what dagport sent) as v1's 400: its first error in v1's
    words (:func:`validation_detail`), else Airflow's text."""
    return Invalid(validation_detail(answer.body) or answer.detail)


def invalid_or_refused(answer: Answer) -> DomainError:
    """Airflow 3's 422 as :func:`unprocessable` words it; any other refusal as
    :func:`~app.gateway.pager.refused` does."""
    return unprocessable(answer) if answer.status == 422 else refused(answer)


def rejected(answer: Answer) -> DomainError:
    """Airflow 3's 4xx for a request dagport checked as v1 did: 422 (its validation) is v1's 400;
    400, 404 and 409 keep their status and Airflow's text; anything else is a 400 naming it."""
    if answer.status == 422:
        return unprocessable(answer)
    if answer.status == 400:
        return Invalid(answer.detail)
    if answer.status == 404:
        return NotFound(answer.detail)
    if answer.status == 409:
        return Conflict(answer.detail)
    return refused(answer)


def not_disabled(client: AirflowClient, answer: Answer, disabled: str) -> Answer:
    """The answer of a call made with ``forbidden_ok``: a 403 in Airflow's ``disabled`` words (a
    setting that turns the operation off) is v1's 403 saying so; another 403 is the refusal of the
    credentials, as the client says."""
    if answer.status == 403:
        if answer.detail == disabled:
            raise Disabled(disabled)
        raise client.refusal(answer)
    return answer


def read(answer: Answer, model: type[M], status: int = 200, *, missing: DomainError | None = None) -> M:
    """:func:`parsed`, any status but ``status`` (and a 404 with ``missing``) as :func:`rejected` says."""
    return parsed(answer, model, status, missing=missing, otherwise=rejected)


async def fetch(
    client: AirflowClient,
    endpoint: Endpoint,
    params: Params | None,
    model: type[M],
    *,
    query: Query = None,
    missing: DomainError | None = None,
    otherwise: Refusal = refused,
) -> M:
    """``GET endpoint`` as ``model``: one object (``missing`` on a 404) or one page of a listing."""
    return parsed(await client.get(endpoint, params, query), model, missing=missing, otherwise=otherwise)

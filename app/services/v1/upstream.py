"""Airflow 3's refusals of a request, as v1 answers them (docs/api-v1.md, "Conventions")."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from app.errors import Conflict, DomainError, Invalid, NotFound
from app.gateway.pager import refused
from app.gateway.transport import Answer
from app.schemas.v1.bodies import located

M = TypeVar("M", bound=BaseModel)


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


def read(answer: Answer, model: type[M], status: int = 200) -> M:
    """The answer's body as ``model`` when it has ``status``; else what :func:`rejected` says."""
    if answer.status != status:
        raise rejected(answer)
    return answer.parsed(model)

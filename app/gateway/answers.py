"""Reading Airflow's answers, for every API served in front of it: a body as its model
(:func:`parsed`), a collection's items (for :class:`~app.gateway.pager.Pager`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel

from app.errors import DomainError
from app.gateway import models as v2
from app.gateway.pager import refused
from app.gateway.transport import Answer

M = TypeVar("M", bound=BaseModel)
Refusal = Callable[[Answer], DomainError]


def parsed(
    answer: Answer,
    model: type[M],
    status: int = 200,
    *,
    missing: DomainError | None = None,
    otherwise: Refusal = refused,
) -> M:
    """The answer's body as ``model`` when it has ``status``; a 404 raises ``missing`` (when given),
    any other status what ``otherwise`` makes of it (by default: the caller's problem, 400)."""
    if missing is not None and answer.status == 404:
        raise missing
    if answer.status != status:
        raise otherwise(answer)
    return answer.parsed(model)


def dag_runs(page: v2.DagRunCollection) -> list[v2.DagRun]:
    return page.dag_runs


def dags(page: v2.DagCollection) -> list[v2.Dag]:
    return page.dags


def pools(page: v2.PoolCollection) -> list[v2.Pool]:
    return page.pools


def assets(page: v2.AssetCollection) -> list[v2.Asset]:
    return page.assets


def asset_events(page: v2.AssetEventCollection) -> list[v2.AssetEvent]:
    return page.asset_events


def task_instances(page: v2.TaskInstanceCollection) -> list[v2.TaskInstance]:
    return page.task_instances

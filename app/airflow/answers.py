"""Reading Airflow's answers: a body as its model, a collection's items (for ``Pager``)."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from app.gateway import models as v2
from app.gateway.pager import expect
from app.gateway.transport import Answer

M = TypeVar("M", bound=BaseModel)


def parsed(answer: Answer, model: type[M]) -> M:
    """A 200 answer's body as ``model``; any other 4xx is the caller's problem (400)."""
    expect(answer, 200)
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

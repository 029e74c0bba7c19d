"""Airflow 2's stable REST API, ``/api/v1``, served in front of Airflow 3 (docs/api-v1.md).

:func:`create_v1_app` builds the application mounted at ``/api/v1``: its own routes (one module per
resource), its own OpenAPI document (``/api/v1/openapi.json``, pages at ``/api/v1/docs``) and its
own error handlers (problem+json, app/routers/v1/conventions.py). In dagport's own store there is
no Airflow behind it: every path answers 404 saying so.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from app.config import Settings
from app.gateway.client import AirflowClient
from app.routers import docs
from app.routers.v1 import (
    config,
    connections,
    dag_runs,
    dag_sources,
    dag_stats,
    dag_warnings,
    dags,
    datasets,
    event_logs,
    fab,
    import_errors,
    logs,
    monitor,
    plugins,
    pools,
    providers,
    task_instances,
    tasks,
    variables,
    xcom,
)
from app.routers.v1.conventions import install_problem_handlers, problem_response
from app.services.v1.context import Secrets, V1Context

PREFIX = "/api/v1"
# Routes are matched in this order, one after the other: the ones polling clients call most (a
# run's state, its task instances) first. No two routers hold routes for the same path and method.
ROUTERS: tuple[APIRouter, ...] = tuple(
    module.router
    for module in (
        dag_runs,
        task_instances,
        xcom,
        logs,
        dags,
        tasks,
        monitor,
        config,
        connections,
        dag_sources,
        dag_stats,
        dag_warnings,
        import_errors,
        datasets,
        event_logs,
        pools,
        variables,
        plugins,
        providers,
        fab,
    )
)
NOT_SERVED = "dagport serves /api/v1 in front of Airflow 3 only (DAGPORT_BACKEND=airflow)"
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def create_v1_app(
    settings: Settings, client: AirflowClient | None, version: str, secrets: Secrets | None = None
) -> FastAPI:
    app = FastAPI(
        title="dagport: Airflow 2's stable REST API",
        version=version,
        summary="Apache Airflow 2's `/api/v1`, served in front of Airflow 3 through its REST API v2",
        description=(
            "The operations of Airflow 2.11's stable REST API, answered as Airflow 2.11 answered "
            "them (status codes, bodies, error texts) from the Airflow 3 that dagport fronts. Errors "
            "are `application/problem+json`. Authenticate as for dagport's experimental API: dagport's "
            "tokens (service mode) or your Airflow credentials (passthrough). What differs from "
            "Airflow 2.11, and why: docs/api-v1.md in dagport's repository."
        ),
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
    )
    install_problem_handlers(app)
    if client is None:

        async def not_served() -> object:
            return problem_response(404, NOT_SERVED)

        app.add_api_route("/{path:path}", not_served, methods=ALL_METHODS, include_in_schema=False)
        return app
    app.state.v1 = V1Context(client, settings, secrets)
    for router in ROUTERS:
        app.include_router(router)
    docs.install(app)
    return app

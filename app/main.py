"""The application factory: settings -> engine, token store, routers, error handlers."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.airflow.backend import AirflowBackend
from app.auth import TokenStore
from app.config import Settings
from app.core.ports import Backend
from app.dates import utcnow
from app.db.backend import SqlBackend
from app.db.engine import Engine, create_engine, pool_figures
from app.db.repositories.secret_keys import SecretKeys
from app.definitions.decoding import DefinitionLimits
from app.error_handlers import install_error_handlers
from app.gateway.context import UpstreamContextMiddleware
from app.gateway.transport import masked
from app.listing_cache import ListingCache
from app.middleware import ApiProtocolMiddleware
from app.observability import Metrics, configure_logging, route_templates
from app.routers import dag_runs, dags, docs, lineage, pools, service, tasks, v1
from app.schemas.dag_runs import RunStatePatch, TriggerRequest
from app.schemas.listings import airflow_run_links, graph_links
from app.schemas.pools import PoolCreate
from app.schemas.tasks import TaskInstancePatch
from app.services.dag_runs import DagRunService
from app.services.dags import DagService
from app.services.lineage import LineageService
from app.services.pools import PoolService
from app.services.tasks import TaskService

API_PREFIX = "/api/experimental"
log = logging.getLogger("dagport")

# Bodies are parsed by hand (any Content-Type is JSON, exact Airflow messages), so their models
# are added to the OpenAPI components here and referenced by the routes' openapi_extra.
REQUEST_MODELS = (TriggerRequest, PoolCreate, RunStatePatch, TaskInstancePatch)

TAGS = [
    {"name": "dag_runs", "description": "Trigger runs, list them and read their state (Airflow's API)"},
    {"name": "tasks", "description": "Task and task-instance attributes (Airflow's API)"},
    {"name": "dags", "description": "Pause state, source and deletion of DAGs (Airflow's API)"},
    {"name": "pools", "description": "Slot pools (Airflow's API)"},
    {"name": "lineage", "description": "Inlets and outlets recorded for successful task instances"},
    {"name": "service", "description": "Credentials check and version"},
    {
        "name": "extensions",
        "description": "dagport additions: DAG definitions, run and task-instance state updates",
    },
    {"name": "operations", "description": "Liveness and readiness, without authentication"},
]


@dataclass(frozen=True, slots=True)
class Services:
    """The app's services, built once over its backend; routers reach them through dependencies."""

    dag_runs: DagRunService
    tasks: TaskService
    dags: DagService
    pools: PoolService
    lineage: LineageService

    @classmethod
    def over(
        cls, backend: Backend, settings: Settings, clock: Callable[[], datetime], cache: ListingCache
    ) -> Services:
        links = (
            airflow_run_links(masked(settings.airflow_ui_url or settings.airflow_url, mask=""))
            if settings.fronts_airflow
            else graph_links(settings.ui_base_url)
        )
        return cls(
            dag_runs=DagRunService(
                backend,
                default_tz=settings.tz,
                triggered_run_state=settings.triggered_run_state,
                clock=clock,
                listing_cache=cache,
                run_links=links,
                chunk_rows=settings.listing_chunk_rows,
            ),
            tasks=TaskService(backend, clock=clock),
            dags=DagService(
                backend,
                default_tz=settings.tz,
                clock=clock,
                limits=DefinitionLimits.of(settings),
            ),
            pools=PoolService(backend),
            lineage=LineageService(backend),
        )


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    clock: Callable[[], datetime] = utcnow,
    prepare: bool = False,
) -> FastAPI:
    """The app over ``settings``; ``prepare``: its lifespan runs the start-up preparation
    (app/startup.py) before it serves, for a server ``dagport serve`` did not prepare."""
    settings = settings or Settings()
    owns_engine = engine is None
    engine = engine or create_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if prepare:
            # Imported here: alembic and the loaders cost a worker that does not prepare ~0.1 s.
            from app.startup import prepare_worker

            await prepare_worker(settings)
        if settings.auth_backend == "none" and not settings.airflow_passthrough:
            log.warning("DAGPORT_AUTH_BACKEND=none: the API accepts requests WITHOUT credentials")
        async with app.state.metrics.publishing(settings.metrics_publish_seconds):
            yield
        if isinstance(app.state.backend, AirflowBackend):
            await app.state.backend.aclose()
        if app.state.token_store is not None:
            await app.state.token_store.close()
        if owns_engine:
            await engine.dispose()

    app = FastAPI(
        title="dagport",
        version=service.VERSION,
        summary="Apache Airflow's experimental REST API, served by a standalone async service",
        description=(
            "Compatible with Airflow's `/api/experimental` API (1.10 through 2.x): trigger runs, read "
            "their state, tasks and task instances, pause DAGs, manage pools, read lineage. Every error "
            'is JSON `{"error": ...}`. Authenticate with `Authorization: Bearer <token>` (or Basic '
            "with the token as password). Dates, errors and dagport's extensions are explained in "
            "docs/api.md, the DAG definition format in docs/dag-definitions.md (in dagport's repository)."
        ),
        openapi_tags=TAGS,
        lifespan=lifespan,
        redirect_slashes=False,
        docs_url=None,  # served by app/routers/docs.py from the package's own files
        redoc_url=None,
        telemetry=None if settings.opentelemetry else {"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.clock = clock
    app.state.listing_cache = ListingCache(int(settings.listing_cache_mb * 2**20))
    app.state.metrics = Metrics(partial(pool_figures, engine), app.state.listing_cache)
    backend: Backend = (
        # In multiprocess mode the upstream counters live in the shared files the registry sums.
        AirflowBackend(
            settings, engine, None if app.state.metrics.multiprocess else app.state.metrics.registry
        )
        if settings.fronts_airflow
        else SqlBackend(engine, settings)
    )
    app.state.backend = backend
    app.state.services = Services.over(backend, settings, clock, app.state.listing_cache)
    # Token reloads read through an engine of their own, without a pool: authentication never
    # waits for one of the requests' connections (app/auth.py). In passthrough mode Airflow checks
    # each caller's own credentials instead of dagport.
    app.state.token_store = (
        TokenStore(
            create_engine(settings, null_pool=True, connect_timeout=settings.token_reload_timeout),
            settings.env_tokens,
            settings.token_cache_seconds,
            reload_timeout=settings.token_reload_timeout,
        )
        if settings.auth_backend == "token" and not settings.airflow_passthrough
        else None
    )

    included = [
        *(
            (API_PREFIX, router)
            for router in (
                dag_runs.router,
                tasks.router,
                dags.router,
                pools.router,
                lineage.router,
                service.api_router,
            )
        ),
        ("", service.ops_router),
    ]
    for prefix, router in included:
        app.include_router(router, prefix=prefix)
    docs.install(app)
    # Airflow 2's stable API, an application of its own (its OpenAPI document, its error shape).
    client = backend.client if isinstance(backend, AirflowBackend) else None
    app.mount(v1.PREFIX, v1.create_v1_app(settings, client, service.VERSION, SecretKeys(engine, settings)))
    included += [(v1.PREFIX, router) for router in v1.ROUTERS]
    app.state.metrics.templates = route_templates(included)
    install_error_handlers(app)
    if settings.fronts_airflow:
        app.add_middleware(UpstreamContextMiddleware)
    app.add_middleware(
        ApiProtocolMiddleware,
        max_body_bytes=settings.max_body_bytes,
        metrics=app.state.metrics,
        root_path=settings.root_path,
        tokens=app.state.token_store,
        protected_prefix=API_PREFIX,
        v1_prefix=v1.PREFIX,
    )
    app.openapi = _openapi_with_request_models(app)  # type: ignore[method-assign]  # FastAPI's documented way to extend it
    return app


def serve_app() -> FastAPI:
    """The factory for uvicorn started directly (``uvicorn app.main:serve_app --factory``): each
    worker's lifespan prepares (migrates, loads, a first token: app/startup.py) before it serves."""
    return _worker_app(prepare=True)


def prepared_app() -> FastAPI:
    """The factory ``dagport serve`` hands uvicorn, once it has prepared for all its workers."""
    return _worker_app(prepare=False)


def _worker_app(*, prepare: bool) -> FastAPI:
    """A worker configures its logging, then builds its app.

    Then everything built so far (modules, routes, models) is moved out of the garbage collector's
    reach with ``gc.freeze()``: they live as long as the worker, and each full collection would walk
    all of them again (a listing allocates enough objects to trigger one every few dozen requests;
    docs/performance.md).
    """
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    app = create_app(settings, prepare=prepare)
    gc.freeze()
    return app


def _openapi_with_request_models(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        for model in REQUEST_MODELS:
            model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(model_schema.pop("$defs", {}))
            schemas[model.__name__] = model_schema
        for operations in schema["paths"].values():
            for operation in operations.values():
                # Validation failures are 400 with the error envelope (documented per route), never 422.
                operation.get("responses", {}).pop("422", None)
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = schema
        return schema

    return openapi

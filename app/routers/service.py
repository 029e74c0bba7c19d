"""Service endpoints: /test and /info under the API prefix; /health and /ready outside it."""

from __future__ import annotations

import asyncio
from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from app.core import messages
from app.error_handlers import ErrorBody, responses
from app.json import JSONResponse
from app.routing import LeanRoute
from app.schemas.info import HealthResponse, InfoResponse, TestResponse
from app.security import API_SECURITY

try:
    VERSION = version("dagport")
except PackageNotFoundError:  # running from a source tree that was not installed
    VERSION = "0.0.0+unknown"

api_router = APIRouter(tags=["service"], route_class=LeanRoute, dependencies=API_SECURITY)
ops_router = APIRouter(tags=["operations"], route_class=LeanRoute)

READY_TIMEOUT_SECONDS = 2.0


@api_router.get("/test", summary="Check credentials", response_model=TestResponse, responses=responses(403))
async def test(request: Request) -> JSONResponse:
    """Answers `{"status": "OK"}` when the credentials are good (it exists to check them). In front
    of Airflow with passthrough credentials, Airflow checks them (401 / 403 as it answers)."""
    check_caller = getattr(request.app.state.backend, "check_caller", None)
    if check_caller is not None:
        await check_caller()
    return JSONResponse({"status": "OK"})


@api_router.get("/info", summary="dagport version", response_model=InfoResponse, responses=responses())
async def info(request: Request) -> JSONResponse:
    """The running dagport version; in front of Airflow also the Airflow version behind it."""
    upstream = getattr(request.app.state.backend, "upstream_version", None)
    if upstream is None:
        return JSONResponse({"version": VERSION})
    return JSONResponse({"version": VERSION, "airflow_version": await upstream()})


@ops_router.get("/health", summary="Liveness", response_model=HealthResponse)
async def health() -> JSONResponse:
    """200 whenever the process serves requests; no I/O."""
    return JSONResponse({"status": "ok"})


@ops_router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"}},
)
async def metrics(request: Request) -> Response:
    """Requests by route template, method and status; latency histogram; database pool in use/idle;
    the listing cache's lookups (hit, miss) and bytes. With several workers, the sum over them."""
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


@ops_router.get(
    "/ready",
    summary="Readiness",
    response_model=HealthResponse,
    responses={
        503: {"model": ErrorBody, "description": "The database (or the fronted Airflow) does not answer"}
    },
)
async def ready(request: Request) -> JSONResponse:
    """200 when the database answers `SELECT 1` within 2 seconds, else 503 (the load balancer's check).
    In front of Airflow: when Airflow's `/api/v2/monitor/health` reports its metadata database healthy."""
    backend = request.app.state.backend
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            ready = await backend.ping()
    except TimeoutError:
        ready = False
    if not ready:
        return JSONResponse(
            {"error": messages.not_ready(request.app.state.settings.fronts_airflow)}, status_code=503
        )
    return JSONResponse({"status": "ok"})

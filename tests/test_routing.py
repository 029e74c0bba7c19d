"""app/routing.py: which routes LeanRoute calls directly, and that they answer as FastAPI's own
handler does (every endpoint is built twice, under LeanRoute and under APIRoute)."""

from __future__ import annotations

from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from app.routing import LeanRoute


async def dependency() -> str:
    return "dep"


async def no_repeated_query(request: Request) -> None:
    """A request-only check, as dagport's SingleValuedQuery."""
    if "stop" in request.query_params:
        raise ValueError("stopped by the check")


async def path_upper(request: Request, a: str) -> str:
    """A dependency reading a path parameter, as dagport's ExecutionDate."""
    if a == "bad":
        raise ValueError("bad path value")
    return a.upper()


async def yielding():
    yield "yielded"


class ListingQuery(BaseModel):
    limit: int | None = Field(None, ge=1, le=10)
    offset: int = Field(0, ge=0, le=2**31 - 1)
    flag: bool | None = None
    ratio: float = Field(0.5, lt=1)
    state: str | None = Field(None, max_length=5)


def build_router(route_class: type[APIRoute]) -> APIRouter:
    """The same endpoints under LeanRoute or FastAPI's own APIRoute."""
    router = APIRouter(route_class=route_class)

    @router.get("/plain/{a}/{b}")
    async def plain(
        a: str, b: Annotated[str, Path(description="documented, not constrained")], request: Request
    ) -> JSONResponse:
        return JSONResponse({"a": a, "b": b, "path": request.url.path})

    @router.get("/constrained/{a}")
    async def constrained(a: Annotated[str, Path(max_length=3)]) -> JSONResponse:
        return JSONResponse({"a": a})

    @router.get("/number/{n}")
    async def number(n: int) -> JSONResponse:
        return JSONResponse({"n": n})

    @router.get("/aliased/{the_name}")
    async def aliased(name: Annotated[str, Path(alias="the_name")]) -> JSONResponse:
        return JSONResponse({"name": name})

    @router.get("/scalar-query/{a}")
    async def scalar_query(a: str, q: str = Query("x")) -> JSONResponse:
        return JSONResponse({"a": a, "q": q})

    @router.get("/listing/{a}", dependencies=[Depends(no_repeated_query)])
    async def listing(a: str, query: Annotated[ListingQuery, Query()]) -> JSONResponse:
        return JSONResponse({"a": a, **query.model_dump()})

    @router.get("/upper/{a}")
    async def upper(
        value: Annotated[str, Depends(path_upper)], d: Annotated[str, Depends(dependency)]
    ) -> JSONResponse:
        return JSONResponse({"value": value, "d": d})

    @router.get("/yields/{a}")
    async def yields(a: str, value: Annotated[str, Depends(yielding)]) -> JSONResponse:
        return JSONResponse({"a": a, "value": value})

    @router.get("/dict/{a}")
    async def returns_a_dict(a: str) -> dict[str, str]:
        return {"a": a}

    @router.get("/sync/{a}")
    def sync(a: str) -> JSONResponse:
        return JSONResponse({"a": a})

    @router.get("/fails/{a}")
    async def fails(a: str) -> JSONResponse:
        raise ValueError(a)

    return router


LEAN = {"/plain/{a}/{b}", "/fails/{a}", "/listing/{a}", "/upper/{a}"}


def test_which_routes_are_called_directly() -> None:
    router = build_router(LeanRoute)
    assert {r.path for r in router.routes if r.lean_call() is not None} == LEAN  # type: ignore[attr-defined]


def app_with(route_class: type[APIRoute]) -> FastAPI:
    app = FastAPI()
    app.include_router(build_router(route_class), prefix="/p")

    @app.exception_handler(ValueError)
    async def value_error(request: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=418)

    return app


def client_of(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


@pytest.fixture
async def client():
    async with client_of(app_with(LeanRoute)) as c:
        yield c


@pytest.fixture
async def fastapi_client():
    async with client_of(app_with(APIRoute)) as c:
        yield c


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/p/plain/x%20y/z%2B", 200, {"a": "x y", "b": "z+", "path": "/p/plain/x y/z+"}),
        ("/p/constrained/abc", 200, {"a": "abc"}),
        ("/p/number/7", 200, {"n": 7}),
        ("/p/aliased/n", 200, {"name": "n"}),
        ("/p/scalar-query/a?q=y", 200, {"a": "a", "q": "y"}),
        (
            "/p/listing/a",
            200,
            {"a": "a", "limit": None, "offset": 0, "flag": None, "ratio": 0.5, "state": None},
        ),
        (
            "/p/listing/a?limit=3&flag=yes&ratio=0.25&state=ok&other=1",
            200,
            {"a": "a", "limit": 3, "offset": 0, "flag": True, "ratio": 0.25, "state": "ok"},
        ),
        ("/p/listing/a?limit=x&stop", 418, {"error": "stopped by the check"}),  # checks come first
        ("/p/upper/abc", 200, {"value": "ABC", "d": "dep"}),
        ("/p/upper/bad", 418, {"error": "bad path value"}),
        ("/p/yields/a", 200, {"a": "a", "value": "yielded"}),
        ("/p/dict/a", 200, {"a": "a"}),
        ("/p/sync/a", 200, {"a": "a"}),
        ("/p/fails/boom", 418, {"error": "boom"}),  # the app's exception handlers still apply
    ],
)
async def test_every_route_answers_as_fastapi_does(client, fastapi_client, path, status, body) -> None:
    response = await client.get(path)
    assert (response.status_code, response.json()) == (status, body)
    reference = await fastapi_client.get(path)
    assert (reference.status_code, reference.json()) == (status, body)


@pytest.mark.parametrize(
    "path",
    [
        "/p/constrained/abcd",
        "/p/number/seven",
        "/p/listing/a?limit=0",
        "/p/listing/a?limit=11&offset=-1&flag=maybe&ratio=2&state=toolong",  # every error, in order
        "/p/listing/a?limit=&offset=",
        "/p/listing/a?limit=1.5",
        "/p/listing/a?offset=99999999999999999999999",
    ],
)
async def test_validation_errors_are_fastapis_own(client, fastapi_client, path) -> None:
    """Lean or not, the same 422 with the same error list as FastAPI's own handler."""
    response = await client.get(path)
    reference = await fastapi_client.get(path)
    assert response.status_code == reference.status_code == 422
    assert response.json() == reference.json()


async def test_dependency_overrides_are_honoured() -> None:
    """With overrides set, a lean route hands the request to FastAPI's handler."""
    app = app_with(LeanRoute)

    async def stop_everything(request: Request) -> None:
        raise ValueError("overridden")

    app.dependency_overrides[no_repeated_query] = stop_everything
    async with client_of(app) as c:
        response = await c.get("/p/listing/a")
    assert (response.status_code, response.json()) == (418, {"error": "overridden"})


def test_lean_routes_are_documented_as_fastapis() -> None:
    assert app_with(LeanRoute).openapi() == app_with(APIRoute).openapi()


def test_every_dagport_route_is_lean(app) -> None:
    """Every endpoint of dagport has the lean shape (a refactor must not lose it on a hot path)."""
    from app.routers import dag_runs, dags, lineage, pools, service, tasks

    routes = [r for module in (dag_runs, dags, lineage, pools, tasks) for r in module.router.routes] + [
        *service.api_router.routes,
        *service.ops_router.routes,
    ]
    assert len(routes) == 26
    assert [r.path for r in routes if not (isinstance(r, LeanRoute) and r.lean_call() is not None)] == []

"""app/routing.py: which routes LeanRoute calls directly, and that they answer as FastAPI would."""

from __future__ import annotations

from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse

from app.routing import LeanRoute, _lean

router = APIRouter(route_class=LeanRoute)


@router.get("/plain/{a}/{b}")
async def plain(
    a: str, b: Annotated[str, Path(description="documented, not constrained")], request: Request
) -> JSONResponse:
    return JSONResponse({"a": a, "b": b, "path": request.url.path})


@router.get("/constrained/{a}")
async def constrained(a: Annotated[str, Path(max_length=3)], request: Request) -> JSONResponse:
    return JSONResponse({"a": a})


@router.get("/number/{n}")
async def number(n: int, request: Request) -> JSONResponse:
    return JSONResponse({"n": n})


@router.get("/aliased/{the_name}")
async def aliased(name: Annotated[str, Path(alias="the_name")], request: Request) -> JSONResponse:
    return JSONResponse({"name": name})


@router.get("/unused/{a}/{b}")
async def unused_path_parameter(a: str, request: Request) -> JSONResponse:
    return JSONResponse({"a": a})


@router.get("/query/{a}")
async def query(a: str, request: Request, q: str = Query("x")) -> JSONResponse:
    return JSONResponse({"a": a, "q": q})


async def dependency() -> str:
    return "dep"


@router.get("/depends/{a}")
async def depends(a: str, request: Request, d: Annotated[str, Depends(dependency)]) -> JSONResponse:
    return JSONResponse({"a": a, "d": d})


@router.get("/dict/{a}")
async def returns_a_dict(a: str, request: Request) -> dict[str, str]:
    return {"a": a}


@router.get("/sync/{a}")
def sync(a: str, request: Request) -> JSONResponse:
    return JSONResponse({"a": a})


@router.get("/fails/{a}")
async def fails(a: str, request: Request) -> JSONResponse:
    raise ValueError(a)


LEAN = {"/plain/{a}/{b}", "/fails/{a}"}


def test_only_plain_string_path_parameters_and_a_response_are_called_directly() -> None:
    assert {r.path for r in router.routes if _lean(r)} == LEAN  # type: ignore[arg-type]
    for route in router.routes:
        handler = route.get_route_handler()  # type: ignore[attr-defined]
        assert handler.__qualname__.startswith("LeanRoute.") == (route.path in LEAN)  # type: ignore[attr-defined]


@pytest.fixture
async def client():
    app = FastAPI()
    app.include_router(router, prefix="/p")

    @app.exception_handler(ValueError)
    async def value_error(request: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=418)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/p/plain/x%20y/z%2B", 200, {"a": "x y", "b": "z+", "path": "/p/plain/x y/z+"}),
        ("/p/constrained/abc", 200, {"a": "abc"}),
        ("/p/number/7", 200, {"n": 7}),
        ("/p/aliased/n", 200, {"name": "n"}),
        ("/p/query/a?q=y", 200, {"a": "a", "q": "y"}),
        ("/p/unused/a/b", 200, {"a": "a"}),
        ("/p/depends/a", 200, {"a": "a", "d": "dep"}),
        ("/p/dict/a", 200, {"a": "a"}),
        ("/p/sync/a", 200, {"a": "a"}),
        ("/p/fails/boom", 418, {"error": "boom"}),  # the app's exception handlers still apply
    ],
)
async def test_every_route_answers_as_fastapi_does(client, path, status, body) -> None:
    response = await client.get(path)
    assert (response.status_code, response.json()) == (status, body)


@pytest.mark.parametrize("path", ["/p/constrained/abcd", "/p/number/seven"])
async def test_routes_with_something_to_validate_keep_fastapis_validation(client, path) -> None:
    assert (await client.get(path)).status_code == 422


def test_dagports_hot_lookups_are_lean() -> None:
    """The routes the benchmark's lookups hit take the lean path (a refactor must not lose it)."""
    from app.routers import dag_runs, pools, tasks

    lean = {
        (next(iter(r.methods)), r.path)
        for module in (dag_runs, pools, tasks)
        for r in module.router.routes
        if isinstance(r, LeanRoute) and _lean(r)
    }
    for route in (
        ("GET", "/dags/{dag_id}/dag_runs/{execution_date}"),
        ("GET", "/dags/{dag_id}/dag_runs/{execution_date}/tasks/{task_id}"),
        ("GET", "/dags/{dag_id}/tasks/{task_id}"),
        ("GET", "/latest_runs"),
        ("GET", "/pools"),
        ("POST", "/dags/{dag_id}/dag_runs"),
    ):
        assert route in lean

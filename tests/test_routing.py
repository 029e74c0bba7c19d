"""app/routing.py: which routes LeanRoute calls directly, and that they answer as FastAPI's own
handler does (every endpoint is built twice, under LeanRoute and under APIRoute)."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from app.routing import LeanRoute, _lean, include_flat


async def dependency() -> str:
    return "dep"


async def no_repeated_query(request: Request) -> None:
    """A request-only check, as dagport's SingleValuedQuery."""
    if "stop" in request.query_params:
        raise ValueError("stopped by the check")


def sync_check(request: Request) -> None:
    pass


def build_router(route_class: type[APIRoute]) -> APIRouter:
    """The same endpoints under LeanRoute or FastAPI's own APIRoute."""
    router = APIRouter(route_class=route_class)

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

    @router.get("/listing/{a}", dependencies=[Depends(no_repeated_query)])
    async def listing(
        a: str,
        request: Request,
        limit: int | None = Query(None, ge=1, le=10),
        offset: int = Query(0, ge=0, le=2**31 - 1),
        flag: bool | None = Query(None),
        ratio: float = Query(0.5, lt=1),
        state: str | None = Query(None, max_length=5),
    ) -> JSONResponse:
        return JSONResponse(
            {"a": a, "limit": limit, "offset": offset, "flag": flag, "ratio": ratio, "state": state}
        )

    @router.get("/required")
    async def required(
        request: Request, r: int = Query(), v: int = Query(3, ge=5, validate_default=True)
    ) -> JSONResponse:
        return JSONResponse({"r": r, "v": v})

    @router.get("/many")
    async def many(request: Request, q: list[str] = Query([])) -> JSONResponse:
        return JSONResponse({"q": q})

    @router.get("/alias")
    async def query_alias(request: Request, q: str = Query("x", alias="other")) -> JSONResponse:
        return JSONResponse({"q": q})

    @router.get("/sync-check", dependencies=[Depends(sync_check)])
    async def with_sync_check(request: Request) -> JSONResponse:
        return JSONResponse({})

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

    return router


router = build_router(LeanRoute)
LEAN = {"/plain/{a}/{b}", "/fails/{a}", "/query/{a}", "/listing/{a}", "/required"}


def test_which_routes_are_called_directly() -> None:
    assert {r.path for r in router.routes if _lean(r)} == LEAN  # type: ignore[arg-type]
    for route in router.routes:
        handler = route.get_route_handler()  # type: ignore[attr-defined]
        assert handler.__qualname__.startswith("LeanRoute.") == (route.path in LEAN)  # type: ignore[attr-defined]


def test_flat_lean_routes_are_answered_without_fastapis_wrapper() -> None:
    """Served by the app's own router, a lean route's ASGI app calls its handler directly (the
    exceptions it raises still reach the app's handlers: /p/fails/boom below)."""
    routes = [r for r in app_with(LeanRoute, flat=True).router.routes if isinstance(r, APIRoute)]
    direct = {r.path for r in routes if r.app.__qualname__.startswith("_lean_app.")}
    assert direct == {prefix + path for prefix in ("/p", "/i") for path in LEAN}


async def include_check(request: Request) -> None:
    if "deny" in request.query_params:
        raise ValueError("denied by the include")


def app_with(route_class: type[APIRoute], *, flat: bool = False) -> FastAPI:
    """The test routes included twice, by FastAPI's include_router or by dagport's include_flat."""
    app = FastAPI()
    include = partial(include_flat, app) if flat else app.include_router
    include(build_router(route_class), prefix="/p")
    include(build_router(route_class), prefix="/i", dependencies=[Depends(include_check)])

    @app.exception_handler(ValueError)
    async def value_error(request: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=418)

    return app


def client_of(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


@pytest.fixture(params=[False, True], ids=["included", "flat"])
async def client(request):
    async with client_of(app_with(LeanRoute, flat=request.param)) as c:
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
        ("/p/query/a?q=y", 200, {"a": "a", "q": "y"}),
        ("/p/query/a", 200, {"a": "a", "q": "x"}),
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
        ("/p/unused/a/b", 200, {"a": "a"}),
        ("/p/depends/a", 200, {"a": "a", "d": "dep"}),
        ("/p/dict/a", 200, {"a": "a"}),
        ("/p/sync/a", 200, {"a": "a"}),
        ("/p/sync-check", 200, {}),
        ("/p/many?q=1&q=2", 200, {"q": ["1", "2"]}),
        ("/p/alias?other=y", 200, {"q": "y"}),
        ("/p/fails/boom", 418, {"error": "boom"}),  # the app's exception handlers still apply
        # Dependencies given to include_router apply to the included lean routes.
        ("/i/plain/a/b?deny", 418, {"error": "denied by the include"}),
        ("/i/listing/a?deny&stop", 418, {"error": "denied by the include"}),
        ("/i/listing/a?stop", 418, {"error": "stopped by the check"}),
        ("/i/query/a?q=y", 200, {"a": "a", "q": "y"}),
    ],
)
async def test_every_route_answers_as_expected(client, fastapi_client, path, status, body) -> None:
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
        "/p/required",  # missing, and the default validated
        "/p/required?r=x&v=4",
        "/p/required?r=1",
    ],
)
async def test_validation_errors_are_fastapis_own(client, fastapi_client, path) -> None:
    """Lean or not, the same 422 with the same error list as FastAPI's own handler."""
    response = await client.get(path)
    reference = await fastapi_client.get(path)
    assert response.status_code == reference.status_code == 422
    assert response.json() == reference.json()


@pytest.mark.parametrize("flat", [False, True], ids=["included", "flat"])
async def test_dependency_overrides_are_honoured(flat: bool) -> None:
    """With overrides set, a lean route with checks hands the request to FastAPI's handler."""
    app = app_with(LeanRoute, flat=flat)

    async def stop_everything(request: Request) -> None:
        raise ValueError("overridden")

    app.dependency_overrides[no_repeated_query] = stop_everything
    async with client_of(app) as c:
        response = await c.get("/p/listing/a")
    assert (response.status_code, response.json()) == (418, {"error": "overridden"})


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
        ("GET", "/dags/{dag_id}/dag_runs"),
        ("GET", "/dags/{dag_id}/dag_runs/{execution_date}"),
        ("GET", "/dags/{dag_id}/dag_runs/{execution_date}/tasks/{task_id}"),
        ("GET", "/dags/{dag_id}/tasks/{task_id}"),
        ("GET", "/latest_runs"),
        ("GET", "/pools"),
        ("POST", "/dags/{dag_id}/dag_runs"),
    ):
        assert route in lean


@pytest.mark.parametrize("route_class", [LeanRoute, APIRoute])
def test_include_flat_documents_what_include_router_does(route_class: type[APIRoute]) -> None:
    assert app_with(route_class, flat=True).openapi() == app_with(route_class).openapi()


async def test_include_flat_answers_wrong_methods_and_unknown_paths_as_include_router() -> None:
    async with client_of(app_with(LeanRoute)) as included, client_of(app_with(LeanRoute, flat=True)) as flat:
        for method, path in [("POST", "/p/plain/a/b"), ("DELETE", "/i/query/a"), ("GET", "/p/nowhere")]:
            reference = await included.request(method, path)
            response = await flat.request(method, path)
            assert (response.status_code, response.headers.get("allow"), response.text) == (
                reference.status_code,
                reference.headers.get("allow"),
                reference.text,
            )
            assert response.status_code in (404, 405)


def test_dagports_routes_are_served_flat(app) -> None:
    """Every route of the app is on its own router (no nested router to match through): each is an
    endpoint's Route or the static files' Mount, never an included router (a BaseRoute of its own)."""
    from fastapi.staticfiles import StaticFiles
    from starlette.routing import Mount, Route

    assert [
        r
        for r in app.router.routes
        if not isinstance(r, Route) and not (isinstance(r, Mount) and isinstance(r.app, StaticFiles))
    ] == []
    lean = [r for r in app.router.routes if isinstance(r, LeanRoute)]
    assert len(lean) >= 23
    direct = [r for r in lean if r.app.__qualname__.startswith("_lean_app.")]
    assert direct == [r for r in lean if _lean(r)] and len(direct) >= 23

"""Every hand-built response body equals its route's response model serialisation.

The handlers build their JSON by hand (the hot paths skip Pydantic's serialiser); the models
document it in OpenAPI. Each endpoint is called once here and its body checked against the model
its route declares, so the two cannot drift apart.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.routing import APIRoute
from pydantic import TypeAdapter
from starlette.routing import Match

from tests.helpers import REFERENCE_DAGS_DIR, put_dag

API = "/api/experimental"
RUN = "/dags/example_bash/dag_runs/2016-11-16T00:00:00+00:00"


def response_model_of(app: Any, method: str, path: str) -> Any:
    scope = {"type": "http", "method": method, "path": API + path.split("?")[0], "root_path": ""}
    for prefix, router in ((API, r) for r in _routers()):
        for route in router.routes:
            assert isinstance(route, APIRoute)
            child = dict(scope, path=scope["path"].removeprefix(prefix))
            if route.matches(child)[0] == Match.FULL:
                return route.response_model
    raise AssertionError(f"no route for {method} {path}")


def _routers() -> list[Any]:
    from app.routers import dag_runs, dags, lineage, pools, service, tasks

    return [dag_runs.router, tasks.router, dags.router, pools.router, lineage.router, service.api_router]


def serialised(model: Any, body: Any) -> Any:
    adapter = TypeAdapter(model)
    return adapter.dump_python(adapter.validate_python(body), mode="json")


async def test_every_body_is_its_response_model(app, client: httpx.AsyncClient) -> None:
    await put_dag(client, REFERENCE_DAGS_DIR / "example_bash.json")
    calls = [
        ("PUT", "/dags/example_bash", (REFERENCE_DAGS_DIR / "example_bash.json").read_bytes()),
        (
            "POST",
            "/dags/example_bash/dag_runs",
            {"execution_date": "2016-11-16T00:00:00+00:00", "conf": "{}"},
        ),
        ("GET", "/dags/example_bash/dag_runs", None),
        ("GET", "/dags/example_bash/dag_runs?limit=1", None),
        ("GET", RUN, None),
        ("PATCH", RUN, {"state": "failed"}),
        ("GET", "/latest_runs", None),
        ("GET", "/dags", None),
        ("GET", "/dags/example_bash", None),
        ("GET", "/dags/example_bash/paused/true", None),
        ("GET", "/dags/example_bash/paused", None),
        ("GET", "/lineage/example_bash/2016-11-16T00:00:00+00:00", None),
        ("POST", "/pools", {"name": "p", "slots": 2, "description": "d"}),
        ("GET", "/pools", None),
        ("GET", "/pools/p", None),
        ("DELETE", "/pools/p", None),
        ("GET", "/test", None),
        ("GET", "/info", None),
        ("DELETE", "/dags/example_bash", None),
    ]
    for method, path, body in calls:
        kwargs: dict[str, Any] = {"content": body} if isinstance(body, bytes) else {"json": body}
        response = await client.request(method, path, **({} if body is None else kwargs))
        assert response.status_code in (200, 201), (method, path, response.text)
        model = response_model_of(app, method, path)
        assert model is not None, (method, path)
        assert response.json() == serialised(model, response.json()), (method, path)

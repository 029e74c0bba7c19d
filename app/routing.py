"""A leaner route for the simplest endpoints: called straight from the matched path.

FastAPI's request handler resolves an endpoint's parameters through its dependency machinery
(``solve_dependencies``: validation of every parameter, telemetry spans, exit stacks), ~35-50 us
a request on the bench machine: more than a tenth of a lookup's whole cost. Most of dagport's
GET endpoints take nothing but path parameters that are plain strings and the request, and
return a Response themselves: nothing to validate or serialise. For those, :class:`LeanRoute`
hands FastAPI a handler that calls the endpoint with ``request.path_params``; every other route
(query parameters, bodies, dependencies, constrained parameters, other return types) keeps
FastAPI's own handler. The OpenAPI document is APIRoute's, built from the same signature.
What lean routes give up is FastAPI's per-phase telemetry spans (dependencies, endpoint), which
dagport does not use; errors raised by the endpoint reach the same exception handlers.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response


class LeanRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        if not _lean(self):
            return super().get_route_handler()
        endpoint = self.endpoint
        request_name = self.dependant.request_param_name

        async def handler(request: Request) -> Response:
            return await endpoint(**request.path_params, **{request_name: request})  # type: ignore[misc]

        return handler


def _lean(route: APIRoute) -> bool:
    """Whether calling the endpoint with the path parameters is exactly what FastAPI would do."""
    d = route.dependant
    if (
        not inspect.iscoroutinefunction(route.endpoint)
        or d.request_param_name is None
        or d.query_params
        or d.header_params
        or d.cookie_params
        or d.body_params
        or d.dependencies
        or d.response_param_name
        or d.background_tasks_param_name
        or d.http_connection_param_name
        or d.security_scopes_param_name
        or route.dependencies
    ):
        return False
    # Exactly the path's parameters (the handler passes request.path_params as they are), strings
    # without constraints, under their own names: nothing to validate or rename (a matched path
    # segment is a string).
    if set(route.param_convertors) != {f.name for f in d.path_params}:
        return False
    if any(
        f.field_info.annotation is not str or f.field_info.metadata or f.alias != f.name
        for f in d.path_params
    ):
        return False
    returns = typing.get_type_hints(route.endpoint).get("return")
    return isinstance(returns, type) and issubclass(returns, Response)

"""A leaner route for dagport's endpoints: called straight from the matched path.

FastAPI's request handler resolves an endpoint's parameters through its dependency machinery
(``solve_dependencies``: validation of every parameter, telemetry spans, exit stacks), ~35-50 us
a request on the bench machine: more than a tenth of a lookup's whole cost, a quarter of a page
of runs. dagport's endpoints take the request, plain string path parameters and, for the two
listings, scalar query parameters; they return a Response themselves, and their only
dependency (``SingleValuedQuery``) is a check of the request. For those, :class:`LeanRoute`
hands FastAPI a handler that

1. awaits the route's request-only dependencies, in order (FastAPI solves them first too);
2. validates the query parameters the request carries, one value each, with each parameter's
   own FastAPI field validator (``ModelField.validate``, as FastAPI's ``request_params_to_args``
   calls it: same validators, same error locations, raised as the same RequestValidationError),
   and gives the absent ones their defaults without validating them, as FastAPI does (it skips
   them only unless ``validate_default``: such parameters, required ones and mutable defaults
   go through ``request_params_to_args`` itself);
3. calls the endpoint with ``request.path_params``, those values and the request.

A lean route served by the app's own router (:func:`include_flat`) is also answered without
FastAPI's ``request_response`` wrapper: its ASGI app builds the Request, awaits the handler and
sends the response. The wrapper's two exit stacks exist for dependencies with ``yield``, which a
lean route has none of, and its exception handling repeats the ExceptionMiddleware's, which
catches the same exceptions one frame further out with the same handlers (3-13 us a request,
1-5%, in-process).

Every other route (headers, cookies, bodies, parameter dependencies, constrained or renamed
parameters, other return types) keeps FastAPI's own handler, as does a request made while the app
has ``dependency_overrides``. The OpenAPI document is APIRoute's, built from the same signature.
What lean routes give up is FastAPI's per-phase telemetry spans (dependencies, endpoint), which
dagport does not use; errors raised by the endpoint reach the same exception handlers.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

import fastapi.routing
from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

# Defaults FastAPI would deepcopy for an absent parameter and that are their own copy.
_ATOMS = (type(None), bool, int, float, str, bytes)


class LeanRoute(APIRoute):
    _lean_handler: Callable[[Request], Coroutine[Any, Any, Response]] | None = None

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        lean = self._lean_handler
        if lean is not None and self.max_body_size is None:
            self.app = _lean_app(lean, self.app, self.dependency_overrides_provider)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        fastapi_handler = super().get_route_handler()
        route = _effective(self)
        if not _lean(route):
            return fastapi_handler
        endpoint = route.endpoint
        request_name = route.dependant.request_param_name
        assert request_name is not None
        checks: list[tuple[Callable[..., Awaitable[Any]], str]] = [
            (d.call, d.request_param_name)  # type: ignore[misc]
            for d in route.dependant.dependencies
        ]
        query = route.dependant.query_params
        if not query and not checks:

            async def handler(request: Request) -> Response:
                return await endpoint(**request.path_params, **{request_name: request})  # type: ignore[misc]

            if route is self:
                self._lean_handler = handler
            return handler

        # Absent parameters FastAPI would not validate get their default as they are; the rest
        # (required, validate_default, a default that is not its own copy) always go to FastAPI.
        defaults = {f.name: f.default for f in query if _default_as_is(f)}
        always = [f for f in query if f.name not in defaults]
        overrides = route.dependency_overrides_provider

        async def handler_with_query(request: Request) -> Response:
            if overrides is not None and getattr(overrides, "dependency_overrides", None):
                return await fastapi_handler(request)
            for call, name in checks:
                await call(**{name: request})
            received = request.query_params
            values: dict[str, Any] = {}
            errors: list[Any] = []
            for field in query if received else always:
                # In declaration order, as FastAPI reports errors. A parameter the request
                # carries: its one value through the field's own validator, under FastAPI's
                # location; an absent one: its default, or FastAPI's own handling.
                value = received.get(field.alias)
                if value is not None:
                    value, field_errors = field.validate(value, values, loc=("query", field.alias))
                elif field.name in defaults:
                    continue
                else:
                    field_values, field_errors = request_params_to_args([field], received)
                    value = field_values.get(field.name)
                if field_errors:
                    errors.extend(field_errors)
                else:
                    values[field.name] = value
            if errors:
                raise RequestValidationError(errors)
            return await endpoint(**request.path_params, **{**defaults, **values}, **{request_name: request})  # type: ignore[misc]

        if route is self:
            self._lean_handler = handler_with_query
        return handler_with_query


def _lean_app(handler: Any, fastapi_app: ASGIApp, overrides: Any) -> ASGIApp:
    """The route's ASGI app: ``handler``'s response sent as it is (see the module docstring)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if overrides is not None and getattr(overrides, "dependency_overrides", None):
            await fastapi_app(scope, receive, send)
            return
        response = await handler(Request(scope, receive, send))
        await response(scope, receive, send)

    return app


def _effective(route: APIRoute) -> Any:
    """The route as included where it is served: FastAPI (0.16x) builds an included route's handler
    from an "effective context" holding the include's prefix, dependencies and overrides provider,
    and reads it the same way in APIRoute.get_route_handler (older versions copied the route)."""
    context_var = getattr(fastapi.routing, "_effective_route_context_var", None)
    context = context_var.get() if context_var is not None else None
    if context is not None and getattr(context, "original_route", None) is route:
        return context
    return route


def _default_as_is(field: Any) -> bool:
    info = field.field_info
    return not info.is_required() and not info.validate_default and isinstance(field.default, _ATOMS)


def _lean(route: Any) -> bool:
    """Whether the lean handler does exactly what FastAPI's would (see the module docstring)."""
    d = route.dependant
    if (
        not inspect.iscoroutinefunction(route.endpoint)
        or d.request_param_name is None
        or d.header_params
        or d.cookie_params
        or d.body_params
        or d.response_param_name
        or d.background_tasks_param_name
        or d.http_connection_param_name
        or d.security_scopes_param_name
        or not all(_request_check(sub) for sub in d.dependencies)
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
    # Query parameters: one value each, under their own name (request_params_to_args is handed
    # only those the request names: a parameter read under another alias could be missed).
    if not all(_scalar_query(f) for f in d.query_params):
        return False
    returns = typing.get_type_hints(route.endpoint).get("return")
    return isinstance(returns, type) and issubclass(returns, Response)


def _request_check(sub: Dependant) -> bool:
    """A parameterless dependency (``dependencies=[...]``) that is ``async def f(request)``."""
    return (
        sub.name is None
        and sub.concurrency is None
        and inspect.iscoroutinefunction(sub.call)
        and sub.request_param_name is not None
        and not (
            sub.path_params
            or sub.query_params
            or sub.header_params
            or sub.cookie_params
            or sub.body_params
            or sub.dependencies
            or sub.response_param_name
            or sub.background_tasks_param_name
            or sub.http_connection_param_name
            or sub.security_scopes_param_name
            or sub.websocket_param_name
        )
    )


def _scalar_query(field: Any) -> bool:
    info = field.field_info
    annotation = info.annotation
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    args = [a for a in typing.get_args(annotation) if a is not type(None)] if union else [annotation]
    return (
        field.alias == field.name
        and info.validation_alias is None
        and all(a in (str, int, float, bool) for a in args)
    )


# What APIRouter.add_api_route accepts besides the path and endpoint: an APIRoute keeps each of
# them under the same name (the router's tags, responses and dependencies already merged in).
_ROUTE_ARGUMENTS = tuple(
    name
    for name in inspect.signature(fastapi.routing.APIRouter.add_api_route).parameters
    if name not in ("self", "path", "endpoint", "route_class_override")
)


def include_flat(
    app: FastAPI, router: APIRouter, *, prefix: str = "", dependencies: Sequence[Any] = ()
) -> None:
    """``app.include_router(router, prefix=..., dependencies=...)``, with the routes added to the
    app's own router (as include_router itself did before FastAPI 0.137, fastapi/fastapi#15745)
    instead of behind a nested router.

    FastAPI 0.16x keeps an included router as one entry and matches a request through it twice
    (to select it, then again to handle it), setting and restoring its scope keys for every
    candidate route: 18 us to route a task-instance lookup against 12 us over the same routes
    flat, and 252-258 against 288-295 us CPU for the whole request (python -m bench.inprocess).
    Each route is rebuilt from its own arguments (route class, tags, responses, dependencies,
    OpenAPI fields), so the OpenAPI document is the same; tests/test_routing.py compares both
    ways of including on every route.
    """
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise TypeError(f"include_flat: {route!r} is not an APIRoute")
        arguments = {name: getattr(route, name) for name in _ROUTE_ARGUMENTS if hasattr(route, name)}
        arguments["dependencies"] = [*dependencies, *route.dependencies]
        app.router.add_api_route(
            prefix + route.path, route.endpoint, route_class_override=type(route), **arguments
        )

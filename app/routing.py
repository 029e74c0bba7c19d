"""``LeanRoute``: an APIRoute whose handler calls the endpoint directly when that is exactly
what FastAPI's handler would do.

FastAPI's request handler resolves every parameter through its dependency machinery; on
dagport's hot lookups that cost about as much as the rest of the request (docs/architecture.md,
"Lean routes"). dagport's endpoints are written to a narrow shape, checked once when the route is
built, from the endpoint's signature only:

- ``request: Request``;
- path parameters: ``str``, named as in the path, without validation constraints (documentation
  such as ``description`` or ``json_schema_extra`` is fine);
- at most one query model, ``Annotated[SomeModel, Query()]`` (FastAPI's query parameter models);
- dependencies, as parameters or in ``dependencies=``, whose callable takes only those kinds of
  parameters (a ``Request``, path parameters) and has no sub-dependencies, such as the security
  schemes and the request checks.

For such a route the handler awaits the dependencies in declaration order (each once per use:
FastAPI's per-request cache of a dependency's value is not kept, so they must be cheap and pure,
as dagport's are), validates the query model with Pydantic (errors raised as FastAPI's
``RequestValidationError`` under ``query``, as FastAPI reports them), and calls the endpoint,
which returns a ``Response``. Any other route, and every request while
``app.dependency_overrides`` is set, gets FastAPI's own handler. Dependencies given to
``include_router(...)`` are not seen here: give them to ``APIRouter(dependencies=...)``. Only
public API is used: ``APIRoute.get_route_handler`` (FastAPI's documented extension point), the
endpoint's signature, ``Depends``/``Query`` parameter objects, and Pydantic validation.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any

from fastapi import Request, params
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

_PATH_PARAM = re.compile(r"{([^}:]+)(:[^}]*)?}")

# The key of the scope's state under which app/middleware.py marks a HEAD request (which it
# routes as a GET): HEAD never writes, so a route whose GET writes asks ``is_head_request``.
HEAD_REQUEST = "head_request"


def is_head_request(request: Request) -> bool:
    return bool(request.scope.get("state", {}).get(HEAD_REQUEST))


@dataclass(frozen=True, slots=True)
class _Call:
    """How to call one function: which of its arguments come from where."""

    function: Callable[..., Any]
    is_async: bool
    request: str | None
    path: tuple[str, ...]
    query: tuple[str, type[BaseModel]] | None
    dependencies: tuple[tuple[str, _Call], ...]
    checks: tuple[_Call, ...] = ()  # the route's own ``dependencies=``: run first, results unused

    async def __call__(self, request: Request) -> Any:
        for check in self.checks:
            await check(request)
        kwargs: dict[str, Any] = {}
        for name, dependency in self.dependencies:
            kwargs[name] = await dependency(request)
        if self.request is not None:
            kwargs[self.request] = request
        if self.path:
            path_params = request.path_params
            for name in self.path:
                kwargs[name] = path_params[name]
        if self.query is not None:
            name, model = self.query
            kwargs[name] = _validated_query(model, request)
        result = self.function(**kwargs)
        return await result if self.is_async else result


def _validated_query(model: type[BaseModel], request: Request) -> BaseModel:
    received = request.query_params
    try:
        return model.model_validate({k: received[k] for k in model.model_fields if k in received})
    except ValidationError as exc:
        errors = [{**err, "loc": ("query", *err["loc"])} for err in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


def _is_async(function: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
        getattr(function, "__call__", None)  # noqa: B004 (a callable object: its __call__)
    )


def _plan(function: Callable[..., Any], path_names: set[str], *, top: bool) -> _Call | None:
    """How to call ``function`` from the request alone, or ``None`` if FastAPI must resolve it."""
    if (
        not callable(function)
        or inspect.isasyncgenfunction(function)
        or inspect.isgeneratorfunction(function)
    ):
        return None  # a dependency with `yield` needs FastAPI's exit stack
    try:
        signature = inspect.signature(function)
        hints = typing.get_type_hints(
            function if inspect.isroutine(function) else type(function).__call__, include_extras=True
        )
    except (TypeError, ValueError, NameError):
        return None
    request = None
    path: list[str] = []
    query: tuple[str, type[BaseModel]] | None = None
    dependencies: list[tuple[str, _Call]] = []
    for name, parameter in signature.parameters.items():
        if parameter.kind not in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
            return None
        hint = hints.get(name, parameter.annotation)
        base = hint
        extras: tuple[Any, ...] = ()
        if typing.get_origin(hint) is typing.Annotated:
            base, *rest = typing.get_args(hint)
            extras = tuple(rest)
        if isinstance(parameter.default, params.Depends):
            extras = (*extras, parameter.default)
        markers = [m for m in extras if isinstance(m, params.Depends | params.Param)]
        if base is Request and not markers:
            request = name
        elif len(markers) == 1 and isinstance(markers[0], params.Depends):
            dependency = markers[0].dependency
            sub = _plan(dependency, path_names, top=False) if dependency is not None else None
            if sub is None or sub.dependencies or sub.query is not None:
                return None
            dependencies.append((name, sub))
        elif name in path_names and base is str and all(isinstance(m, params.Path) for m in markers):
            first = markers[0] if markers else None
            if isinstance(first, params.Path) and not _no_validation(first):
                return None
            path.append(name)
        elif (
            top
            and query is None
            and len(markers) == 1
            and isinstance(markers[0], params.Query)
            and isinstance(base, type)
            and issubclass(base, BaseModel)
            and _scalar_query_model(base)
        ):
            query = (name, base)
        else:
            return None
    return _Call(function, _is_async(function), request, tuple(path), query, tuple(dependencies))


def _scalar_query_model(model: type[BaseModel]) -> bool:
    """A query model whose fields FastAPI reads one value each, by their own names, and that
    ignores other parameters: exactly what ``_validated_query`` hands it."""
    if model.model_config.get("extra", "ignore") != "ignore":
        return False
    for name, field in model.model_fields.items():
        if field.alias not in (None, name) or field.validation_alias is not None:
            return False
        annotation = field.annotation
        union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
        kinds = [a for a in typing.get_args(annotation) if a is not type(None)] if union else [annotation]
        if not all(kind in (str, int, float, bool) for kind in kinds):
            return False
    return True


def _no_validation(info: params.Path) -> bool:
    """A path parameter FastAPI would pass through as the matched text."""
    return not info.metadata and info.alias is None and info.validation_alias is None


class LeanRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        fastapi_handler = super().get_route_handler()
        call = self.lean_call()
        if call is None:
            return fastapi_handler

        async def handler(request: Request) -> Response:
            if request.app.dependency_overrides:  # tests replacing a dependency: FastAPI resolves
                return await fastapi_handler(request)
            response: Response = await call(request)  # a lean endpoint answers a Response
            return response

        return handler

    def lean_call(self) -> _Call | None:
        """The endpoint's direct call, with the route's ``dependencies=`` run first; ``None``
        when the route does not have the shape the module docstring describes. Planned once per
        route: every app that includes the route builds its handler again."""
        try:
            planned: _Call | None = self.__dict__["lean_plan"]
            return planned
        except KeyError:
            plan = self.__dict__["lean_plan"] = self._plan_lean_call()
            return plan

    def _plan_lean_call(self) -> _Call | None:
        endpoint = self.endpoint
        returns = typing.get_type_hints(endpoint).get("return") if inspect.isroutine(endpoint) else None
        if not (
            inspect.iscoroutinefunction(endpoint)
            and isinstance(returns, type)
            and issubclass(returns, Response)
        ):
            return None
        path_names = {match.group(1) for match in _PATH_PARAM.finditer(self.path) if not match.group(2)}
        if len(path_names) != len(_PATH_PARAM.findall(self.path)):
            return None  # a convertor ({name:int}) changes the value
        call = _plan(endpoint, path_names, top=True)
        if call is None or set(path_names) - set(_all_path_names(call)):
            return None
        checks: list[_Call] = []
        for dependency in self.dependencies:
            check = _plan(dependency.dependency, path_names, top=False) if dependency.dependency else None
            if check is None or check.dependencies or check.query is not None:
                return None
            checks.append(check)
        return replace(call, checks=tuple(checks))


def _all_path_names(call: _Call) -> list[str]:
    return [*call.path, *(name for _, sub in call.dependencies for name in sub.path)]

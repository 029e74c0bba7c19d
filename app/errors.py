"""Domain errors and the one place that renders every error as ``{"error": ...}``.

Repositories and routers raise :class:`ApiError` subclasses; the handlers installed by
:func:`install_error_handlers` turn them, FastAPI's validation errors, Starlette's HTTP errors,
lost database connections and anything unexpected into the JSON envelope of api.md section 1.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from app.dates import InvalidDateError
from app.json import JSONResponse

log = logging.getLogger("dagport.errors")


class ErrorDetail(BaseModel):
    loc: str = Field(description="Where the problem is: `body.slots`, `query.limit`, `tasks[2].upstream[0]`")
    msg: str = Field(description="What is wrong, quoting the offending value")


class ErrorBody(BaseModel):
    """The error envelope every non-2xx response carries."""

    error: str = Field(
        description="Human readable message", examples=["Dag id no_such_dag not found in DagModel"]
    )
    detail: list[ErrorDetail] | None = Field(None, description="Field problems, for validation errors")
    request_id: str | None = Field(None, description="The request's X-Request-ID")


WWW_AUTHENTICATE = 'Bearer realm="dagport", Basic realm="dagport"'


class ApiError(Exception):
    status_code = 400
    headers: dict[str, str] | None = None

    def __init__(self, message: str, *, detail: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class BadRequest(ApiError):
    status_code = 400


class NotFound(ApiError):
    status_code = 404


class PayloadTooLarge(ApiError):
    status_code = 413


class ServiceUnavailable(ApiError):
    status_code = 503
    headers: ClassVar[dict[str, str]] = {"Retry-After": "1"}

    def __init__(self, message: str = "Database unavailable, try again shortly") -> None:
        super().__init__(message)


def error_response(
    request: Request | None,
    status_code: int,
    message: str,
    *,
    detail: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {"error": message}
    if detail:
        body["detail"] = detail
    request_id = getattr(request.state, "request_id", None) if request is not None else None
    if request_id:
        body["request_id"] = request_id
    if request is not None and request.method == "HEAD":
        return Response(status_code=status_code, headers=headers, media_type="application/json")
    return JSONResponse(body, status_code=status_code, headers=headers)


def _loc(parts: tuple[Any, ...]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def validation_detail(exc: RequestValidationError) -> list[dict[str, Any]]:
    problems = []
    for err in exc.errors():
        msg = err.get("msg", "invalid value")
        if "input" in err and err.get("type") != "missing":
            msg = f"{msg}, got {err['input']!r}"
        problems.append({"loc": _loc(tuple(err.get("loc", ()))), "msg": msg})
    return problems


async def _api_error(request: Request, exc: ApiError) -> Response:
    return error_response(request, exc.status_code, exc.message, detail=exc.detail, headers=exc.headers)


async def _invalid_date(request: Request, exc: InvalidDateError) -> Response:
    return error_response(request, 400, str(exc))


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    detail = validation_detail(exc)
    first = detail[0] if detail else {"loc": "", "msg": "invalid request"}
    message = f"Invalid value for {first['loc']}: {first['msg']}" if first["loc"] else first["msg"]
    return error_response(request, 400, message, detail=detail)


_STATUS_TEXT = {404: "Not Found", 405: "Method Not Allowed"}


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    message = _STATUS_TEXT.get(exc.status_code) or str(exc.detail)
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": _allowed_methods(request)}
    return error_response(request, exc.status_code, message, headers=headers)


def _allowed_methods(request: Request) -> str:
    """Every method the path supports (RFC 9110: a 405's `Allow` lists them all), not only those of
    the first route Starlette tried: `/dags/{dag_id}` has a GET, a PUT and a DELETE route. HEAD goes
    wherever GET does (the middleware answers it)."""
    routes = request.app.router.routes  # included routers may be nested (FastAPI >= 0.165): ask them
    methods = {
        method
        for method in _ROUTABLE_METHODS
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)
    }
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


_ROUTABLE_METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    log.warning("database unavailable: %s", type(exc).__name__)
    return error_response(
        request, 503, "Database unavailable, try again shortly", headers={"Retry-After": "1"}
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(request, 500, "Internal server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(InvalidDateError, _invalid_date)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(PoolTimeoutError, _database_unavailable)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(asyncpg.PostgresError, _database_error)
    app.add_exception_handler(OSError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)


# SQLSTATE classes that mean "the database is not there right now", not "your request is wrong":
# 08 connection exception, 57 operator intervention (shutting down, starting up), 53 insufficient
# resources (too many connections).
UNAVAILABLE_SQLSTATE_CLASSES = ("08", "57", "53")


def sqlstate_of(exc: BaseException) -> str | None:
    value = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    return value if isinstance(value, str) else None


async def _database_error(request: Request, exc: Exception) -> Response:
    """A lost or refused connection is 503 (Postgres restarting answers 57P03 "cannot connect now");
    a value the database refuses (SQLSTATE class 22, e.g. a NUL character in text on Postgres) is
    the client's input, so 400; anything else is unexpected. For SQLAlchemy's DBAPIError and for
    asyncpg's own errors (the raw read path)."""
    original = getattr(exc, "orig", exc)
    sqlstate = sqlstate_of(original) if original is not None else None
    invalidated = getattr(exc, "connection_invalidated", False)
    if invalidated or (sqlstate or "")[:2] in UNAVAILABLE_SQLSTATE_CLASSES:
        return await _database_unavailable(request, exc)
    if sqlstate is not None and sqlstate.startswith("22"):
        return error_response(
            request, 400, "Invalid input: the database cannot store a value in this request"
        )
    return await _unexpected(request, exc)


_ERROR_DOCS: dict[int, tuple[str, str]] = {
    400: (
        "Bad request: invalid input, named in `error` and `detail`",
        "Given execution date, foo, could not be identified as a date. "
        "Example date format: 2015-11-16T14:34:15+00:00",
    ),
    401: ("Missing or wrong credentials", "Unauthorized"),
    404: ("Unknown DAG, task, run, task instance or pool", "Dag id no_such_dag not found in DagModel"),
    405: ("Method Not Allowed", "Method Not Allowed"),
    413: ("Request body over DAGPORT_MAX_BODY_BYTES", "Request body is larger than 1048576 bytes"),
    503: ("Database unavailable", "Database unavailable, try again shortly"),
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for the given error codes (401 and 503 apply to every API route)."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in sorted({*codes, 401, 503}):
        description, example = _ERROR_DOCS[code]
        out[code] = {
            "model": ErrorBody,
            "description": description,
            "content": {"application/json": {"example": {"error": example}}},
        }
    return out


# -- the lookup messages of api.md section 3, in the order they are checked ------------------------


def dag_not_found(dag_id: str) -> str:
    return f"Dag id {dag_id} not found in DagModel"


def task_not_found(dag_id: str, task_id: str) -> str:
    return f"Task {task_id} not found in dag {dag_id}"


def run_not_found(dag_id: str, execution_date: object) -> str:
    return f"Dag Run for date {execution_date} not found in dag {dag_id}"


def task_instance_not_found(task_id: str, execution_date: object) -> str:
    return f"Task {task_id} instance for date {execution_date} not found"

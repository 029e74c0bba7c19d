"""The one place that turns errors into the envelope, ``{"error": ..., "detail": ..., "request_id": ...}``.

``error`` is the message (Airflow's own text where Airflow has one); ``detail`` lists field
problems, or where a problem is and what to do about it when ``error`` must stay Airflow's
sentence (``envelope`` builds the body, for the handlers here and for the middleware's refusals).
Domain errors (``app/errors.py``) map to their status here; FastAPI's validation errors become 400
(never 422); Starlette's 404/405 keep their texts; anything unexpected is a logged 500 without a
traceback for the client. ``responses()`` documents the same envelope on every route.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from app.core import messages
from app.dates import InvalidDateError
from app.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InUse,
    Invalid,
    NotFound,
    NotSupported,
    StoreFailure,
    TooLarge,
    TooMuchWork,
    Unauthenticated,
    Unavailable,
    UpstreamFailure,
    UpstreamTimeout,
)
from app.json import JSONResponse

log = logging.getLogger("dagport.errors")

# Each kind of domain error and its status. Conflict is 400: Airflow answers a duplicate run so.
STATUS_OF: dict[type[DomainError], int] = {
    Invalid: 400,
    Conflict: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    InUse: 409,
    TooLarge: 413,
    StoreFailure: 500,
    NotSupported: 501,
    UpstreamFailure: 502,
    Unavailable: 503,
    TooMuchWork: 503,
    UpstreamTimeout: 504,
}
RETRY_AFTER = {"Retry-After": "1"}
WWW_AUTHENTICATE = 'Bearer realm="dagport", Basic realm="dagport"'
WWW_AUTH_HEADERS = {"WWW-Authenticate": WWW_AUTHENTICATE}


class ErrorDetail(BaseModel):
    loc: str = Field(
        description="Where the problem is: `body.slots`, `query.limit`, `tasks[2].upstream[0]`, "
        "`header.Authorization`"
    )
    msg: str = Field(description="What is wrong, quoting the offending value, and what to do when it helps")


class ErrorBody(BaseModel):
    """The error envelope every non-2xx response carries."""

    error: str = Field(
        description="Human readable message", examples=["Dag id no_such_dag not found in DagModel"]
    )
    detail: list[ErrorDetail] | None = Field(
        None, description="Field problems, or where the problem is and what to do about it"
    )
    request_id: str | None = Field(None, description="The request's X-Request-ID")


def status_of(error: DomainError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS_OF:
            return STATUS_OF[kind]
    return 400


def envelope(
    message: str, *, detail: list[dict[str, Any]] | None = None, request_id: str | None = None
) -> dict[str, Any]:
    """The error body: ``error``, then ``detail`` and ``request_id`` when there are any."""
    body: dict[str, Any] = {"error": message}
    if detail:
        body["detail"] = detail
    if request_id:
        body["request_id"] = request_id
    return body


def error_response(
    request: Request | None,
    status_code: int,
    message: str,
    *,
    detail: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    request_id = getattr(request.state, "request_id", None) if request is not None else None
    body = envelope(message, detail=detail, request_id=request_id)
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
            msg = messages.with_value(msg, err["input"])
        problems.append({"loc": _loc(tuple(err.get("loc", ()))), "msg": msg})
    return problems


async def _domain_error(request: Request, exc: DomainError) -> Response:
    status = status_of(exc)
    if status == 500:  # the message is the store's, not the client's: logged, never sent
        log.error("store failure on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(request, 500, messages.INTERNAL_ERROR)
    if status == 503:
        log.warning("unavailable: %s", exc.message)
    if status in (502, 504):
        log.warning("upstream: %s", exc.message)
    # A full pool or an outage passes; a request over the upstream budget is refused alike again.
    headers = RETRY_AFTER if isinstance(exc, Unavailable) else WWW_AUTH_HEADERS if status == 401 else None
    return error_response(request, status, exc.message, detail=exc.detail, headers=headers)


async def _invalid_date(request: Request, exc: InvalidDateError) -> Response:
    return error_response(request, 400, str(exc))


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    detail = validation_detail(exc)
    first = detail[0] if detail else {"loc": "", "msg": "invalid request"}
    message = messages.invalid_value(first["loc"], first["msg"]) if first["loc"] else first["msg"]
    return error_response(request, 400, message, detail=detail)


_STATUS_TEXT = {404: messages.NOT_FOUND, 405: messages.METHOD_NOT_ALLOWED}


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    message = _STATUS_TEXT.get(exc.status_code) or str(exc.detail)
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": _allowed_methods(request)}
    return error_response(request, exc.status_code, message, headers=headers)


_ROUTABLE_METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> str:
    """Every method the path supports (RFC 9110: a 405's `Allow` lists them all), not only those of
    the first route Starlette tried: `/dags/{dag_id}` has a GET, a PUT and a DELETE route. HEAD goes
    wherever GET does (the middleware answers it)."""
    routes = request.app.router.routes
    methods = {
        method
        for method in _ROUTABLE_METHODS
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)
    }
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(request, 500, messages.INTERNAL_ERROR)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]  # Starlette types handlers loosely
    app.add_exception_handler(InvalidDateError, _invalid_date)  # type: ignore[arg-type]  # Starlette types handlers loosely
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]  # Starlette types handlers loosely
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]  # Starlette types handlers loosely
    app.add_exception_handler(Exception, _unexpected)


_ERROR_DOCS: dict[int, tuple[str, str]] = {
    400: (
        "Bad request: invalid input, named in `error` and `detail`",
        "Given execution date, foo, could not be identified as a date. "
        "Example date format: 2015-11-16T14:34:15+00:00",
    ),
    401: ("Missing or wrong credentials", "Unauthorized"),
    404: ("Unknown DAG, task, run, task instance or pool", "Dag id no_such_dag not found in DagModel"),
    403: ("In front of Airflow with passthrough credentials: Airflow refused the caller", "Forbidden"),
    405: ("Method Not Allowed", "Method Not Allowed"),
    409: (
        "In front of Airflow: the DAG still has running task instances",
        "Cannot delete DAG with running task instances",
    ),
    413: ("Request body over DAGPORT_MAX_BODY_BYTES", "Request body is larger than 1048576 bytes"),
    501: (
        "Not available in front of Airflow",
        "DAG definitions are Python files in Airflow's DAG bundle; PUT is not available when dagport "
        "fronts Airflow",
    ),
    502: (
        "In front of Airflow: Airflow answered with an error",
        "Airflow answered 500 Internal Server Error",
    ),
    503: (
        "Database unavailable (in front of Airflow: Airflow refused the connection, or the request "
        "needs more calls to Airflow than DAGPORT_AIRFLOW_MAX_CALLS allows)",
        "Database unavailable, try again shortly",
    ),
    504: (
        "In front of Airflow: Airflow did not answer in time",
        "Airflow did not answer within 10 s",
    ),
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for the given error codes (401, 502, 503 and 504 apply to every API route)."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in sorted({*codes, 401, 503, 502, 504}):
        description, example = _ERROR_DOCS[code]
        out[code] = {
            "model": ErrorBody,
            "description": description,
            "content": {"application/json": {"example": {"error": example}}},
        }
    return out

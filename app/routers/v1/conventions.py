"""HTTP conventions of Airflow 2's stable API (docs/api-v1.md), shared by every ``/api/v1`` route.

- :class:`V1Response`: bodies as Airflow 2.11 wrote them (2-space indent, sorted keys, a trailing
  newline; ``Cache-Control: no-store``, ``X-Robots-Tag``); :class:`V1Written` for a body in another
  of its layouts, :func:`best_media_type` to choose one by ``Accept`` as Airflow 2 chose;
- :func:`install_problem_handlers`: every error as ``application/problem+json`` with Airflow 2's
  titles and type URLs: domain errors by kind (:data:`V1_STATUS`), routing's 404 and 405 with
  Werkzeug's texts, anything unexpected a logged 500;
- :class:`Param` and :func:`read_query`: query parameters read by hand, with connexion's texts for
  bad values, both spellings of a list (``state=a&state=b`` and ``state=a,b``), and
  :func:`documented` to put the same parameters in the OpenAPI document (those many operations
  share: app/routers/v1/params.py); :func:`path_int` for a path's integer;
- :func:`read_json_body`: a JSON body as Airflow 2 required it (415, empty, malformed).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app.errors import (
    Conflict,
    Disabled,
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
from app.json import NumberTooLarge, loads
from app.schemas.v1.common import Problem
from app.v1_format import MEDIA_TYPE, V1_HEADERS, problem, render

log = logging.getLogger("dagport.v1")

# Each kind of domain error and its v1 status. Airflow 2 never answered 401: refused credentials
# are 403 (FAB's public role), so are a passthrough caller's refused by Airflow 3.
V1_STATUS: dict[type[DomainError], int] = {
    Invalid: 400,
    Conflict: 409,
    Unauthenticated: 403,
    Forbidden: 403,
    Disabled: 403,  # with its message, as Airflow 2 answered a disabled operation
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
NOT_FOUND_TEXT = (
    "The requested URL was not found on the server. If you entered the URL manually please check your "
    "spelling and try again."
)
METHOD_NOT_ALLOWED_TEXT = "The method is not allowed for the requested URL."


class V1Response(Response):
    """A v1 answer: ``content`` rendered as Airflow 2 wrote it."""

    media_type = "application/json"

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        media_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(content, status_code=status_code, media_type=media_type, headers=headers)
        self.raw_headers.extend(V1_HEADERS)

    def render(self, content: Any) -> bytes:
        return render(content)


class V1NoContent(Response):
    """A 204 (or another bodiless answer) with v1's headers."""

    def __init__(self, status_code: int = 204, media_type: str | None = "application/json") -> None:
        super().__init__(b"", status_code=status_code, media_type=media_type)
        self.raw_headers.extend(V1_HEADERS)


class V1Written(Response):
    """An answer whose body the route wrote itself, in a layout other than :class:`V1Response`'s
    (Airflow 2's ``text/plain`` answers, its JSON indented by 4), with v1's headers."""

    def __init__(self, content: bytes | str, media_type: str, status_code: int = 200) -> None:
        super().__init__(content, status_code=status_code, media_type=media_type)
        self.raw_headers.extend(V1_HEADERS)


def problem_response(
    status: int,
    detail: str | None,
    *,
    title: str | None = None,
    blank: bool = False,
    headers: Mapping[str, str] | None = None,
) -> V1Response:
    return V1Response(problem(status, detail, title=title, blank=blank), status, MEDIA_TYPE, headers)


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for the given error codes (403, 502, 503 and 504 apply to every route)."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in sorted({*codes, 403, 502, 503, 504}):
        out[code] = {
            "model": Problem,
            "description": _PROBLEM_DOCS.get(code, "Error"),
            "content": {MEDIA_TYPE: {}},
        }
    return out


_PROBLEM_DOCS = {
    400: "Bad request: the problem is named in `detail` (or `title`)",
    403: "Missing, malformed or refused credentials (Airflow 2 never answered 401), or not permitted",
    404: "Not found",
    405: "Method not allowed",
    409: "Already exists",
    415: "The body is not JSON",
    502: "Airflow answered with an error of its own",
    503: "Airflow refused the connection, or the request needs more calls than DAGPORT_AIRFLOW_MAX_CALLS",
    504: "Airflow did not answer in time",
}


def status_of(error: DomainError) -> int:
    for kind in type(error).__mro__:
        if kind in V1_STATUS:
            return V1_STATUS[kind]
    return 400


# -- handlers ---------------------------------------------------------------------------------------


async def _domain_error(request: Request, exc: DomainError) -> Response:
    status = status_of(exc)
    if status == 500:  # the message is the store's, not the client's: logged, never sent
        log.error("failure on %s %s", request.method, request.url.path, exc_info=exc)
        return problem_response(500, None)
    if status >= 502:
        log.warning("upstream: %s", exc.message)
    headers = {"Retry-After": "1"} if isinstance(exc, Unavailable) else None
    # Refused credentials: Airflow 2 said no more than "Forbidden".
    detail = None if isinstance(exc, (Unauthenticated, Forbidden)) else (exc.message or None)
    # connexion's own refusals (415) carry no documentation anchor, as Werkzeug's did not.
    return problem_response(status, detail, title=exc.title, headers=headers, blank=status == 415)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if exc.status_code == 405:
        return problem_response(405, METHOD_NOT_ALLOWED_TEXT, blank=True)
    if exc.status_code == 404:
        return problem_response(404, NOT_FOUND_TEXT, blank=True)
    return problem_response(exc.status_code, str(exc.detail), blank=True)


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()))
    return problem_response(400, f"{first.get('msg', 'invalid request')} - '{where}'")


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(500, None)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]  # Starlette types handlers loosely
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]  # idem
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]  # idem
    app.add_exception_handler(Exception, _unexpected)


# -- query parameters -------------------------------------------------------------------------------

Kind = Literal["integer", "number", "string", "boolean", "date-time", "list"]


def _schema_failure(value: Any, rule: str, schema: str) -> str:
    """connexion's (jsonschema's) text for a query value that breaks its schema."""
    return f"{value}\n\nFailed validating '{rule}' in schema:\n    {schema}\n\nOn instance:\n    {value}"


@dataclass(frozen=True, slots=True)
class Param:
    """A query parameter of a v1 operation: read by :func:`read_query`, documented by
    :func:`documented`. A ``list`` takes both ``a=x&a=y`` and ``a=x,y``."""

    name: str
    kind: Kind
    description: str
    minimum: int | None = None
    default: Any = None
    choices: Sequence[str] = field(default_factory=tuple)
    required: bool = False

    def read(self, values: list[str]) -> Any:
        if not values:
            if self.required:
                raise Invalid(f"Missing query parameter '{self.name}'")
            return self.default
        if self.kind == "list":
            return [part for value in values for part in value.split(",") if part != ""]
        value = values[0]
        if self.kind == "integer":
            try:
                number = int(value)
            except ValueError:
                raise Invalid(f"Wrong type, expected 'integer' for query parameter '{self.name}'") from None
            if self.minimum is not None and number < self.minimum:
                schema = f"{{'type': 'integer', 'minimum': {self.minimum}}}"
                raise Invalid(
                    _schema_failure(number, "minimum", schema).replace(
                        f"{number}\n", f"{number} is less than the minimum of {self.minimum}\n", 1
                    )
                )
            return number
        if self.kind == "number":
            try:
                return float(value)
            except ValueError:
                raise Invalid(f"Wrong type, expected 'number' for query parameter '{self.name}'") from None
        if self.kind == "boolean":
            lowered = value.lower()
            if lowered not in ("true", "false"):
                raise Invalid(f"Wrong type, expected 'boolean' for query parameter '{self.name}'")
            return lowered == "true"
        if self.kind == "date-time":
            return parse_v1_datetime(value)
        return value

    def openapi(self) -> dict[str, Any]:
        schema: dict[str, Any]
        if self.kind == "list":
            schema = {"type": "array", "items": {"type": "string"}}
            if self.choices:
                schema["items"]["enum"] = list(self.choices)
        elif self.kind == "date-time":
            schema = {"type": "string", "format": "date-time"}
        else:
            schema = {"type": self.kind}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.default is not None:
            schema["default"] = self.default
        return {
            "name": self.name,
            "in": "query",
            "required": self.required,
            "description": self.description,
            "schema": schema,
            **({"style": "form", "explode": True} if self.kind == "list" else {}),
        }


def read_query(request: Request, *params: Param) -> dict[str, Any]:
    """The values of ``params`` in the request's query (their defaults where absent)."""
    query = request.query_params
    return {p.name: p.read(query.getlist(p.name)) for p in params}


def path_int(value: str) -> int:
    """A path segment v1's route took as an integer (Werkzeug's int converter): digits, else no
    such route (404, as Airflow 2 answered)."""
    if not (value.isascii() and value.isdigit()):
        raise StarletteHTTPException(404)
    return int(value)


def documented(*params: Param) -> dict[str, Any]:
    """``openapi_extra`` declaring ``params`` (routes read them by hand: read_query)."""
    return {"parameters": [p.openapi() for p in params]}


def parse_v1_datetime(value: str) -> datetime:
    """A query parameter's RFC 3339 date-time with an offset (``Z`` too), as v1 required; else
    connexion's 400. Not app/schemas/v1/bodies.py's reading of a body's date-time, which also takes
    a lower-case ``t`` or ``z``, and words its failure otherwise."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None or "T" not in value:
        schema = "{'type': 'string', 'format': 'date-time'}"
        raise Invalid(
            _schema_failure(repr(value), "format", schema).replace(
                f"{value!r}\n", f"{value!r} is not a 'date-time'\n", 1
            )
        )
    return parsed


# -- content negotiation ----------------------------------------------------------------------------

# Werkzeug 2.2's parsing of an Accept header (what Airflow 2.11 ran): a media range with its
# parameters, then an optional ``q`` (digits only: a malformed one counts as 1, any other clamped
# to [0, 1]).
_ACCEPT_ITEM = re.compile(
    r"""
    ( [^\s;,]+ (?: [ \t]*;[ \t]* (?: [^\s;,q][^\s;,]* | q[^\s;,=][^\s;,]* ) )* )
    (?: [ \t]*;[ \t]*q= ( \d*(?:\.\d+)? ) [^,]* )?
    """,
    re.VERBOSE,
)
_MIME_PARTS = re.compile(r"/|(?:\s*;\s*)")  # type, subtype, then each parameter


def _specificity(media_range: str) -> tuple[bool, ...]:
    return tuple(part != "*" for part in _MIME_PARTS.split(media_range))


def _matches(offer: str, media_range: str) -> bool:
    """Werkzeug's ``MIMEAccept._value_matches``: ``*/*``, ``type/*``, or the same type, subtype
    and parameters (``application/json;charset=utf-8`` does not match ``application/json``)."""
    if "/" not in media_range:
        return False
    kind, sub, *params = _MIME_PARTS.split(media_range.lower())
    offered_kind, offered_sub, *offered_params = _MIME_PARTS.split(offer.lower())
    if kind == "*":
        return sub == "*"  # "*/x" matches nothing
    return kind == offered_kind and (
        sub == "*" or (sub == offered_sub and sorted(params) == sorted(offered_params))
    )


def best_media_type(accept: str | None, offers: Sequence[str]) -> str | None:
    """The one of ``offers`` that ``Accept`` prefers, as Werkzeug 2.2's ``best_match`` chose it for
    Airflow 2: each offer takes the quality of the most specific range that matches it (parameters
    count; among as specific ones the higher quality, then the client's order); the higher quality
    wins, then the more specific range, then the first offered. ``None`` when none is acceptable,
    or without ``Accept`` (each caller answers that as its Airflow 2 endpoint did)."""
    if not accept:
        return None
    ranges = [
        (match[1], max(min(float(match[2]), 1.0), 0.0) if match[2] else 1.0)
        for match in _ACCEPT_ITEM.finditer(accept)
    ]
    ranges.sort(key=lambda item: (_specificity(item[0]), item[1]), reverse=True)
    best: str | None = None
    best_quality = -1.0
    best_specificity: tuple[bool, ...] = ()  # anything found is more specific
    for offer in offers:
        found = next(((media, q) for media, q in ranges if _matches(offer, media)), None)
        if found is None or found[1] <= 0 or found[1] < best_quality:
            continue
        specificity = _specificity(found[0])
        if found[1] > best_quality or specificity > best_specificity:
            best, best_quality, best_specificity = offer, found[1], specificity
    return best


# -- bodies -----------------------------------------------------------------------------------------


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


async def read_json_body(request: Request) -> Any:
    """The body's JSON, as Airflow 2 took it: a JSON content type (415 otherwise), not empty, valid."""
    content_type = request.headers.get("content-type", "")
    body = await request.body()
    if not body and not content_type:
        raise Invalid("Request body must not be empty")
    if not _is_json(content_type):
        raise UnsupportedMediaType(f"Invalid Content-type ({content_type}), expected JSON data")
    if not body:
        raise Invalid("Request body must not be empty")
    try:
        return loads(body)
    except NumberTooLarge:
        raise Invalid("Request body holds a number too large to read") from None
    except ValueError:
        raise Invalid("Request body is not valid JSON") from None


class UnsupportedMediaType(Invalid):
    """A body that is not JSON (415, as connexion answered)."""


V1_STATUS[UnsupportedMediaType] = 415

"""How Airflow 2's stable API (``/api/v1``) writes its bodies (:func:`render`) and its errors
(:func:`problem`: RFC 7807 ``application/problem+json``), as Airflow 2.11 wrote them
(docs/api-v1.md, "Errors"): one place for the v1 routes, their handlers and the middleware's
refusals under ``/api/v1``.

``{"detail", "status", "title", "type"}``: ``type`` is the Airflow 2.11.2 documentation's anchor for
the kind of error (``about:blank`` for routing errors, as Werkzeug wrote them), ``title`` names it
(or carries the message, where Airflow 2 put it there), ``detail`` says more or is ``null``.
"""

from __future__ import annotations

from typing import Any

import orjson

MEDIA_TYPE = "application/problem+json"
DOCS = "https://airflow.apache.org/docs/apache-airflow/2.11.2/stable-rest-api-ref.html#section/Errors/"
BLANK = "about:blank"
# Every v1 response carries these, as Airflow 2's webserver sent them.
V1_HEADERS = ((b"cache-control", b"no-store"), (b"x-robots-tag", b"noindex, nofollow"))

# status -> (the kind's anchor in Airflow 2's docs, its default title)
KINDS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "Bad Request"),
    401: ("Unauthenticated", "Unauthorized"),
    403: ("PermissionDenied", "Forbidden"),
    404: ("NotFound", "Not Found"),
    405: ("MethodNotAllowed", "Method Not Allowed"),
    406: ("NotAcceptable", "Not Acceptable"),
    409: ("AlreadyExists", "Conflict"),
    415: ("Unknown", "Unsupported Media Type"),
    413: ("BadRequest", "Request Entity Too Large"),
    500: ("Unknown", "Internal Server Error"),
    501: ("Unknown", "Not Implemented"),
    502: ("Unknown", "Bad Gateway"),
    503: ("Unknown", "Service Unavailable"),
    504: ("Unknown", "Gateway Timeout"),
}


def problem(
    status: int, detail: str | None, *, title: str | None = None, blank: bool = False
) -> dict[str, Any]:
    """The body: the kind's documentation anchor as ``type`` (``about:blank``: a routing error)."""
    anchor, default_title = KINDS.get(status, ("Unknown", "Error"))
    return {
        "detail": detail,
        "status": status,
        "title": title or default_title,
        "type": BLANK if blank else DOCS + anchor,
    }


def render(body: Any) -> bytes:
    """A v1 body as Airflow 2 wrote it: 2-space indent, sorted keys, a trailing newline."""
    return orjson.dumps(body, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"

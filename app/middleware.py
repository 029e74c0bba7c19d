"""One pure ASGI middleware for the protocol rules (docs/api.md, "Conventions").

- every response carries ``X-Request-ID`` (the caller's, if sane, else a new one);
- DAGPORT_ROOT_PATH is applied, with or without the prefix in the incoming path;
- a trailing slash means the same route (the path is rewritten, never redirected);
- HEAD is answered wherever GET is: same status and headers, no body;
- a body over ``DAGPORT_MAX_BODY_BYTES`` is refused with 413 before the app reads it;
- a request under the API prefix without a valid token is refused with 401, saying what is accepted;
- a path or query holding a NUL character is refused with 400;
- every response carries the security headers (``SECURITY_HEADERS``) and, unless the route set
  its own (the docs pages do), the Content-Security-Policy of a page that loads nothing;
- a HEAD request is marked in the scope's state (``app.routing.HEAD_REQUEST``), so a route whose
  GET writes can answer it without writing;
- when the response ends: Prometheus metrics and one access-log line (app/observability.py).

Pure ASGI rather than BaseHTTPMiddleware: no extra task, no body buffering on the hot path.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from typing import Any, NamedTuple

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth import TokenStore, credentials_from
from app.core import messages
from app.error_handlers import WWW_AUTHENTICATE, envelope
from app.errors import TooLarge, Unavailable
from app.json import dumps
from app.observability import Metrics, log_request, route_template
from app.routing import HEAD_REQUEST
from app.v1_format import MEDIA_TYPE, V1_HEADERS, problem, render

# Under /api/v1, what needs no credentials: what Airflow 2 served without, and the v1 docs pages.
V1_OPEN_PATHS = ("/health", "/version", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")
V1_OPEN_PREFIX = "/static/"
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

# On every response: never sniff a type other than the declared one (a DAG's /code is text/plain
# whatever it holds), never send the URL on as a Referer, never render inside a frame.
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
CSP = b"content-security-policy"
# Unless a route sets its own (app/routers/docs.py): a response that is not a page loads nothing.
DEFAULT_CSP = (CSP, b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


class ApiProtocolMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        metrics: Metrics,
        root_path: str = "",
        tokens: TokenStore | None = None,
        protected_prefix: str = "",
        v1_prefix: str = "",
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics
        self.root_path = root_path
        self.tokens = tokens
        self.protected = root_path + protected_prefix
        # Airflow 2's stable API: its own error shape, no trailing-slash rewrite, and paths that
        # need no credentials (V1_OPEN_PATHS: /health and /version, as Airflow 2 served them, and
        # v1's OpenAPI document and its pages).
        self.v1 = root_path + v1_prefix if v1_prefix else None
        self.v1_open = frozenset(f"{self.v1}{p}" for p in V1_OPEN_PATHS) if self.v1 else frozenset()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        if self.root_path:
            # Served under a prefix, whether the proxy strips it (/api/...) or forwards it
            # (/dagport/api/...): the path is made to carry the prefix, as ASGI wants, so routing,
            # mounts (the docs assets) and generated URLs all agree. uvicorn's --root-path would
            # only work behind a stripping proxy.
            root = self.root_path
            scope["root_path"] = root
            unprefixed: str = scope["path"]
            if unprefixed != root and not unprefixed.startswith(root + "/"):
                scope["path"] = root + unprefixed
                if scope.get("raw_path"):
                    scope["raw_path"] = root.encode() + scope["raw_path"]
        request_id = _request_id(scope)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        added = [(b"x-request-id", request_id.encode()), *SECURITY_HEADERS]

        path: str = scope["path"]
        v1 = self.v1 is not None and _under(path, self.v1)
        if len(path) > 1 and path.endswith("/") and not v1:
            scope = dict(scope, path=path.rstrip("/") or "/")
            raw = scope.get("raw_path")
            if raw:
                scope["raw_path"] = raw.rstrip(b"/") or b"/"

        method = scope["method"]
        head = method == "HEAD"
        if head:
            state[HEAD_REQUEST] = True
            scope = dict(scope, method="GET")

        status = 500  # what an exception escaping the app becomes

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.get("headers", [])
                if any(name == CSP for name, _ in headers):
                    message = dict(message, headers=[*headers, *added])
                else:
                    message = dict(message, headers=[*headers, *added, DEFAULT_CSP])
            elif head and message["type"] == "http.response.body":
                if message.get("more_body"):
                    return
                message = dict(message, body=b"", more_body=False)
            await send(message)

        received = 0
        limit = self.max_body_bytes

        async def receive_wrapper() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise TooLarge(messages.body_too_large(limit))
            return message

        try:
            refusal = await self._refusal(scope, v1)
            if refusal is None:
                await self.app(scope, receive_wrapper, send_wrapper)
            else:
                if refusal.status == 413:
                    await _drain_declared_body(scope, receive, self.max_body_bytes)
                await (_send_problem if v1 else _send_error)(send_wrapper, refusal, request_id)
        finally:
            route = route_template(scope, self.metrics.templates)
            elapsed = time.perf_counter() - started
            self.metrics.observe(route, method, status, elapsed)
            log_request(scope, request_id, route, status, elapsed)

    def _v1_open(self, path: str) -> bool:
        return path in self.v1_open or path.startswith(f"{self.v1}{V1_OPEN_PREFIX}")

    async def _refusal(self, scope: Scope, v1: bool) -> Refusal | None:
        """A request refused before the app sees it, or None."""
        if v1 and self.tokens is not None and not self._v1_open(scope["path"]):
            # Airflow 2 answered every refusal of credentials 403, never 401 (docs/api-v1.md).
            token = credentials_from(_header(scope, b"authorization"))
            try:
                valid = token is not None and await self.tokens.is_valid(token)
            except Unavailable as exc:
                return Refusal(503, exc.message, [(b"retry-after", b"1")])
            if not valid:
                return Refusal(403, "", [])
        if self.tokens is not None and _under(scope["path"], self.protected):
            # Authentication here rather than as a FastAPI dependency on every route: one check,
            # no dependency resolution (everything under the API prefix needs a token).
            authorization = _header(scope, b"authorization")
            token = credentials_from(authorization)
            try:
                valid = token is not None and await self.tokens.is_valid(token)
            except Unavailable as exc:
                return Refusal(503, exc.message, [(b"retry-after", b"1")])
            if not valid:
                if token is not None:
                    problem = messages.UNKNOWN_TOKEN
                else:
                    problem = messages.UNREADABLE_CREDENTIALS if authorization else messages.NO_CREDENTIALS
                headers = [(b"www-authenticate", WWW_AUTHENTICATE.encode())]
                return Refusal(401, messages.UNAUTHORIZED, headers, messages.unauthorized_detail(problem))
        length = _content_length(scope)
        if length is not None and length > self.max_body_bytes:
            return Refusal(413, messages.body_too_large(self.max_body_bytes), [])
        if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
            # No identifier can hold NUL, and Postgres text refuses it: answer alike on both databases.
            return Refusal(400, messages.URL_HOLDS_NUL, [])
        return None


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _REQUEST_ID_RE.match(candidate):
                return candidate
            break
    return os.urandom(16).hex()  # as unique as uuid4().hex, without building a UUID


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None


class Refusal(NamedTuple):
    status: int
    message: str
    headers: list[tuple[bytes, bytes]]
    detail: list[dict[str, Any]] | None = None


# A body declared too large is still read (and dropped) before the 413 when it is at most this many
# times the limit and arrives within DRAIN_SECONDS: closing a connection with unread data in it
# resets it, and the client, still sending, then loses the answer (nginx's lingering close does
# the same). Larger or slower bodies are refused at once and the connection closed.
DRAIN_FACTOR = 4
DRAIN_SECONDS = 5.0


async def _drain_declared_body(scope: Scope, receive: Receive, limit: int) -> None:
    length = _content_length(scope)
    if length is None or length > DRAIN_FACTOR * limit:
        return
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            while True:
                message = await receive()
                if message["type"] != "http.request" or not message.get("more_body"):
                    return
    except TimeoutError:
        return


async def _send_problem(send: Send, refusal: Refusal, request_id: str) -> None:
    """A refusal under /api/v1, in Airflow 2's problem+json shape (app/v1_format.py)."""
    encoded = render(problem(refusal.status, refusal.message or None))
    await send(
        {
            "type": "http.response.start",
            "status": refusal.status,
            "headers": [
                (b"content-type", MEDIA_TYPE.encode()),
                (b"content-length", str(len(encoded)).encode()),
                (b"connection", b"close"),
                *V1_HEADERS,
                *refusal.headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": encoded})


async def _send_error(send: Send, refusal: Refusal, request_id: str) -> None:
    body = envelope(refusal.message, detail=refusal.detail, request_id=request_id)
    encoded = dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": refusal.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(encoded)).encode()),
                (b"connection", b"close"),
                *refusal.headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": encoded})

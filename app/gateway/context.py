"""What the gateway knows of the request it calls Airflow for: set once per request, read per call.

:class:`UpstreamContextMiddleware` (installed in front of Airflow) gives each request a
:class:`CallContext` in a context variable: the caller's ``Authorization`` header (which the
passthrough credentials send on, never logged or stored), who the caller is for the per-caller
connection share (a keyed digest of that header, or the client's address: never a secret), and
how many calls to Airflow the request has made so far (its budget).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from contextvars import ContextVar
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass(slots=True)
class CallContext:
    authorization: str | None
    caller: str
    calls: int = 0


current: ContextVar[CallContext | None] = ContextVar("dagport_call_context", default=None)


def caller_authorization() -> str | None:
    context = current.get()
    return None if context is None else context.authorization


class UpstreamContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._secret = os.urandom(32)  # keys the callers' digests, per process

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authorization = None
        for name, raw in scope.get("headers", ()):
            if name == b"authorization":
                authorization = raw.decode("latin-1")
                break
        if authorization is not None:
            caller = hmac.new(self._secret, authorization.encode(), hashlib.sha256).hexdigest()[:32]
        else:
            client = scope.get("client")
            caller = f"address {client[0]}" if client else "anonymous"
        token = current.set(CallContext(authorization, caller))
        try:
            await self.app(scope, receive, send)
        finally:
            current.reset(token)

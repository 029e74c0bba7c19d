"""Hands each request's ``Authorization`` header to app/airflow/credentials.py (passthrough mode).

Installed only with ``DAGPORT_AIRFLOW_AUTH=passthrough``, where Airflow, not dagport, checks the
caller: the header is put in a context variable for the request's task, read when dagport calls
Airflow on the caller's behalf, and never logged or stored.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from app.airflow.credentials import caller_authorization


class CallerCredentialsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        value = None
        for name, raw in scope.get("headers", ()):
            if name == b"authorization":
                value = raw.decode("latin-1")
                break
        token = caller_authorization.set(value)
        try:
            await self.app(scope, receive, send)
        finally:
            caller_authorization.reset(token)

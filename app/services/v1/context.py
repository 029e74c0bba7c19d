"""What every v1 service stands on: the gateway's client, and the service instances (one of each
per app, built on first use)."""

from __future__ import annotations

from typing import Any, TypeVar

from app.config import Settings
from app.gateway.client import AirflowClient

S = TypeVar("S")


class V1Context:
    def __init__(self, client: AirflowClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self._services: dict[type[Any], Any] = {}

    def service(self, kind: type[S]) -> S:
        """The app's one ``kind`` (a class whose constructor takes this context)."""
        found = self._services.get(kind)
        if found is None:
            found = self._services[kind] = kind(self)  # type: ignore[call-arg]  # services take the context
        return found  # type: ignore[no-any-return]  # the cache holds kind's instance

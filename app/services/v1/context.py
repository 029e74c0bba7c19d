"""What every v1 service stands on: the gateway's client, the secrets dagport keeps in its own
database, and the service instances (one of each per app, built on first use)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from app.config import Settings
from app.errors import StoreFailure
from app.gateway.client import AirflowClient

S = TypeVar("S")


class Secrets(Protocol):
    """Secrets shared by every worker and replica (app/db/repositories/secret_keys.py)."""

    async def secret(self, name: str, make: Callable[[], str]) -> str:
        """The stored value of ``name``; ``make()`` is stored first if there is none."""
        ...


class NoSecrets:
    """Where no database was given (an app built without one): asking is a failure."""

    async def secret(self, name: str, make: Callable[[], str]) -> str:
        raise StoreFailure(f"no database to keep the secret {name!r} in")


class V1Context:
    def __init__(self, client: AirflowClient, settings: Settings, secrets: Secrets | None = None) -> None:
        self.client = client
        self.settings = settings
        self.secrets: Secrets = secrets or NoSecrets()
        self._services: dict[type[Any], Any] = {}

    def service(self, kind: type[S]) -> S:
        """The app's one ``kind`` (a class whose constructor takes this context)."""
        found = self._services.get(kind)
        if found is None:
            found = self._services[kind] = kind(self)  # type: ignore[call-arg]  # services take the context
        return found  # the cache holds kind's instance

"""What the tests of /api/v1 share: dagport's database for a test module, dagport in front of an
Airflow (the real one of the ``v1_airflow`` fixture, or the stand-in of tests/airflow_standin.py)
as an in-process client, Basic credentials, and v1's problem bodies."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from app.config import Settings
from app.db import migrate
from app.db.engine import Engine, create_engine
from app.main import create_app

DOCS = "https://airflow.apache.org/docs/apache-airflow/2.11.2/stable-rest-api-ref.html#section/Errors/"
FORBIDDEN = {"detail": None, "status": 403, "title": "Forbidden", "type": DOCS + "PermissionDenied"}
# Werkzeug's words for a path no route takes (Airflow 2's 404 with type about:blank).
ROUTE_NOT_FOUND = (
    "The requested URL was not found on the server. If you entered the URL manually please check your "
    "spelling and try again."
)
HOST = "http://dagport.test"


def basic(user: str, password: str) -> dict[str, str]:
    """The ``Authorization`` header of HTTP Basic credentials."""
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


ADMIN = basic("admin", "admin")
VIEWER = basic("viewer", "viewer")


def problem(status: int, detail: str | None, title: str, anchor: str) -> dict[str, Any]:
    """A v1 error body whose type is Airflow 2.11.2's documentation of ``anchor``."""
    return {"detail": detail, "status": status, "title": title, "type": DOCS + anchor}


def bad_request(detail: str | None, title: str = "Bad Request") -> dict[str, Any]:
    return problem(400, detail, title, "BadRequest")


async def migrated(url: str) -> Engine:
    """An engine on dagport's database at ``url``, migrated to the latest revision."""
    engine = create_engine(Settings(database_url=url))
    await migrate.upgrade(engine)
    return engine


def database_fixture(folder: str) -> Callable[..., Any]:
    """A test module's ``database_url`` fixture: dagport's SQLite database, migrated, in a temporary
    folder named ``folder`` (``database_url = database_fixture("v1-dags")``)."""

    @pytest.fixture(scope="module")
    async def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp(folder) / 'dagport.db'}"
        await (await migrated(url)).dispose()
        return url

    return database_url


@asynccontextmanager
async def dagport(
    database_url: str,
    airflow_url: str,
    *,
    base_url: str = HOST,
    headers: dict[str, str] | None = None,
    engine: Engine | None = None,
    **settings: Any,
) -> AsyncIterator[httpx.AsyncClient]:
    """dagport in front of the Airflow at ``airflow_url``, as an in-process client: passthrough (each
    request's credentials go to Airflow) unless ``settings`` say ``airflow_auth="service"``, Airflow
    given 60 s an answer; ``settings`` as :class:`~app.config.Settings` takes them."""
    options: dict[str, Any] = {"airflow_auth": "passthrough", "airflow_timeout": 60, **settings}
    app = create_app(
        Settings(database_url=database_url, backend="airflow", airflow_url=airflow_url, **options),
        engine=engine,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=base_url, headers=headers, timeout=60
    ) as client:
        yield client
    await app.state.backend.aclose()

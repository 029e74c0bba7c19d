"""Airflow 2's stable API's conventions, as every /api/v1 route keeps them (app/routers/v1/conventions.py,
app/v1_format.py, the middleware's v1 area): bodies, errors, credentials, routing, the store mode.
Against the local stand-in for Airflow (tests/airflow_standin.py); the operations themselves are
tested against a real Airflow (tests/test_v1_*.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.config import Settings
from app.errors import Invalid
from app.main import create_app
from app.routers.v1.conventions import best_media_type, parse_v1_datetime
from app.routers.v1.dag_sources import source_media_type
from app.routers.v1.logs import wants_text
from tests.airflow_standin import StandIn
from tests.v1_fixtures import FORBIDDEN, dagport, database_fixture

TOKEN = "v1-conventions-token-0001"
HEALTH = {
    "metadatabase": {"status": "healthy"},
    "scheduler": {"status": "healthy", "latest_scheduler_heartbeat": "2026-12-07T18:00:00.123456Z"},
    "triggerer": {"status": None, "latest_triggerer_heartbeat": None},
    "dag_processor": {"status": "healthy", "latest_dag_processor_heartbeat": "2026-12-07T18:00:01Z"},
}


database_url = database_fixture("v1")


@pytest.fixture
async def v1(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, StandIn]]:
    airflow = StandIn(
        {
            "/api/v2/monitor/health": (200, HEALTH, 0.0),
            "/api/v2/version": (200, {"version": "3.3.2", "git_version": None}, 0.0),
        }
    )
    async with airflow:
        async with dagport(
            database_url,
            airflow.url,
            airflow_auth="service",
            api_tokens=TOKEN,
            airflow_token="a-static-token",
        ) as c:
            yield c, airflow


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_bodies_are_written_as_airflow_2_wrote_them(v1: Any) -> None:
    client, _ = v1
    answer = await client.get("/api/v1/version")
    assert answer.status_code == 200
    assert answer.text == '{\n  "git_version": null,\n  "version": "3.3.2"\n}\n'
    assert answer.headers["content-type"] == "application/json"
    assert (answer.headers["cache-control"], answer.headers["x-robots-tag"]) == (
        "no-store",
        "noindex, nofollow",
    )
    health = await client.get("/api/v1/health")
    assert health.json() == {
        "dag_processor": {"latest_dag_processor_heartbeat": "2026-12-07T18:00:01+00:00", "status": "healthy"},
        "metadatabase": {"status": "healthy"},
        "scheduler": {"latest_scheduler_heartbeat": "2026-12-07T18:00:00.123456+00:00", "status": "healthy"},
        "triggerer": {"latest_triggerer_heartbeat": None, "status": None},
    }


async def test_refused_credentials_are_403_never_401(v1: Any) -> None:
    """Airflow 2.11 (FAB's public role) answered missing, malformed and wrong credentials 403."""
    client, airflow = v1
    for headers in ({}, auth("not-a-known-token-000"), {"Authorization": "Basic !!!"}):
        answer = await client.get("/api/v1/dags", headers=headers)
        assert answer.status_code == 403
        assert answer.headers["content-type"] == "application/problem+json"
        assert "www-authenticate" not in answer.headers
        assert answer.json() == FORBIDDEN
    assert airflow.seen == []  # refused before Airflow is asked
    for open_path in ("/api/v1/health", "/api/v1/version"):
        assert (await client.get(open_path)).status_code == 200


async def test_routing_errors_have_werkzeug_s_texts(v1: Any) -> None:
    client, _ = v1
    unknown = await client.get("/api/v1/no_such_endpoint", headers=auth())
    assert (unknown.status_code, unknown.json()) == (
        404,
        {
            "detail": "The requested URL was not found on the server. If you entered the URL manually please "
            "check your spelling and try again.",
            "status": 404,
            "title": "Not Found",
            "type": "about:blank",
        },
    )
    trailing = await client.get("/api/v1/health/", headers=auth())  # no trailing-slash rewrite in v1
    assert trailing.status_code == 404
    wrong = await client.put("/api/v1/version", headers=auth())
    assert (wrong.status_code, wrong.json()["detail"], wrong.json()["type"]) == (
        405,
        "The method is not allowed for the requested URL.",
        "about:blank",
    )


async def test_airflow_down_is_503_in_v1_s_shape(database_url: str) -> None:
    async with StandIn({}) as gone:
        url = gone.url
    app = create_app(
        Settings(
            database_url=database_url, api_tokens=TOKEN, backend="airflow", airflow_url=url, airflow_token="x"
        )
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://d") as client:
        answer = await client.get("/api/v1/version")
    await app.state.backend.aclose()
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "Airflow refused the connection"
    assert answer.json()["type"].endswith("#section/Errors/Unknown")


async def test_in_dagport_s_own_store_v1_says_where_it_is_served(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, api_tokens=TOKEN))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://d") as client:
        for method, path in (
            ("GET", "/api/v1/dags"),
            ("POST", "/api/v1/dags/x/dagRuns"),
            ("GET", "/api/v1/health"),
        ):
            answer = await client.request(method, path, headers=auth())
            assert answer.status_code == 404, path
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["detail"] == (
                "dagport serves /api/v1 in front of Airflow 3 only (DAGPORT_BACKEND=airflow)"
            )


async def test_v1_has_an_openapi_document_of_its_own(v1: Any) -> None:
    client, _ = v1
    document = (await client.get("/api/v1/openapi.json")).json()
    assert document["info"]["title"] == "dagport: Airflow 2's stable REST API"
    assert "/health" in document["paths"] and "/version" in document["paths"]
    experimental = (await client.get("/openapi.json")).json()
    assert not any(path.startswith("/api/v1") for path in experimental["paths"])


async def test_health_and_version_are_shared_calls_on_the_requests_connections(database_url: str) -> None:
    """Anyone may ask: concurrent asks share one call, and never on the connections kept for
    dagport's own /ready (the health checks')."""
    airflow = StandIn(
        {
            "/api/v2/monitor/health": (200, HEALTH, 0.3),
            "/api/v2/version": (200, {"version": "3.3.2", "git_version": None}, 0.3),
        }
    )
    async with airflow:
        app = create_app(
            Settings(
                database_url=database_url,
                api_tokens=TOKEN,
                backend="airflow",
                airflow_url=airflow.url,
                airflow_token="x",
            )
        )
        transport = app.state.backend.client.transport
        on_health_connections: list[bool] = []
        call = transport.call

        async def recorded(*args: Any, health: bool = False, **kwargs: Any) -> Any:
            on_health_connections.append(health)
            return await call(*args, health=health, **kwargs)

        transport.call = recorded
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://d"
            ) as client:
                answers = await asyncio.gather(
                    *(client.get(path) for path in ["/api/v1/health"] * 6 + ["/api/v1/version"] * 6)
                )
        finally:
            await app.state.backend.aclose()
    assert [a.status_code for a in answers] == [200] * 12
    assert answers[0].json()["metadatabase"] == {"status": "healthy"}
    assert sorted(airflow.requests) == ["/api/v2/monitor/health", "/api/v2/version"]
    assert on_health_connections == [False, False]


# Werkzeug 2.2.3's MIMEAccept.best_match(["text/plain", "application/json"]), as Airflow 2.11 ran it.
WERKZEUG_CHOICES = [
    (None, None),
    ("", None),
    ("*/*", "text/plain"),
    ("application/json", "application/json"),
    ("application/json, text/plain", "text/plain"),
    ("text/plain;q=0.5, application/json", "application/json"),
    ("text/plain;q=0.1, */*", "application/json"),  # the most specific range gives the quality
    ("application/*", "application/json"),
    ("application/json;charset=utf-8", None),  # parameters must match too
    ("application/json; charset=utf-8, text/*;q=0.2", "text/plain"),
    ("text/plain;level=1, application/json", "application/json"),
    ("text/html", None),
    ("text/plain;q=0, text/*", None),
    ("text/plain;q=2, application/json", "text/plain"),  # q clamped to 1: a tie, the first offered
    ("text/plain;q=abc, application/json;q=0.5", "text/plain"),  # a malformed q is 1
    ("*/*;q=0.8, application/json;q=0.5", "text/plain"),
    ("TEXT/PLAIN;q=0.3, application/JSON;q=0.4", "application/json"),
    ("*/json, text/plain;q=0.1", "text/plain"),
    ("text/plain;q=-1, application/json;q=0.9", "text/plain"),
]


@pytest.mark.parametrize(("accept", "chosen"), WERKZEUG_CHOICES)
def test_accept_chooses_as_werkzeug_chose_for_airflow_2(accept: str | None, chosen: str | None) -> None:
    offers = ("text/plain", "application/json")
    assert best_media_type(accept, offers) == chosen
    # Each operation that offers both answers that choice; without one, as its Airflow 2 endpoint.
    assert source_media_type(accept) == ("text/plain" if accept is None else chosen)
    assert wants_text(accept) is (chosen == "text/plain")


def test_a_query_date_time_is_refused_in_connexion_s_words() -> None:
    assert parse_v1_datetime("2017-01-01T02:00:00+02:00").isoformat() == "2017-01-01T02:00:00+02:00"
    with pytest.raises(Invalid) as refused:
        parse_v1_datetime("2017-01-01")
    assert refused.value.message.startswith("'2017-01-01' is not a 'date-time'\n\nFailed validating 'format'")

"""/health, /ready, /metrics and the access log (docs/api.md section 5)."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.db.engine import create_engine
from app.observability import JsonFormatter
from tests.conftest import TOKEN
from tests.helpers import load_reference_dags, unreachable_database_url

RUNS_ROUTE = "/api/experimental/dags/{dag_id}/dag_runs"


async def test_health_needs_no_auth_and_no_database(anon):
    response = await anon.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_ready_checks_the_database(anon):
    response = await anon.get("/ready")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_ready_is_503_when_the_database_does_not_answer(app_factory, backend):
    import httpx

    from app.config import Settings
    from app.main import create_app

    unreachable = unreachable_database_url(backend)
    app = create_app(Settings(database_url=unreachable, api_tokens=TOKEN))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.get("/ready")
    assert (response.status_code, response.json()["error"]) == (503, "Database unavailable")


async def test_api_answers_503_when_the_database_refuses_connections(backend):
    """Reads (a pooled raw connection on Postgres) and writes alike: JSON 503, never a 500."""
    import httpx

    from app.config import Settings
    from app.main import create_app

    unreachable = unreachable_database_url(backend)
    app = create_app(Settings(database_url=unreachable, auth_backend="none"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t/api/experimental") as client:
        answers = [
            await client.get("/dags/d/dag_runs/2020-01-01T00:00:00+00:00"),
            await client.get("/pools"),
            await client.get("/dags/d/code"),
            await client.post("/pools", json={"name": "p", "slots": 1}),
        ]
    assert [(r.status_code, r.headers["content-type"]) for r in answers] == [(503, "application/json")] * 4
    assert all("error" in r.json() for r in answers)


async def test_api_answers_503_when_postgres_refuses_the_login(backend, database_url):
    """Postgres answering the connection with an error (here 53300, too many connections; during a
    restart 57P03, cannot connect now) is 503 on reads and writes, not 500."""
    import httpx
    import pytest
    from sqlalchemy.engine import make_url

    from app.config import Settings
    from app.main import create_app
    from tests import postgres

    if backend != "postgresql":
        pytest.skip("a login refused by the server: Postgres only")
    # Roles belong to the whole server, which other test runs may share: a name of this process's own.
    role = postgres.unique_name("no_connections")
    await postgres.admin(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 0")
    try:
        url = make_url(database_url).set(username=role).render_as_string(hide_password=False)
        app = create_app(Settings(database_url=url, auth_backend="none"))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t/api/experimental") as client:
            answers = [
                await client.get("/dags/d/dag_runs/2020-01-01T00:00:00+00:00"),
                await client.get("/pools"),
                await client.post("/pools", json={"name": "p", "slots": 1}),
            ]
        await app.state.engine.dispose()
    finally:
        await postgres.admin(f"DROP ROLE IF EXISTS {role}")
    assert [r.status_code for r in answers] == [503] * 3
    assert [r.json()["error"] for r in answers] == ["Database unavailable, try again shortly"] * 3


async def test_metrics_count_requests_by_route_template_method_and_status(client, anon):
    await load_reference_dags(client)
    for _ in range(3):
        assert (await client.get("/dags/example_bash/dag_runs")).status_code == 200
    assert (await client.get("/dags/no_such_dag/dag_runs")).status_code == 400
    assert (await client.get("/no/such/route")).status_code == 404
    text = (await anon.get("/metrics")).text
    assert f'dagport_http_requests_total{{method="GET",route="{RUNS_ROUTE}",status="200"}} 3.0' in text
    assert f'dagport_http_requests_total{{method="GET",route="{RUNS_ROUTE}",status="400"}} 1.0' in text
    assert 'dagport_http_requests_total{method="GET",route="<unmatched>",status="404"} 1.0' in text
    assert f'dagport_http_request_duration_seconds_count{{method="GET",route="{RUNS_ROUTE}"}} 4.0' in text
    assert 'dagport_db_pool_connections{state="in_use"} 0.0' in text
    assert 'dagport_db_pool_connections{state="idle"}' in text


async def test_metrics_need_no_auth(anon):
    response = await anon.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")


async def test_one_json_access_line_per_request_without_credentials(client, caplog):
    caplog.set_level(logging.INFO, logger="dagport.access")
    response = await client.get("/dags/missing/dag_runs", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 400
    records = [r for r in caplog.records if r.name == "dagport.access"]
    assert len(records) == 1
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["request_id"] == "req-42"
    assert (line["method"], line["route"], line["status"]) == ("GET", RUNS_ROUTE, 400)
    assert line["client"] == "127.0.0.1:123"
    assert isinstance(line["duration_ms"], float)
    assert TOKEN not in json.dumps(line)
    assert "authorization" not in json.dumps(line).lower()


async def test_fastapis_opentelemetry_is_asked_only_when_enabled(monkeypatch, tmp_path):
    """DAGPORT_OPENTELEMETRY: off by default (FastAPI then never consults the OpenTelemetry API),
    FastAPI's own telemetry when on."""
    import httpx
    from opentelemetry import trace

    from app.config import Settings
    from app.main import create_app

    asked: list[int] = []
    real = trace.get_tracer_provider

    def counting() -> trace.TracerProvider:
        asked.append(1)
        return real()

    monkeypatch.setattr(trace, "get_tracer_provider", counting)
    for enabled in (False, True):
        asked.clear()
        settings = Settings(database_url=f"sqlite:///{tmp_path}/otel-{enabled}.db", opentelemetry=enabled)
        app = create_app(settings)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            assert (await client.get("/health")).status_code == 200
        assert bool(asked) == enabled


def test_uvicorns_access_logger_has_no_handlers_after_configure_logging():
    """uvicorn's HTTP protocol logs access lines when ``uvicorn.access`` ``hasHandlers()`` (its own
    or an ancestor's); if it thinks so, it formats each line's arguments before the logger drops
    them. dagport writes its own access line, so uvicorn's must not even be prepared."""
    from app.observability import configure_logging

    names = ("", "uvicorn", "uvicorn.error", "uvicorn.access")
    saved = [
        (lg, lg.handlers[:], lg.level, lg.propagate, lg.disabled) for lg in map(logging.getLogger, names)
    ]
    try:
        configure_logging("INFO", "json")
        access = logging.getLogger("uvicorn.access")
        assert not access.hasHandlers()
        assert access.disabled
        assert logging.getLogger("uvicorn.error").hasHandlers()  # errors still reach stderr
    finally:
        for lg, handlers, level, propagate, disabled in saved:
            lg.handlers[:] = handlers
            lg.setLevel(level)
            lg.propagate = propagate
            lg.disabled = disabled


async def test_statement_parameters_reach_neither_logs_nor_errors(settings, capsys):
    """At LOG_LEVEL=DEBUG, with SQLAlchemy's statement log on as well, a failing statement's
    parameters (run configurations, definitions, token hashes) appear in no log line and not in
    the error: SQLAlchemy logged them and put them in every statement error; aiosqlite logged
    every call's arguments at DEBUG."""
    from app.observability import configure_logging

    names = ("", "aiosqlite", "sqlalchemy.engine")
    saved = [(lg, lg.handlers[:], lg.level) for lg in map(logging.getLogger, names)]
    engine = create_engine(settings)
    try:
        configure_logging("DEBUG", "json")
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # what echo=True would do
        with pytest.raises(DBAPIError) as raised:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT :secret FROM no_such_table"), {"secret": "s3cr3t-value"})
    finally:
        await engine.dispose()
        for lg, handlers, level in saved:
            lg.handlers[:] = handlers
            lg.setLevel(level)
    logged = capsys.readouterr().err
    assert "SELECT" in logged and "no_such_table" in logged  # the statement itself was logged
    assert "no_such_table" in str(raised.value)
    assert "s3cr3t-value" not in logged
    assert "s3cr3t-value" not in str(raised.value)


def test_json_lines_leave_out_uvicorns_colored_copy_of_the_message():
    """uvicorn logs with ``extra={"color_message": ...}``: the message again, with ANSI escapes for
    a terminal. A JSON line carries the plain message only."""
    record = logging.getLogger("uvicorn.error").makeRecord(
        "uvicorn.error",
        logging.INFO,
        __file__,
        1,
        "Finished server process [%d]",
        (4242,),
        None,
        extra={"color_message": "Finished server process [\x1b[36m%d\x1b[0m]", "request_id": "r-1"},
    )
    line = json.loads(JsonFormatter().format(record))
    assert line.keys() == {"ts", "level", "logger", "msg", "request_id"}
    assert (line["level"], line["logger"], line["msg"]) == (
        "info",
        "uvicorn.error",
        "Finished server process [4242]",
    )
    assert line["request_id"] == "r-1"  # other extras are kept
    assert "\\u001b" not in JsonFormatter().format(record)

"""dagport behind nginx under a sub-path: Debian's nginx running deploy/nginx.conf in front of two
real `dagport serve` processes sharing one throwaway Postgres database.

deploy/nginx.conf is used as shipped, rewritten only where the file itself says to: loopback
addresses for the replicas and the listener, this test's own temp and pid paths, and the /dagport/
sub-path recipe (``location /dagport/`` + ``proxy_pass http://dagport/;``, which strips the prefix,
and DAGPORT_ROOT_PATH=/dagport on the replicas). The test client connects from 127.0.0.1, an address
the replicas trust (DAGPORT_FORWARDED_ALLOW_IPS), so the X-Forwarded-For it sends stands for an
outer proxy's.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from app.config import Settings
from app.dag_loader import load_files
from app.dates import utcnow
from app.db import migrate
from app.db.backend import SqlBackend
from app.db.engine import create_engine
from tests.conftest import EXAMPLE_DAGS_DIR
from tests.processes import (
    DAGPORT,
    Process,
    dagport_environment,
    free_port,
    require_binary,
    throwaway_database,
    wait_for_http,
    wait_for_line,
)

# Needs nginx and runs `dagport serve` processes (conftest.py: system). One xdist group: the
# module-scoped stack starts once, on one worker.
pytestmark = [pytest.mark.system, pytest.mark.xdist_group("proxy")]

NGINX_CONF = Path(__file__).resolve().parents[1] / "deploy" / "nginx.conf"
PREFIX = "/dagport"
TOKEN = "proxy-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MAX_BODY_BYTES = 1024 * 1024  # compose.yaml's DAGPORT_MAX_BODY_BYTES, nginx's client_max_body_size
DAG_ID = "example_bash_operator"


@dataclass
class Stack:
    url: str  # nginx, e.g. http://127.0.0.1:PORT/dagport
    database_url: str
    replicas: list[Process]
    replica_ports: list[int]
    nginx: Process

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=10.0)


def _replace_once(config: str, old: str, new: str) -> str:
    """deploy/nginx.conf must still contain ``old`` exactly once, or this test no longer tests it."""
    assert config.count(old) == 1, f"deploy/nginx.conf no longer has exactly one {old!r}"
    return config.replace(old, new)


def nginx_config(work: Path, port: int, replica_ports: list[int]) -> str:
    config = NGINX_CONF.read_text()
    for number, replica_port in enumerate(replica_ports, start=1):
        config = _replace_once(config, f"server dagport-{number}:8080", f"server 127.0.0.1:{replica_port}")
    config = _replace_once(config, "listen 8080;", f"listen 127.0.0.1:{port};")
    config = _replace_once(config, "        location / {\n", f"        location {PREFIX}/ {{\n")
    config = _replace_once(
        config, "            proxy_pass http://dagport;\n", "            proxy_pass http://dagport/;\n"
    )
    config = _replace_once(
        config, "        location ~ ^/metrics/*$ {\n", f"        location ~ ^{PREFIX}/metrics/*$ {{\n"
    )
    temp_paths = "".join(
        f"\n    {kind}_temp_path {work / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return _replace_once(config, "\nhttp {", "\nhttp {" + temp_paths)


async def prepare_database(url: str) -> None:
    """What compose.yaml's `migrate` service and `dagport dags load` do, before the replicas start."""
    settings = Settings(database_url=url)
    engine = create_engine(settings, null_pool=True)
    try:
        await migrate.upgrade(engine)
        files = [EXAMPLE_DAGS_DIR / f"{DAG_ID}.json"]
        backend = SqlBackend(engine, settings)
        assert (
            await load_files(backend, files, now=utcnow, default_tz=settings.tz, report=lambda _: None) == 0
        )
    finally:
        await engine.dispose()


def start_replica(name: str, port: int, database_url: str, work: Path) -> Process:
    env = dagport_environment(
        database_url=database_url,
        host="127.0.0.1",
        port=port,
        root_path=PREFIX,
        forwarded_allow_ips="127.0.0.1",
        api_tokens=TOKEN,
        auto_migrate="false",
        max_body_bytes=MAX_BODY_BYTES,
        db_pool_size=4,
        log_format="json",
        log_level="INFO",
    )
    return Process(name, [DAGPORT, "serve"], work, env).start()


def start_nginx(work: Path, port: int, replica_ports: list[int]) -> Process:
    nginx = require_binary("nginx")
    conf = work / "nginx.conf"
    conf.write_text(nginx_config(work, port, replica_ports))
    globals_ = f"daemon off; pid {work / 'nginx.pid'};"
    if os.geteuid() == 0:  # workers would otherwise run as nobody, who cannot enter the temp dirs
        globals_ += " user root;"
    return Process(
        "nginx", [nginx, "-p", str(work), "-c", str(conf), "-e", "stderr", "-g", globals_], work
    ).start()


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    work = tmp_path_factory.mktemp("proxy")
    async with throwaway_database("proxy") as database_url:
        await prepare_database(database_url)
        replica_ports = [free_port(), free_port()]
        replicas = [
            start_replica(f"dagport-{n}", port, database_url, work) for n, port in enumerate(replica_ports, 1)
        ]
        nginx_port = free_port()
        processes = [*replicas]
        try:
            for replica, port in zip(replicas, replica_ports, strict=True):
                await wait_for_http(f"http://127.0.0.1:{port}/ready", replica)
            nginx = start_nginx(work, nginx_port, replica_ports)
            processes.append(nginx)
            await wait_for_http(f"http://127.0.0.1:{nginx_port}{PREFIX}/health", nginx, within=10)
            yield Stack(
                f"http://127.0.0.1:{nginx_port}{PREFIX}", database_url, replicas, replica_ports, nginx
            )
        finally:
            for process in reversed(processes):
                process.stop()


async def queued_at(database_url: str, run_id: str) -> str:
    engine = create_engine(Settings(database_url=database_url), null_pool=True)
    try:
        async with engine.connect() as conn:
            value = await conn.scalar(text("SELECT queued_at FROM dag_run WHERE run_id = :r"), {"r": run_id})
    finally:
        await engine.dispose()
    return str(value)


def page_urls(html: str) -> list[str]:
    """Every absolute-path URL a docs page loads: assets, the OpenAPI document, the OAuth2 redirect."""
    attributes = re.findall(r'(?:src|href|spec-url)="(/[^"]*)"', html)
    scripted = re.findall(r"'(/[^']*)'", html)
    return attributes + scripted


# -- the API under the sub-path --------------------------------------------------------------------


async def test_api_answers_under_the_sub_path(stack: Stack) -> None:
    async with stack.client() as client:
        response = await client.get("/api/experimental/test", headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {"status": "OK"}


async def test_api_without_credentials_is_refused_under_the_sub_path(stack: Stack) -> None:
    async with stack.client() as client:
        response = await client.get("/api/experimental/test")
    assert response.status_code == 401
    body = response.json()
    assert (body["error"], body["request_id"]) == ("Unauthorized", response.headers["x-request-id"])


async def test_trigger_then_read_the_state_through_the_proxy(stack: Stack) -> None:
    async with stack.client() as client:
        triggered = await client.post(
            f"/api/experimental/dags/{DAG_ID}/dag_runs",
            json={"execution_date": "2026-01-02T03:04:05+00:00", "run_id": "through_nginx"},
            headers=AUTH,
        )
        state = await client.get(
            f"/api/experimental/dags/{DAG_ID}/dag_runs/2026-01-02T03:04:05%2B00:00", headers=AUTH
        )
    assert triggered.status_code == 200, triggered.text
    queued = await queued_at(stack.database_url, "through_nginx")
    assert triggered.json() == {
        "execution_date": "2026-01-02T03:04:05+00:00",
        "message": f"Created <DagRun {DAG_ID} @ 2026-01-02 03:04:05+00:00: through_nginx, state:queued, "
        f"queued_at: {queued}. externally triggered: True>",
        "run_id": "through_nginx",
    }
    assert state.status_code == 200
    assert state.json() == {"state": "queued"}


async def test_health_answers_under_the_sub_path(stack: Stack) -> None:
    async with stack.client() as client:
        response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


# -- docs under the sub-path -------------------------------------------------------------------------


async def test_openapi_names_the_sub_path_as_its_server(stack: Stack) -> None:
    async with stack.client() as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["servers"] == [{"url": PREFIX}]
    assert "/api/experimental/dags/{dag_id}/dag_runs" in schema["paths"]


async def docs_page_urls(stack: Stack, page: str) -> list[str]:
    async with stack.client() as client:
        response = await client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return page_urls(response.text)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_page_points_everything_under_the_sub_path(stack: Stack, page: str) -> None:
    urls = await docs_page_urls(stack, page)
    assert f"{PREFIX}/openapi.json" in urls
    assert [url for url in urls if not url.startswith(f"{PREFIX}/")] == []


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_page_assets_load_through_the_proxy(stack: Stack, page: str) -> None:
    urls = await docs_page_urls(stack, page)
    origin = stack.url.removesuffix(PREFIX)
    async with stack.client() as client:
        statuses = {url: (await client.get(origin + url)).status_code for url in urls}
    assert statuses == dict.fromkeys(urls, 200)


# -- what the proxy tells dagport ----------------------------------------------------------------------


async def test_access_log_shows_the_forwarded_client_address(stack: Stack) -> None:
    request_id = f"xff-{uuid.uuid4().hex}"
    async with stack.client() as client:
        response = await client.get(
            "/health", headers={"X-Forwarded-For": "203.0.113.7", "X-Request-ID": request_id}
        )
    assert response.status_code == 200
    line = await wait_for_line(stack.replicas, request_id)
    entry = json.loads(line)
    assert {k: entry[k] for k in ("logger", "method", "route", "status", "client", "request_id")} == {
        "logger": "dagport.access",
        "method": "GET",
        "route": "/health",
        "status": 200,
        "client": "203.0.113.7:0",
        "request_id": request_id,
    }


# -- request bodies at the limit -------------------------------------------------------------------------


async def test_body_over_the_limit_is_refused_by_nginx_with_dagports_error(stack: Stack) -> None:
    async with stack.client() as client:
        response = await client.post(
            "/api/experimental/pools", content=b"x" * (MAX_BODY_BYTES + 1), headers=AUTH
        )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "error": f"Request body is larger than {MAX_BODY_BYTES} bytes",
        "request_id": response.headers["x-request-id"],
    }


async def test_body_of_exactly_the_limit_reaches_dagport(stack: Stack) -> None:
    async with stack.client() as client:
        response = await client.post("/api/experimental/pools", content=b"x" * MAX_BODY_BYTES, headers=AUTH)
    assert response.status_code == 400
    assert response.json() == {
        "error": "Request body is not valid JSON",
        "request_id": response.headers["x-request-id"],
    }


# -- what the proxy does not publish, and slow clients ----------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/metrics", "/metrics/", "/metrics//", "/%6Detrics", "//metrics", "/metrics?x=1"]
)
async def test_metrics_are_not_published_through_the_proxy(stack: Stack, path: str) -> None:
    async with httpx.AsyncClient(timeout=10.0) as client:
        response = await client.get(stack.url + path)
        direct = await client.get(f"http://127.0.0.1:{stack.replica_ports[0]}/metrics")
    assert response.status_code == 404
    assert response.json() == {"error": "Not Found", "request_id": response.headers["x-request-id"]}
    assert direct.status_code == 200  # each replica still serves it, for a scrape on the inside
    assert "dagport_http_requests_total" in direct.text


def nginx_seconds(directive: str) -> float:
    [value] = re.findall(rf"^\s*{directive} (\d+)s;$", NGINX_CONF.read_text(), re.MULTILINE)
    return float(value)


async def test_a_client_dribbling_its_headers_is_cut_off_by_the_proxy(stack: Stack) -> None:
    timeout = nginx_seconds("client_header_timeout")
    assert timeout < 10  # shorter than dagport's own DAGPORT_HEADER_TIMEOUT
    port = int(stack.url.split(":")[2].split("/")[0])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {PREFIX}/health HTTP/1.1\r\nHost: x\r\n".encode())
    started = asyncio.get_running_loop().time()
    closed = None
    while asyncio.get_running_loop().time() - started < timeout + 3:
        try:
            writer.write(b"X-Dribble: 1\r\n")  # a header line every 100 ms, never the end
            await writer.drain()
            if await asyncio.wait_for(reader.read(65536), 0.1) == b"":
                closed = asyncio.get_running_loop().time() - started
                break
        except TimeoutError:
            continue
        except ConnectionError:
            closed = asyncio.get_running_loop().time() - started
            break
    writer.close()
    assert closed is not None, "the proxy kept a dribbling client's connection open"
    assert timeout - 0.5 < closed < timeout + 2


# -- failover ------------------------------------------------------------------------------------------------


async def test_requests_fail_over_to_the_other_replica(stack: Stack) -> None:
    stopped = stack.replicas[1]
    assert stopped.stop() in (0, -15)  # graceful: exit 0, or killed by uvicorn's re-raised SIGTERM
    try:
        async with stack.client() as client:
            statuses = [
                (await client.get("/api/experimental/test", headers=AUTH)).status_code for _ in range(8)
            ]
            triggered = await client.post(
                f"/api/experimental/dags/{DAG_ID}/dag_runs",
                json={"execution_date": "2026-02-03T00:00:00+00:00"},
                headers=AUTH,
            )
        assert statuses == [200] * 8
        assert triggered.status_code == 200, triggered.text
    finally:
        stopped.start()  # the other tests of this module may run after this one
        await wait_for_http(f"http://127.0.0.1:{stack.replica_ports[1]}/ready", stopped)

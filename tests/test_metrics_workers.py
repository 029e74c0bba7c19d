"""/metrics of a real ``dagport serve`` with two workers on Postgres: every scrape, whichever worker
answers it, shows the sum over the workers (prometheus-client's multiprocess mode,
app/observability.py).

Requests go out on fresh connections, several at a time, so both workers accept some; between the
batches /metrics is scraped several times. A counter is written when a response has been sent, so
a scrape may trail the client by a moment: each is polled until it equals what was sent, and no
scrape may ever show less than an earlier one or more than was sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.processes import (
    DAGPORT,
    Process,
    dagport_environment,
    free_port,
    throwaway_database,
    wait_for_http,
)

# Starts server processes (conftest.py: system). One xdist group: its server starts once, on one worker.
pytestmark = [pytest.mark.system, pytest.mark.xdist_group("metrics_workers")]

TOKEN = "metrics-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
POOL_SIZE = 3
ROUTES = ("/api/experimental/test", "/api/experimental/pools")
BATCH, BATCHES, SCRAPES_PER_BATCH, CONCURRENCY = 60, 5, 4, 8


class Server:
    def __init__(self, process: Process, url: str) -> None:
        self.process, self.url = process, url

    def worker_pids(self) -> list[int]:
        """The server's child processes, from /proc (procps is not on every machine)."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def multiprocess_dirs(self) -> set[str]:
        """PROMETHEUS_MULTIPROC_DIR in the environment of the server's child processes."""
        found = set()
        for pid in self.worker_pids():
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            for entry in environ:
                if entry.startswith(b"PROMETHEUS_MULTIPROC_DIR="):
                    found.add(entry.split(b"=", 1)[1].decode())
        return found


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    work = tmp_path_factory.mktemp("metrics-workers")
    async with throwaway_database("metrics") as database_url:
        port = free_port()
        env = dagport_environment(
            database_url=database_url,
            port=port,
            workers=2,
            api_tokens=TOKEN,
            db_pool_size=POOL_SIZE,
            log_level="WARNING",
        )
        process = Process("dagport", [DAGPORT, "serve"], work, env).start()
        try:
            await wait_for_http(f"http://127.0.0.1:{port}/ready", process, within=60)
            yield Server(process, f"http://127.0.0.1:{port}")
        finally:
            process.stop()


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition text (0 when it is not there yet)."""
    wanted = sorted(labels.items())
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and sorted(found.labels.items()) == wanted:
                return found.value
    return 0.0


def requests_of(text: str, route: str) -> float:
    return sample(text, "dagport_http_requests_total", method="GET", route=route, status="200")


async def send(url: str, count: int) -> None:
    """``count`` GETs per route, each on a new connection, CONCURRENCY at a time."""
    limits = httpx.Limits(max_keepalive_connections=0)
    gate = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, headers=AUTH, limits=limits, timeout=10) as client:

        async def one(path: str) -> None:
            async with gate:
                response = await client.get(path)
                assert response.status_code == 200, response.text

        await asyncio.gather(*(one(path) for path in ROUTES for _ in range(count)))


async def test_counters_are_the_sum_over_both_workers_and_never_go_down(server: Server) -> None:
    assert len(server.multiprocess_dirs()) == 1  # dagport serve gave both workers one directory
    last: dict[str, float] = dict.fromkeys(ROUTES, 0.0)
    scrapes_before = 0.0
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as scraper:
        for batch in range(1, BATCHES + 1):
            await send(server.url, BATCH)
            sent = batch * BATCH
            for _ in range(SCRAPES_PER_BATCH):
                for _attempt in range(50):
                    text = (await scraper.get("/metrics")).text
                    seen = {route: requests_of(text, route) for route in ROUTES}
                    for route, value in seen.items():
                        assert last[route] <= value <= sent, (route, last[route], value, sent)
                    last = seen
                    scrapes = requests_of(text, "/metrics")
                    assert scrapes >= scrapes_before
                    scrapes_before = scrapes
                    if all(value == sent for value in seen.values()):
                        break
                    await asyncio.sleep(0.05)
                assert last == dict.fromkeys(ROUTES, float(sent)), text


async def test_pool_gauges_add_up_the_live_workers(server: Server) -> None:
    """Each worker publishes its pool figures at least once a second (DAGPORT_METRICS_PUBLISH_SECONDS):
    the configured size summed over two workers is twice one worker's."""
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as scraper:
        for _ in range(40):
            text = (await scraper.get("/metrics")).text
            if sample(text, "dagport_db_pool_size") == 2 * POOL_SIZE:
                break
            await asyncio.sleep(0.1)
    assert sample(text, "dagport_db_pool_size") == 2 * POOL_SIZE, text
    assert sample(text, "dagport_db_pool_connections", state="idle") >= 1


async def test_an_empty_file_of_a_worker_killed_while_starting_does_not_fail_the_scrape(
    server: Server,
) -> None:
    """A worker creates its file and sizes it a moment later; killed in between, it leaves an empty
    file, named after a pid that never comes back. Scrapes go on summing the others."""
    (directory,) = server.multiprocess_dirs()
    empty = Path(directory) / "counter_4194303.db"
    empty.touch()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as scraper:
            for _ in range(4):  # whichever worker answers
                scraped = await scraper.get("/metrics")
                assert scraped.status_code == 200, scraped.text
                assert sample(scraped.text, "dagport_db_pool_size") >= POOL_SIZE  # the live workers' sum
    finally:
        empty.unlink()


def is_directory(path: str) -> bool:
    return Path(path).is_dir()


async def test_the_metrics_directory_is_removed_when_the_server_stops(tmp_path: Path) -> None:
    async with throwaway_database("metrics") as database_url:
        port = free_port()
        env = dagport_environment(database_url=database_url, port=port, workers=2, api_tokens=TOKEN)
        process = Process("dagport", [DAGPORT, "serve"], tmp_path, env).start()
        try:
            await wait_for_http(f"http://127.0.0.1:{port}/ready", process, within=60)
            (directory,) = Server(process, "").multiprocess_dirs()
            assert is_directory(directory)
        finally:
            assert process.stop() == 0, process.output()
    assert not is_directory(directory)

"""A full run listing of a large DAG keeps the server's memory flat (``dagport serve`` on Postgres).

One DAG with 100,000 runs, seeded with SQL (``bench.database.seed``); four listings without a limit
at once, each about 24 MB. Built in memory, each would hold its body and the Python objects it
was rendered from (hundreds of MB for the four); streamed, the server holds a few chunks per
listing. The server's resident memory is sampled every 20 ms; its growth over the resident set
before the listings must stay under ``GROWTH_BOUND_MB``, and every body must be the whole listing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import orjson
import pytest

from bench import database
from tests.processes import (
    DAGPORT,
    Process,
    dagport_environment,
    free_port,
    throwaway_database,
    wait_for_http,
)

# Starts a server of its own (conftest.py: system). One xdist group: its module runs on one worker.
pytestmark = [pytest.mark.system, pytest.mark.xdist_group("listing_memory")]

TOKEN = "listing-memory-test-token"
RUNS = 100_000
CONCURRENT = 4
GROWTH_BOUND_MB = 60


async def read_listing(client: httpx.AsyncClient, path: str) -> tuple[httpx.Headers, bytes]:
    async with client.stream("GET", path) as response:
        assert response.status_code == 200
        return response.headers, await response.aread()


async def test_concurrent_full_listings_keep_the_servers_memory_flat(tmp_path: Path) -> None:
    async with throwaway_database("dagport_listing_memory") as url:
        await database.migrate_database(url)
        await database.seed(url, dags=1, runs=RUNS, ti_runs=0)
        dag_id = database.bench_dag_id(0, 1)
        port = free_port()
        env = dagport_environment(
            database_url=url, port=port, api_tokens=TOKEN, auto_migrate="false", log_level="WARNING"
        )
        server = Process("dagport", [DAGPORT, "serve"], tmp_path, env).start()
        try:
            await wait_for_http(f"http://127.0.0.1:{port}/ready", server)
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}/api/experimental",
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=120,
            ) as client:
                path = f"/dags/{dag_id}/dag_runs"
                assert (await client.get(path, params={"limit": 10})).status_code == 200  # warm
                before = server.rss_mb()
                assert before is not None
                samples: list[float] = []
                done = asyncio.Event()

                async def sample() -> None:
                    while not done.is_set():
                        samples.append(server.rss_mb() or 0.0)
                        await asyncio.sleep(0.02)

                sampler = asyncio.create_task(sample())
                try:
                    answers = await asyncio.gather(*(read_listing(client, path) for _ in range(CONCURRENT)))
                finally:
                    done.set()
                    await sampler
        finally:
            server.stop()
    growth = max(samples) - before
    assert growth < GROWTH_BOUND_MB, (
        f"RSS grew {growth:.0f} MB (from {before:.0f} MB) for {CONCURRENT} listings"
    )
    headers, body = answers[0]
    assert headers.get("transfer-encoding") == "chunked" and "content-length" not in headers
    assert all(answer[1] == body for answer in answers)
    listed = orjson.loads(body)
    assert len(listed) == RUNS
    assert [item["id"] for item in listed[:3]] == [1, 2, 3] and listed[-1]["id"] == RUNS

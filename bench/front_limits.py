"""``python -m bench.front_limits``: what one client can make dagport in front of Airflow hold or do.

Against the tests' local stand-in for Airflow (tests/airflow_standin.py: real HTTP on loopback,
answers as slow or as large as a scenario needs), with dagport in process (``create_app``):

- ``cache``: RSS of this process before and after 120 distinct run listings of about 2 MB each,
  with ``DAGPORT_AIRFLOW_CACHE_SECONDS=60`` (the read cache's memory);
- ``starvation``: while one token has 25 slow reads (2 s each) in flight, how long another token's
  unrelated read and ``/ready`` take, and what ``/ready`` answers (the connection budgets);
- ``fanout``: ``latest_runs`` over 2,000 DAGs and ``GET /dags?limit=10000``: status, time, and the
  calls dagport made to Airflow (the per-request budget).

Prints a table. Runs against whatever ``app`` is importable, so the same script measures another
checkout: ``PYTHONPATH=<checkout> python -m bench.front_limits``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from app.config import Settings
from app.db import migrate
from app.db.engine import create_engine
from app.main import create_app
from tests.airflow_standin import Seen, StandIn

TOKEN = "bench-limits-token-0001"
OTHER = "bench-limits-token-0002"
RUN = {
    "dag_run_id": "r", "dag_id": "d", "logical_date": "2025-01-01T00:00:00Z", "run_after": "2025-01-01T00:00:00Z",
    "queued_at": None, "start_date": None, "end_date": None, "state": "success", "run_type": "manual",
}  # fmt: skip


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def app_client(airflow: StandIn, db: str, **settings: Any) -> tuple[Any, httpx.AsyncClient]:
    app = create_app(
        Settings(
            database_url=db,
            api_tokens=f"{TOKEN},{OTHER}",
            backend="airflow",
            airflow_url=airflow.url,
            airflow_token="bench",
            log_level="WARNING",
            **settings,
        )
    )
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://dagport",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=300,
    )
    return app, client


async def close(app: Any, client: httpx.AsyncClient) -> None:
    await client.aclose()
    await app.state.backend.aclose()
    await app.state.engine.dispose()


async def cache(db: str) -> list[str]:
    conf = {"pad": "x" * 20_000}
    runs = {
        "dag_runs": [{**RUN, "dag_run_id": f"r{n}", "conf": conf} for n in range(100)],
        "total_entries": 100,
    }
    airflow = StandIn(
        {"/api/v2/dags/d": (200, {"dag_id": "d"}, 0.0), "/api/v2/dags/d/dagRuns": (200, runs, 0.0)}
    )
    async with airflow:
        app, client = await app_client(airflow, db, airflow_cache_seconds=60)
        await client.get("/api/experimental/dags/d/dag_runs?limit=1")
        gc.collect()
        before = rss_mb()
        for n in range(120):
            answer = await client.get(f"/api/experimental/dags/d/dag_runs?limit=100&offset={n}")
            assert answer.status_code == 200, answer.text
        gc.collect()
        after = rss_mb()
        await close(app, client)
    return [
        f"cache: RSS {before:.0f} MB -> {after:.0f} MB after 120 distinct 2 MB listings (+{after - before:.0f} MB)"
    ]


async def starvation(db: str) -> list[str]:
    routes: dict[str, Any] = {
        f"/api/v2/dags/slow{n}": (200, {"dag_id": "s", "is_paused": False}, 2.0) for n in range(25)
    }
    routes["/api/v2/dags/fast"] = (200, {"dag_id": "fast", "is_paused": False}, 0.0)
    routes["/api/v2/monitor/health"] = (200, {"metadatabase": {"status": "healthy"}}, 0.0)
    airflow = StandIn(routes)
    async with airflow:
        app, client = await app_client(airflow, db)
        slow = [
            asyncio.ensure_future(client.get(f"/api/experimental/dags/slow{n}/paused")) for n in range(25)
        ]
        await asyncio.sleep(0.2)

        async def timed(path: str, token: str) -> tuple[int, float]:
            started = time.perf_counter()
            answer = await client.get(path, headers={"Authorization": f"Bearer {token}"})
            return answer.status_code, time.perf_counter() - started

        (other, other_s), (ready, ready_s) = await asyncio.gather(
            timed("/api/experimental/dags/fast/paused", OTHER), timed("/ready", OTHER)
        )
        await asyncio.gather(*slow)
        await close(app, client)
    return [
        f"starvation: another token's read {other} in {other_s * 1000:.0f} ms; "
        f"/ready {ready} in {ready_s * 1000:.0f} ms (25 slow reads of 2 s in flight)"
    ]


def dag_listing(count: int) -> Any:
    def route(seen: Seen) -> tuple[int, Any, float]:
        offset = int(seen.query.get("offset", ["0"])[0])
        limit = min(int(seen.query.get("limit", ["100"])[0]), 100)
        page = [{"dag_id": f"dag{n:05d}"} for n in range(offset, min(count, offset + limit))]
        return 200, {"dags": page, "total_entries": count}, 0.0

    return route


def dag_route(seen: Seen) -> tuple[int, Any, float]:
    parts = seen.path.split("/")
    dag_id = parts[4]
    if parts[-1] == "dagRuns":
        return 200, {"dag_runs": [{**RUN, "dag_id": dag_id}], "total_entries": 1}, 0.0
    if parts[-1] == "tasks":
        return 200, {"tasks": [{"task_id": "t"}], "total_entries": 1}, 0.0
    return 200, {"dag_id": dag_id}, 0.0


async def fanout(db: str) -> list[str]:
    class Routes(dict[str, Any]):
        def get(self, path: str, default: Any = None) -> Any:
            return dag_listing(2000) if path == "/api/v2/dags" else dag_route

    airflow = StandIn(Routes())
    lines = []
    async with airflow:
        app, client = await app_client(airflow, db)
        for path in ("/api/experimental/latest_runs", "/api/experimental/dags?limit=10000"):
            before = len(airflow.seen)
            started = time.perf_counter()
            answer = await client.get(path)
            elapsed = time.perf_counter() - started
            lines.append(
                f"fanout: {path} over 2,000 DAGs: {answer.status_code} in {elapsed * 1000:.0f} ms, "
                f"{len(airflow.seen) - before} calls to Airflow"
            )
        await close(app, client)
    return lines


async def main_async(scenarios: list[str]) -> int:
    work = Path(tempfile.mkdtemp(prefix="dagport-bench-limits-"))
    db = f"sqlite+aiosqlite:///{work / 'dagport.db'}"
    engine = create_engine(Settings(database_url=db))
    await migrate.upgrade(engine)
    await engine.dispose()
    for name in scenarios:
        for line in await {"cache": cache, "starvation": starvation, "fanout": fanout}[name](db):
            print(line, flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.front_limits", description=__doc__.split("\n\n")[0])
    p.add_argument("scenarios", nargs="*", default=["cache", "starvation", "fanout"])
    return asyncio.run(main_async(p.parse_args(argv).scenarios))


if __name__ == "__main__":
    sys.exit(main())

"""``python -m bench.inprocess``: CPU time per request, in-process, without HTTP or wrk.

The app is built with ``create_app`` and called as an ASGI application directly, from N concurrent
tasks, against a database seeded like the main harness's (smaller by default). It prints the
process CPU time and the wall time per request for each workload: a finer and steadier figure
than wrk's req/s for comparing two versions of a hot path (uvicorn's HTTP parsing, the same for
every version, is left out). The two writes (trigger, ti_update) are driven only when named.

    .venv/bin/python -m bench.inprocess                         # every read workload
    .venv/bin/python -m bench.inprocess --workloads run_state --requests 20000
    .venv/bin/python -m bench.inprocess --workloads trigger,ti_update
    .venv/bin/python -m bench.inprocess --workloads list_runs_all --ab LISTING_CACHE_MB=0

``--ab`` builds a second app on the same database with some DAGPORT_* settings changed and drives
the two in alternating batches, printing each one's median: two runs of the command, minutes
apart, differ by more than most changes measured this way.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

from bench import database
from bench.database import Targets
from bench.run import add_data_arguments
from bench.servers import TOKEN
from bench.workloads import API, LIST_PAGE

# A request: a GET target, or (method, target, JSON body).
Request = str | tuple[str, str, bytes]
WRITES = ("trigger", "ti_update")


def _requests(targets: Targets) -> dict[str, Callable[[int], Request]]:
    runs = [(d, e.astimezone(UTC).isoformat()) for _, d, e in targets.runs]
    tis = [(d, e.astimezone(UTC).isoformat(), t) for d, e, t in targets.task_instances]
    pages = max(targets.list_dag_runs // LIST_PAGE, 1)
    listing = f"{API}/dags/{targets.list_dag}/dag_runs"
    dags = targets.trigger_dags
    after = targets.newest_execution_date.astimezone(UTC) + timedelta(hours=1)
    triggers = itertools.count()
    return {
        "run_state": lambda i: "{}/dags/{}/dag_runs/{}".format(API, *runs[i % len(runs)]),
        "task_instance": lambda i: "{}/dags/{}/dag_runs/{}/tasks/{}".format(API, *tis[i % len(tis)]),
        "task_info": lambda i: "{}/dags/{}/tasks/{}".format(API, *targets.tasks[i % len(targets.tasks)]),
        "list_runs_all": lambda i: listing,
        "list_runs_page": lambda i: f"{listing}?limit={LIST_PAGE}&offset={i % pages * LIST_PAGE}",
        "latest_runs": lambda i: f"{API}/latest_runs",
        "pools": lambda i: f"{API}/pools",
        "health": lambda i: "/health",
        # Writes: a report alternating running and queued on sampled task instances (the main
        # harness's ti_update), and triggers of 10-task DAGs at dates no run has (one a second
        # after the newest run, counted across warm-up and measurement).
        "ti_update": lambda i: (
            "PATCH",
            "{}/dags/{}/dag_runs/{}/tasks/{}".format(API, *tis[i % len(tis)]),
            json.dumps({"state": ("running", "queued")[i // len(tis) % 2]}).encode(),
        ),
        "trigger": lambda i: (
            "POST",
            f"{API}/dags/{dags[i % len(dags)]}/dag_runs",
            json.dumps({"execution_date": (after + timedelta(seconds=next(triggers))).isoformat()}).encode(),
        ),
    }


async def _call(app: Any, request: Request) -> int:
    method, target, body = ("GET", request, b"") if isinstance(request, str) else request
    path, _, query = target.partition("?")
    headers = [(b"host", b"bench"), (b"authorization", f"Bearer {TOKEN}".encode())]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    status = 0
    received = False

    async def receive() -> dict[str, Any]:
        # As a server: the request once, then nothing until the client leaves (it never does
        # here). A streamed response listens for that while it sends.
        nonlocal received
        if received:
            await asyncio.Event().wait()
        received = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _drive(
    app: Any, make: Callable[[int], Request], requests: int, concurrency: int
) -> tuple[float, float]:
    failures: list[Request] = []

    async def worker(first: int, count: int) -> None:
        for i in range(first, count, concurrency):
            target = make(i)
            if await _call(app, target) != 200:
                failures.append(target)

    await asyncio.gather(*(worker(k, min(requests, 500)) for k in range(concurrency)))  # warm up
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(k, requests) for k in range(concurrency)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if failures:
        raise SystemExit(f"bench.inprocess: {len(failures)} requests failed, e.g. {failures[0]}")
    return cpu / requests * 1e6, wall / requests * 1e6


async def _run(args: argparse.Namespace, dsn: str) -> None:
    from app.main import prepared_app

    await database.migrate_database(dsn)
    seed = await database.seed(dsn, dags=args.dags, runs=args.runs, ti_runs=args.ti_runs)
    print(
        f"seeded {seed.dags:,} DAGs, {seed.runs:,} runs, {seed.task_instances:,} task instances", flush=True
    )
    targets = await database.sample_targets(dsn, sample=args.sample, dags=args.dags)
    # Built as `dagport serve` builds each worker (bench/servers.py's settings).
    os.environ |= {
        "DAGPORT_DATABASE_URL": dsn,
        "DAGPORT_API_TOKENS": TOKEN,
        "DAGPORT_AUTO_MIGRATE": "false",
        "DAGPORT_LOG_LEVEL": "WARNING",
        "DAGPORT_DB_POOL_SIZE": str(args.concurrency),
        "DAGPORT_DB_MAX_OVERFLOW": "0",
    }
    if args.listing_cache_mb is not None:
        os.environ["DAGPORT_LISTING_CACHE_MB"] = str(args.listing_cache_mb)
    makers = _requests(targets)
    names = args.workloads.split(",") if args.workloads else [n for n in makers if n not in WRITES]
    unknown = set(names) - set(makers)
    if unknown:
        raise SystemExit(f"bench.inprocess: unknown workload(s): {', '.join(sorted(unknown))}")
    app = prepared_app()
    await app.state.token_store.reload()
    try:
        if args.ab:
            await _ab(args, app, {name: makers[name] for name in names})
            return
        print(f"\n{args.requests:,} requests per workload, {args.concurrency} concurrent, in-process")
        print(f"{'workload':<16}{'CPU us/request':>16}{'wall us/request':>17}")
        for name in names:
            cpu, wall = await _drive(app, makers[name], args.requests, args.concurrency)
            print(f"{name:<16}{cpu:>16,.0f}{wall:>17,.0f}", flush=True)
    finally:
        await app.state.engine.dispose()


def _settings_overrides(text: str) -> dict[str, str]:
    """``KEY=VALUE,KEY=VALUE`` -> DAGPORT_* environment variables."""
    pairs = [item.split("=", 1) for item in text.split(",") if item]
    if any(len(pair) != 2 for pair in pairs):
        raise SystemExit(f"bench.inprocess: --ab wants KEY=VALUE[,KEY=VALUE...], got {text!r}")
    return {f"DAGPORT_{key.strip().upper().removeprefix('DAGPORT_')}": value for key, value in pairs}


async def _ab(args: argparse.Namespace, app_a: Any, makers: dict[str, Callable[[int], Request]]) -> None:
    """``makers``' workloads on ``app_a`` and on an app with ``--ab``'s settings, batch by batch."""
    from app.main import prepared_app

    overrides = _settings_overrides(args.ab)
    saved = {key: os.environ.get(key) for key in overrides}
    os.environ |= overrides
    try:
        app_b = prepared_app()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    await app_b.state.token_store.reload()
    size = max(1, args.requests // args.batches)
    print(f"\nA: as configured; B: {args.ab}. {args.batches} batches of {size:,} requests each, alternating")
    print(f"{'workload':<16}{'A CPU us':>10}{'B CPU us':>10}{'B/A':>7}   (medians; wall: A, B)")
    try:
        for name, make in makers.items():
            figures: dict[str, list[tuple[float, float]]] = {"A": [], "B": []}
            for _ in range(args.batches):
                for label, app in (("A", app_a), ("B", app_b)):
                    figures[label].append(await _drive(app, make, size, args.concurrency))
            (cpu_a, wall_a), (cpu_b, wall_b) = (
                (statistics.median(c for c, _ in figures[k]), statistics.median(w for _, w in figures[k]))
                for k in ("A", "B")
            )
            print(
                f"{name:<16}{cpu_a:>10,.1f}{cpu_b:>10,.1f}{cpu_b / cpu_a:>7.2f}   ({wall_a:,.0f}, {wall_b:,.0f})"
            )
    finally:
        await app_b.state.engine.dispose()


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.inprocess", description=__doc__.split("\n\n")[0])
    p.add_argument("--workloads", help="comma-separated subset (default: every read workload)")
    p.add_argument("--requests", type=int, default=5000, help="requests per workload (default 5,000)")
    p.add_argument("--concurrency", type=int, default=16, help="concurrent callers (default 16)")
    p.add_argument(
        "--listing-cache-mb", type=float, help="DAGPORT_LISTING_CACHE_MB (default: dagport's own; 0: off)"
    )
    p.add_argument("--ab", help="compare with an app given these settings: KEY=VALUE[,KEY=VALUE...]")
    p.add_argument(
        "--batches", type=int, default=10, help="--ab: alternating batches per workload (default 10)"
    )
    add_data_arguments(p, runs=100_000, sample=1000)
    args = p.parse_args()
    name = database.new_database_name()
    dsn = database.with_database(args.admin_dsn, name)
    asyncio.run(database.create_database(args.admin_dsn, name))
    try:
        import uvloop

        uvloop.run(_run(args, dsn))
    finally:
        asyncio.run(database.drop_database(args.admin_dsn, name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

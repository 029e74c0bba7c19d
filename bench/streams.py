"""``python -m bench.streams``: full run listings and authentication under a held pool, measured.

Two questions, on one throwaway Postgres database holding one DAG with ``--runs`` runs
(300,000 by default) and a token stored in the database:

1. **Full listings.** ``GET /dags/{id}/dag_runs`` without ``limit``, once alone, then
   ``--concurrency`` (8) at once, each read by ``curl`` into a hash: wall time, body bytes, the
   server's resident memory (sampled every 20 ms from ``/proc``; VmHWM at the end) and the
   latency of ``/health`` polled every 20 ms meanwhile. Every body must be the same bytes.
2. **Authentication with the pool held.** The server's pool (``--pool-size``) is taken by as
   many task-instance PATCHes waiting for a run's row lock (held from outside); once the token
   set is older than ``DAGPORT_TOKEN_CACHE_SECONDS``, ``/api/experimental/test`` with the
   database token: its status and latency (the reload it triggers needs a connection).

Prints a Markdown table (docs/performance.md keeps the figures). Exit status 1 if a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import database
from bench.servers import Server, dagport_server

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
API = "/api/experimental"
DB_TOKEN = "dp_bench_stream_token_0123456789"
DB_TOKEN_HASH = hashlib.sha256(DB_TOKEN.encode()).hexdigest()
TOKEN_CACHE_SECONDS = 2.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.streams", description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=300_000, help="runs of the one DAG (default 300,000)")
    p.add_argument("--concurrency", type=int, default=8, help="full listings at once (default 8)")
    p.add_argument("--pool-size", type=int, default=10, help="DAGPORT_DB_POOL_SIZE (default 10)")
    p.add_argument("--admin-dsn", default=ADMIN_DSN, help=f"where to create the database ({ADMIN_DSN})")
    p.add_argument("--chunk-rows", type=int, help="DAGPORT_LISTING_CHUNK_ROWS (default: dagport's own)")
    p.add_argument("--label", default="", help="a name for this run's column (e.g. a commit)")
    return p.parse_args(argv)


def cpu_seconds(server: Server) -> float:
    """User + system CPU time the server's processes have used so far."""
    total = 0.0
    for proc in server.memory():
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


class Sampler:
    """The server's RSS and /health's latency, every 20 ms, until stopped."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.rss_mb: list[float] = []
        self.health_ms: list[float] = []
        self.health_failures = 0
        self._stop = asyncio.Event()

    async def _memory(self) -> None:
        while not self._stop.is_set():
            self.rss_mb.append(sum(p.rss_mb for p in self.server.memory()))
            await asyncio.sleep(0.02)

    async def _health(self) -> None:
        async with httpx.AsyncClient(base_url=self.server.url, timeout=30) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    ok = (await client.get("/health")).status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.health_ms.append((time.perf_counter() - started) * 1000)
                self.health_failures += not ok
                await asyncio.sleep(0.02)

    async def __aenter__(self) -> Sampler:
        self._tasks = [asyncio.create_task(self._memory()), asyncio.create_task(self._health())]
        return self

    async def __aexit__(self, *_: object) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)


async def curl_listing(url: str, token: str) -> tuple[float, int, str, int]:
    """(seconds, bytes, sha256 of the body, HTTP status) of one listing read by curl."""
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        "curl", "-sS", "-H", f"Authorization: Bearer {token}", "-w", "\n%{http_code}", url,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    digest, size, tail = hashlib.sha256(), 0, b""
    assert proc.stdout is not None
    while chunk := await proc.stdout.read(1 << 20):
        # The status line curl appends comes last: keep the tail apart from the body's hash.
        data = tail + chunk
        data, tail = data[:-8], data[-8:]
        digest.update(data)
        size += len(data)
    await proc.wait()
    body_end, _, status = tail.rpartition(b"\n")
    digest.update(body_end)
    size += len(body_end)
    return time.perf_counter() - started, size, digest.hexdigest(), int(status or 0)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def listings(server: Server, dag_id: str, concurrency: int) -> dict[str, Any]:
    url = f"{server.url}{API}/dags/{dag_id}/dag_runs"
    result: dict[str, Any] = {}
    for name, count in (("one", 1), ("concurrent", concurrency)):
        cpu = cpu_seconds(server)
        async with Sampler(server) as sampler:
            answers = await asyncio.gather(*(curl_listing(url, "bench-token") for _ in range(count)))
        cpu = cpu_seconds(server) - cpu
        result[name] = {
            "count": count,
            "seconds_max": max(a[0] for a in answers),
            "seconds_mean": statistics.mean(a[0] for a in answers),
            "server_cpu_seconds": cpu,
            "bytes": answers[0][1],
            "statuses": sorted({a[3] for a in answers}),
            "same_body": len({a[2] for a in answers}) == 1,
            "sha256": answers[0][2],
            "rss_peak_mb": max(sampler.rss_mb),
            "health_max_ms": max(sampler.health_ms),
            "health_p99_ms": _percentile(sampler.health_ms, 0.99),
            "health_failures": sampler.health_failures,
        }
    result["vmhwm_mb"] = sum(p.peak_mb for p in server.memory())
    return result


async def held_pool(server: Server, dsn: str, pool_size: int) -> dict[str, Any]:
    """/test with the database token while every pooled connection waits on a row lock."""
    conn = await asyncpg.connect(dsn)
    run = await conn.fetchrow(
        "SELECT r.dag_id, r.execution_date FROM dag_run r JOIN task_instance ti ON ti.dag_run_id = r.id "
        "ORDER BY r.id DESC LIMIT 1"
    )
    tasks = [r[0] for r in await conn.fetch("SELECT task_id FROM task_instance ti JOIN dag_run r "
                                            "ON r.id = ti.dag_run_id WHERE r.execution_date = $1 "
                                            "ORDER BY task_id", run["execution_date"])]  # fmt: skip
    date = run["execution_date"].isoformat()
    headers = {"Authorization": f"Bearer {DB_TOKEN}"}
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        assert (await client.get(f"{API}/test", headers=headers)).status_code == 200  # loads the set
        transaction = conn.transaction()
        await transaction.start()
        await conn.execute(
            "SELECT 1 FROM dag_run WHERE dag_id = $1 AND execution_date = $2 FOR UPDATE", run["dag_id"],
            run["execution_date"],
        )  # fmt: skip
        held = [
            asyncio.create_task(
                client.patch(
                    f"{API}/dags/{run['dag_id']}/dag_runs/{date}/tasks/{tasks[i % len(tasks)]}",
                    json={"state": "running"},
                    headers={"Authorization": "Bearer bench-token"},
                )
            )
            for i in range(pool_size)
        ]
        await asyncio.sleep(TOKEN_CACHE_SECONDS + 0.5)  # the token set is now due for a reload
        started = time.perf_counter()
        db_token = await client.get(f"{API}/test", headers=headers)
        db_seconds = time.perf_counter() - started
        started = time.perf_counter()
        env_token = await client.get(f"{API}/test", headers={"Authorization": "Bearer bench-token"})
        env_seconds = time.perf_counter() - started
        await transaction.rollback()
        await asyncio.gather(*held)
    await conn.close()
    return {
        "db_token_status": db_token.status_code,
        "db_token_seconds": db_seconds,
        "env_token_status": env_token.status_code,
        "env_token_seconds": env_seconds,
    }


async def prepare(dsn: str, runs: int) -> str:
    await database.migrate_database(dsn)
    await database.seed(dsn, dags=1, runs=runs, ti_runs=1)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO api_token (name, token_hash, created_at) VALUES ('bench', $1, $2)",
            DB_TOKEN_HASH,
            datetime.now(UTC),
        )
    finally:
        await conn.close()
    return database.bench_dag_id(0, 1)


def table(label: str, runs: int, found: dict[str, Any]) -> str:
    load = os.getloadavg()[0]
    one, many, pool = found["one"], found["concurrent"], found["pool"]
    rows = [
        ("one full listing: seconds", f"{one['seconds_max']:.2f}"),
        ("one full listing: body MB", f"{one['bytes'] / 1e6:.1f}"),
        ("one full listing: server CPU seconds", f"{one['server_cpu_seconds']:.2f}"),
        ("one full listing: peak RSS MB (sampled)", f"{one['rss_peak_mb']:.0f}"),
        ("one full listing: /health max ms", f"{one['health_max_ms']:.0f}"),
        (f"{many['count']} at once: seconds (slowest)", f"{many['seconds_max']:.2f}"),
        (f"{many['count']} at once: server CPU seconds", f"{many['server_cpu_seconds']:.2f}"),
        (f"{many['count']} at once: peak RSS MB (sampled)", f"{many['rss_peak_mb']:.0f}"),
        (f"{many['count']} at once: /health p99 / max ms", f"{many['health_p99_ms']:.0f} / {many['health_max_ms']:.0f}"),
        ("VmHWM at the end, MB", f"{found['vmhwm_mb']:.0f}"),
        ("load average (1 min) at the end", f"{load:.1f}"),
        ("bodies identical", str(one["same_body"] and many["same_body"] and one["sha256"] == many["sha256"])),
        ("pool held: /test, database token", f"{pool['db_token_status']} in {pool['db_token_seconds']:.2f} s"),
        ("pool held: /test, env token", f"{pool['env_token_status']} in {pool['env_token_seconds']:.2f} s"),
    ]  # fmt: skip
    lines = [f"| {runs:,} runs | {label or 'this tree'} |", "|---|---:|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> int:
    name = database.new_database_name()
    dsn = database.with_database(args.admin_dsn, name)
    await database.create_database(args.admin_dsn, name)
    server: Server | None = None
    try:
        dag_id = await prepare(dsn, args.runs)
        with tempfile.TemporaryDirectory(prefix="dagport-streams-") as scratch:
            server = dagport_server(
                dsn, workers=1, pool_size=args.pool_size, log=Path(scratch) / "server.log"
            )
            server.env["DAGPORT_TOKEN_CACHE_SECONDS"] = str(TOKEN_CACHE_SECONDS)
            if args.chunk_rows is not None:
                server.env["DAGPORT_LISTING_CHUNK_ROWS"] = str(args.chunk_rows)
            server.start()
            found = await listings(server, dag_id, args.concurrency)
            found["pool"] = await held_pool(server, dsn, args.pool_size)
            server.stop()
    finally:
        if server is not None:
            server.stop()
        await database.drop_database(args.admin_dsn, name)
    print(table(args.label, args.runs, found))
    statuses = found["one"]["statuses"] + found["concurrent"]["statuses"]
    ok = statuses == [200, 200] and found["one"]["same_body"] and found["concurrent"]["same_body"]
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())

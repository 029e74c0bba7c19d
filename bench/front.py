"""``python -m bench.front``: dagport in front of a real Airflow 3 against Airflow called directly.

Starts Airflow as the tests do (tests/airflow_deployment.py: api-server, scheduler, dag-processor on
a fresh Postgres database), with dagport_echo and ``--dags`` one-task DAGs, each triggered once.
Then two ``dagport serve`` in front of it (service account; one without a cache, one with
``DAGPORT_AIRFLOW_CACHE_SECONDS=1``) and, alternating in one run, wrk against:

- ``direct``: Airflow's ``GET /api/v2/dags/dagport_echo/dagRuns?logical_date_gte=D&logical_date_lte=D``
  with a JWT: the data a run-state poll needs, read straight from Airflow by date;
- ``direct-by-id``: Airflow's ``GET /api/v2/dags/dagport_echo/dagRuns/{run_id}``: its cheapest read
  of the run (what a client that knows the run id pays);
- ``dagport``: the experimental ``GET /api/experimental/dags/dagport_echo/dag_runs/D``;
- ``dagport+cache``: the same with the 1 s cache;
- ``v1``, ``v1+cache``: Airflow 2's stable ``GET /api/v1/dags/dagport_echo/dagRuns/{run_id}``,
  without and with the cache.

At 1 connection (dagport's added p50 latency) and at ``--connections`` (throughput, and the calls
dagport made to Airflow, read from its /metrics: coalescing). Then one latest_runs over every DAG:
its time and its upstream calls. Prints a table; the figures are in docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.loadgen import LoadSettings, WrkResult, require_wrk, run_wrk
from bench.servers import Server, _clean_env, _dagport_command, free_port
from tests import postgres
from tests.airflow_deployment import DAGS_FOLDER, AirflowDeployment, ensure_venv

TOKEN = "bench-front-token-0001"
DATE = "2025-01-01T00:00:00+00:00"
MANY_DAGS = """
import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

for number in range({count}):
    with DAG(
        dag_id=f"bench_{{number:03d}}",
        schedule=None,
        start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
        catchup=False,
    ):
        EmptyOperator(task_id="only")
"""


class BenchAirflow(AirflowDeployment):
    """The tests' deployment with database pools sized for 32 concurrent clients (the tests keep
    them small: they share the server with the rest of the suite)."""

    def environment(self) -> dict[str, str]:
        return super().environment() | {
            "AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE": "16",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_MAX_OVERFLOW": "16",
        }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.front", description=__doc__.split("\n\n")[0])
    p.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument("--duration", type=float, default=10, help="seconds per wrk run (default 10)")
    p.add_argument("--dags", type=int, default=50, help="one-task DAGs besides dagport_echo (default 50)")
    p.add_argument("--repeat", type=int, default=2, help="alternations of the three targets (default 2)")
    return p.parse_args(argv)


def dagport_front(airflow: AirflowDeployment, db: Path, log: Path, **env: str) -> Server:
    port = free_port()
    values = _clean_env() | {
        "DAGPORT_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "DAGPORT_HOST": "127.0.0.1",
        "DAGPORT_PORT": str(port),
        "DAGPORT_API_TOKENS": TOKEN,
        "DAGPORT_LOG_LEVEL": "WARNING",
        "DAGPORT_BACKEND": "airflow",
        "DAGPORT_AIRFLOW_URL": airflow.url,
        "DAGPORT_AIRFLOW_USERNAME": "admin",
        "DAGPORT_AIRFLOW_PASSWORD": "admin",
        **env,
    }
    return Server("dagport", _dagport_command(), values, port, 1, log)


def upstream_calls(server: Server) -> float:
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    return sum(
        float(m.group(1)) for m in re.finditer(r"^dagport_airflow_requests_total\{.*\} (\S+)$", text, re.M)
    )


def wrk_one(url: str, token: str, load: LoadSettings, work: Path) -> WrkResult:
    requests = work / f"req-{abs(hash(url))}.tsv"
    path = url.split("/", 3)[3]
    requests.write_text(f"GET\t/{path}\n")
    base = "/".join(url.split("/", 3)[:3])
    return run_wrk(base, "requests.lua", [str(requests), str(load.threads)], load, token=token)


async def main_async(args: argparse.Namespace) -> int:
    require_wrk()
    work = Path(tempfile.mkdtemp(prefix="dagport-bench-front-"))
    dags = work / "dags"
    dags.mkdir()
    (dags / "dagport_echo.py").write_text((DAGS_FOLDER / "dagport_echo.py").read_text())
    (dags / "bench_many.py").write_text(MANY_DAGS.format(count=args.dags))
    airflow = BenchAirflow(ensure_venv(), work, dags_folder=dags)
    servers: list[Server] = []
    try:
        await airflow.start()
        await airflow.wait_dag("dagport_echo")
        answer = await airflow.api(
            "POST", "/dags/dagport_echo/dagRuns", json={"dag_run_id": "bench", "logical_date": DATE}
        )
        assert answer.status_code == 200, answer.text
        await airflow.wait_run("dagport_echo", "bench")
        for number in range(args.dags):
            await airflow.wait_dag(f"bench_{number:03d}", within=300)
            await airflow.api("POST", f"/dags/bench_{number:03d}/dagRuns", json={"logical_date": DATE})
        jwt = await airflow.token()

        plain = dagport_front(airflow, work / "plain.db", work / "dagport-plain.log")
        cached = dagport_front(
            airflow, work / "cached.db", work / "dagport-cached.log", DAGPORT_AIRFLOW_CACHE_SECONDS="1"
        )
        servers = [plain, cached]
        for server in servers:
            server.start()
        direct_url = (
            f"{airflow.url}/api/v2/dags/dagport_echo/dagRuns?logical_date_gte={DATE.replace('+', '%2B')}"
            f"&logical_date_lte={DATE.replace('+', '%2B')}"
        )
        targets = {
            "direct": (direct_url, jwt, None),
            "direct-by-id": (f"{airflow.url}/api/v2/dags/dagport_echo/dagRuns/bench", jwt, None),
            "dagport": (f"{plain.url}/api/experimental/dags/dagport_echo/dag_runs/{DATE}", TOKEN, plain),
            "dagport+cache": (
                f"{cached.url}/api/experimental/dags/dagport_echo/dag_runs/{DATE}",
                TOKEN,
                cached,
            ),
            "v1": (f"{plain.url}/api/v1/dags/dagport_echo/dagRuns/bench", TOKEN, plain),
            "v1+cache": (f"{cached.url}/api/v1/dags/dagport_echo/dagRuns/bench", TOKEN, cached),
        }
        rows: list[tuple[str, int, WrkResult, float | None]] = []
        for connections in (1, args.connections):
            load = LoadSettings(
                threads=min(args.threads, connections), connections=connections, duration=args.duration
            )
            for url, token, _ in targets.values():  # warm every keep-alive pool
                wrk_one(url, token, LoadSettings(threads=1, connections=connections, duration=1), work)
            for _ in range(args.repeat):
                for name, (url, token, server) in targets.items():
                    before = upstream_calls(server) if server else 0.0
                    result = wrk_one(url, token, load, work)
                    spent = upstream_calls(server) - before if server else 0.0
                    per_request = spent / max(result.requests, 1) if server else None
                    rows.append((name, connections, result, per_request))
                    print(
                        f"  {name} at {connections}: {result.rps:.0f} req/s, p50 {result.p50_ms:.2f} ms, "
                        f"{result.errors} errors, {spent:.0f} upstream calls",
                        flush=True,
                    )

        print(f"\nrun-state polling of one run, {args.duration:g} s per run, {args.repeat} alternations")
        print(
            f"{'target':15} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'upstream/req':>12}"
        )
        for name, connections, result, per_request in rows:
            upstream = "" if per_request is None else f"{per_request:.3f}"
            print(
                f"{name:15} {connections:5d} {result.rps:9.0f} {result.p50_ms:8.2f} {result.p99_ms:8.2f} "
                f"{result.errors:6d} {upstream:>12}"
            )
        for connections in (1, args.connections):
            mine = {n: [r for (nn, c, r, _) in rows if nn == n and c == connections] for n in targets}
            best = {
                n: (max(r.rps for r in results), min(r.p50_ms for r in results))
                for n, results in mine.items()
            }
            by_id = best["direct-by-id"]
            for api, cache in (("dagport", "dagport+cache"), ("v1", "v1+cache")):
                print(
                    f"{connections} connection(s), {api}: p50 {best[api][1] - by_id[1]:+.2f} ms from Airflow's "
                    f"read by run id ({best[api][1] - best['direct'][1]:+.2f} ms from its read by date); "
                    f"throughput {best[api][0] / by_id[0]:.2f}x Airflow's read by run id, "
                    f"{best[api][0] / best['direct'][0]:.2f}x its read by date, "
                    f"{best[cache][0] / by_id[0]:.1f}x by id with the 1 s cache"
                )

        before = upstream_calls(plain)
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120) as client:
            started = time.perf_counter()
            latest = await client.get(f"{plain.url}/api/experimental/latest_runs")
            elapsed = time.perf_counter() - started
        items = latest.json()["items"]
        print(
            f"latest_runs over {args.dags + 1} DAGs: {latest.status_code}, {len(items)} items, "
            f"{elapsed * 1000:.0f} ms, {upstream_calls(plain) - before:.0f} calls to Airflow "
            f"(at most 8 at once: DAGPORT_AIRFLOW_FANOUT)"
        )
        print(f"Airflow's memory (PSS, MiB): {airflow.memory_mb()}")
        return 0
    finally:
        for server in servers:
            server.stop()
        await airflow.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with postgres.suite_postgres():  # Airflow's database: DAGPORT_TEST_POSTGRES_URL, or a private cluster
        return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())

"""``python -m bench``: dagport under load, next to a bare baseline, on a seeded throwaway database.

For each scale: create a database, migrate it with dagport's migrations, seed it with SQL, start
the baseline (bench/baseline.py) and dagport (``dagport serve``) on free ports, then for every
workload run wrk against the baseline and right after against dagport, and print req/s, p50,
p99, errors and the ratio to that baseline run; then the servers' memory. The servers are stopped
and the database dropped on the way out, also on Ctrl-C, SIGTERM or an error.

Exit status: 0; 1 if any request failed (non-2xx or socket error) or a sanity check failed; 2 if a
server failed to start or died.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import database, report
from bench.loadgen import LoadError, LoadSettings, WrkResult, require_wrk, run_wrk
from bench.servers import Server, ServerFailed, baseline_server, dagport_server
from bench.workloads import Workload, baseline_workload, build_workloads

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def add_data_arguments(p: argparse.ArgumentParser, *, runs: int, sample: int) -> None:
    """The seeded database's options, shared with ``python -m bench.inprocess``."""
    p.add_argument("--dags", type=int, default=1000, help="DAGs of 10 tasks (default 1,000)")
    p.add_argument("--runs", type=int, default=runs, help=f"dag runs (default {runs:,})")
    p.add_argument("--ti-runs", type=int, default=10_000, help="newest runs given task instances")
    p.add_argument("--sample", type=int, default=sample, help="distinct runs/TIs/tasks the lookups cycle")
    p.add_argument("--admin-dsn", default=ADMIN_DSN, help=f"where to create the database ({ADMIN_DSN})")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, default=1, help="uvicorn workers for dagport and the baseline")
    p.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument("--duration", type=float, default=10, help="seconds per wrk run (default 10)")
    p.add_argument("--warmup", type=float, default=3, help="seconds of unmeasured load first (default 3)")
    p.add_argument("--repeat", type=int, default=1, help="run every workload N times, RSS after each")
    add_data_arguments(p, runs=1_000_000, sample=10_000)
    p.add_argument("--pool-size", type=int, default=10, help="database connections per worker, both apps")
    p.add_argument(
        "--listing-cache-mb",
        type=float,
        help="DAGPORT_LISTING_CACHE_MB for dagport (default: dagport's own; 0: every listing rendered)",
    )
    p.add_argument("--workloads", help="comma-separated subset, e.g. run_state,trigger")
    p.add_argument(
        "--compare-scale",
        action="store_true",
        help="run the lookups at --small-runs and at --runs runs and compare their p50",
    )
    p.add_argument("--small-runs", type=int, default=1000, help="the small scale of --compare-scale")
    p.add_argument("--smoke", action="store_true", help="tiny and fast: 20 DAGs, 2,000 runs, 1 s, 4 conns")
    p.add_argument("--json", type=Path, help="also write every figure to this file")
    p.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    args = p.parse_args(argv)
    if args.smoke:
        args.dags, args.runs, args.duration, args.connections = 20, 2000, 1, 4
        args.repeat, args.warmup, args.sample = 1, 0, 2000
    if min(args.dags, args.runs, args.repeat, args.workers, args.pool_size, args.threads) < 1:
        p.error("--dags, --runs, --repeat, --workers, --pool-size and --threads must be >= 1")
    if args.connections < args.threads:
        p.error("--connections must be >= --threads")
    return args


def _interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


class Bench:
    def __init__(self, args: argparse.Namespace, scratch: Path) -> None:
        self.args = args
        self.scratch = scratch
        self.load = LoadSettings(threads=args.threads, connections=args.connections, duration=args.duration)

    def _measure(self, server: Server, workload: Workload, load: LoadSettings | None = None) -> WrkResult:
        result = run_wrk(server.url, workload.script, workload.script_args(), load or self.load)
        if not server.alive():
            raise ServerFailed(f"{server.name} died during {workload.name}:\n{server.log_tail()}")
        return result

    def _workloads(self, all_workloads: list[Workload], lookups_only: bool) -> list[Workload]:
        chosen = [w for w in all_workloads if w.lookup or not lookups_only]
        if self.args.workloads:
            names = {n.strip() for n in self.args.workloads.split(",")}
            unknown = names - {w.name for w in all_workloads}
            if unknown:
                raise SystemExit(f"bench: unknown workload(s): {', '.join(sorted(unknown))}")
            chosen = [w for w in chosen if w.name in names]
        return chosen

    def run_scale(self, runs: int, *, lookups_only: bool) -> report.ScaleRun:
        args = self.args
        name = database.new_database_name()
        dsn = database.with_database(args.admin_dsn, name)
        folder = self.scratch / name
        folder.mkdir()
        servers: list[Server] = []
        print(f"\n== {args.dags:,} DAGs, {runs:,} runs: database {name}", flush=True)
        asyncio.run(database.create_database(args.admin_dsn, name))
        try:
            asyncio.run(database.migrate_database(dsn))
            seed = asyncio.run(database.seed(dsn, dags=args.dags, runs=runs, ti_runs=args.ti_runs))
            print(report.seed_line(seed), flush=True)
            targets = asyncio.run(database.sample_targets(dsn, sample=args.sample, dags=args.dags))
            baseline = baseline_workload(targets, folder, args.threads)
            workloads = self._workloads(build_workloads(targets, folder, args.threads), lookups_only)
            sizes = {"workers": args.workers, "pool_size": args.pool_size}
            servers += [
                baseline_server(dsn, **sizes, log=folder / "baseline_server.log"),
                dagport_server(
                    dsn, **sizes, log=folder / "dagport_server.log", listing_cache_mb=args.listing_cache_mb
                ),
            ]
            for server in servers:
                started = time.perf_counter()
                server.start()
                print(
                    f"{server.name} ready on {server.url} in {time.perf_counter() - started:.1f} s",
                    flush=True,
                )
            base_server, dagport = servers
            warm_triggers = 0  # runs the warm-up itself created (when it drives the trigger workload)
            if args.warmup > 0:
                warm = LoadSettings(args.threads, args.connections, args.warmup)
                self._measure(base_server, baseline, warm)
                warmed = self._measure(dagport, workloads[0], warm)
                if workloads[0].name == "trigger":
                    warm_triggers = warmed.requests - warmed.non2xx
            print("workloads:\n" + report.legend(workloads), flush=True)
            scale = report.ScaleRun(runs=runs, database=name, seed=seed)
            for i in range(args.repeat):
                scale.repetitions.append(self._repetition(i, base_server, dagport, baseline, workloads))
            self._check_triggers(scale, dsn, warm_triggers)
            growth = report.memory_growth(scale)
            if args.repeat > 1 and growth:
                print("\n".join(growth), flush=True)
            return scale
        finally:
            for server in reversed(servers):
                server.stop()
            if args.keep_db:
                print(f"kept database {name}")
            else:
                asyncio.run(database.drop_database(args.admin_dsn, name))

    def _check_triggers(self, scale: report.ScaleRun, dsn: str, warm: int) -> None:
        """Every 2xx trigger answer must be a stored run with its 10 task instances.

        The database may hold a few more runs than wrk counted: requests in flight when wrk
        stops are completed by the server but not counted. ``warm``: 2xx answers of the warm-up.
        """
        measured = scale.answered("trigger")
        if not measured:
            return
        answered = measured + warm
        runs, tis = asyncio.run(database.triggered_counts(dsn))
        print(
            f"trigger check: {runs:,} runs and {tis:,} task instances stored for {answered:,} 2xx answers"
            + (f" ({warm:,} of them during the warm-up)" if warm else "")
        )
        if runs < answered or tis != runs * database.TASKS_PER_DAG:
            scale.problems.append(f"trigger: {runs} runs / {tis} task instances for {answered} answers")

    def _repetition(
        self, index: int, base_server: Server, dagport: Server, baseline: Workload, workloads: list[Workload]
    ) -> report.Repetition:
        args = self.args
        rep = report.Repetition()
        for workload in workloads:
            base = self._measure(base_server, baseline)
            result = self._measure(dagport, workload)
            rep.measurements.append(report.Measurement(workload, result, base))
            for who, r in (("baseline", base), (workload.name, result)):
                if r.errors:
                    print(
                        f"  {who}: {r.errors} errors; first: {r.first_error or 'socket errors'}", flush=True
                    )
        rep.memory = {s.name: s.memory() for s in (dagport, base_server)}
        print(
            f"\nrepetition {index + 1}/{args.repeat}: {args.workers} worker(s), {args.connections} connections, "
            f"{args.threads} wrk threads, {args.duration:g} s per run, baseline run before each workload",
            flush=True,
        )
        print(report.results_table(rep))
        print("memory after this repetition:\n" + "\n".join(report.memory_lines(rep)), flush=True)
        return rep


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    require_wrk()
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.perf_counter()
    scales = [args.small_runs, args.runs] if args.compare_scale else [args.runs]
    done: list[report.ScaleRun] = []
    try:
        with tempfile.TemporaryDirectory(prefix="dagport-bench-") as scratch:
            bench = Bench(args, Path(scratch))
            for runs in scales:
                done.append(bench.run_scale(runs, lookups_only=args.compare_scale))
    except (ServerFailed, LoadError) as exc:
        print(f"bench: FAILED: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted; servers stopped, database dropped", file=sys.stderr)
        return 130
    if args.compare_scale:
        print("\nlookups by database size (p50 must stay within 1.3x):")
        print(report.scale_comparison(done[0], done[1]))
    if args.json:
        config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
        report.write_json(args.json, report.to_json(config, done))
    errors = sum(s.errors for s in done)
    problems = [p for s in done for p in s.problems]
    for problem in problems:
        print(f"bench: check failed: {problem}", file=sys.stderr)
    print(f"\nbench: {errors} failed requests; {time.perf_counter() - started:.0f} s in all")
    return 1 if errors or problems else 0

"""The phases of a reliability run: steady load, the three faults, and the soak.

Each phase sets the recorder's phase name, runs the mixed workload (with a fault injected part
way through), then returns a :class:`Section`: measured figures and checks. The database checks of
:mod:`reliability.checks` run after every phase over every exchange so far, so a later fault that
lost an earlier acknowledged write would be caught too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import statistics
import time
from collections.abc import AsyncIterator, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from reliability.checks import (
    Check,
    Tolerance,
    answer_checks,
    check,
    database_checks,
    has_json_error,
    outcome_counts,
)
from reliability.cluster import PrivatePostgres
from reliability.load import Exchange, Recorder, RunKey, Workload, date_path
from reliability.stack import API, Replica, ReplicaSettings, Stack, error_records

DB_UNAVAILABLE = "Database unavailable, try again shortly"  # app/errors.py, every 503 of the API
NOT_READY = "Database unavailable"  # app/routers/service.py, /ready's 503
T = TypeVar("T")
HELD_BASE = datetime(2051, 1, 1, tzinfo=UTC)  # runs whose row lock holds requests in flight
RECOVERY_BOUND = 5.0  # seconds from Postgres accepting connections to a replica's 200s
# Through nginx, service must be back soon after Postgres: when nginx counted dagport's 503s as
# failures (an earlier deploy/nginx.conf), both replicas stayed marked down for fail_timeout (10 s).
NGINX_RECOVERY_BOUND = 12.0
RSS_GROWTH = 0.10  # a replica's RSS may grow this much over the soak's second half


@dataclass
class Plan:
    """How much of everything: ``SHORT`` for CI, ``FULL`` by default."""

    clients: int
    steady_requests: int
    steady_seconds: float
    fault_requests: int
    fault_seconds: float
    many_runs: int  # runs of reliability_many: slow listings (full pool, SIGTERM in-flight)
    slow_sockets: int
    soak_clients: int = 8
    soak_actions: float = 150.0  # workload actions/s over all soak clients (a burst is 6 requests)


SHORT = Plan(
    clients=6,
    steady_requests=400,
    steady_seconds=4,
    fault_requests=1500,
    fault_seconds=5,
    many_runs=10000,
    slow_sockets=50,
)
FULL = Plan(
    clients=16,
    steady_requests=6000,
    steady_seconds=30,
    fault_requests=8000,
    fault_seconds=20,
    many_runs=20000,
    slow_sockets=50,
)


@dataclass
class Context:
    plan: Plan
    work: Path
    postgres: PrivatePostgres
    stack: Stack
    recorder: Recorder
    workload: Workload
    settings: ReplicaSettings
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def spawn(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """A background task of the phase, cancelled by the runner if the phase fails."""
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def cancel_tasks(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


@dataclass
class Section:
    title: str
    figures: dict[str, Any] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def latency(exchanges: Sequence[Exchange]) -> dict[str, float]:
    seconds = sorted(ex.seconds for ex in exchanges if ex.status is not None)
    if not seconds:
        return {}
    return {
        "p50_ms": round(statistics.median(seconds) * 1000, 1),
        "p99_ms": round(seconds[min(len(seconds) - 1, int(len(seconds) * 0.99))] * 1000, 1),
        "max_ms": round(seconds[-1] * 1000, 1),
    }


async def add_database_checks(ctx: Context, section: Section) -> None:
    checks, figures = await database_checks(ctx.postgres.url, ctx.recorder.exchanges)
    section.checks += checks
    section.figures.update(figures)


async def run_load(
    ctx: Context, *, seconds: float, requests: int, stop: asyncio.Event | None = None
) -> float:
    started = time.monotonic()
    await ctx.workload.run(clients=ctx.plan.clients, max_requests=requests, duration=seconds, stop=stop)
    return time.monotonic() - started


def load_figures(exchanges: Sequence[Exchange], seconds: float) -> dict[str, Any]:
    return {
        "requests": len(exchanges),
        "seconds": round(seconds, 1),
        "requests_per_second": round(len(exchanges) / seconds, 1) if seconds else None,
        "latency": latency(exchanges),
        "outcomes": outcome_counts(exchanges),
    }


# -- requests held in flight -------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def run_locked(ctx: Context, key: RunKey) -> AsyncIterator[None]:
    """Hold the row lock of ``key``'s run (SELECT ... FOR UPDATE in an open transaction): every
    task-instance PATCH of that run waits inside its replica until the lock is released."""
    conn = await asyncpg.connect(ctx.postgres.url)
    transaction = conn.transaction()
    await transaction.start()
    try:
        await conn.execute(
            "SELECT 1 FROM dag_run WHERE dag_id = $1 AND run_id = $2 FOR UPDATE", key.dag_id, key.run_id
        )
        yield
    finally:
        await transaction.rollback()
        await conn.close()


async def fresh_run(ctx: Context, name: str) -> RunKey:
    """A run of reliability_wide for held requests (its task instances are not in the workload)."""
    date = (HELD_BASE + timedelta(days=len(ctx.recorder.exchanges))).isoformat()
    key = RunKey("reliability_wide", date, f"rel_held_{name}")
    ex = await ctx.recorder.send(
        "nginx",
        "POST",
        f"{API}/dags/{key.dag_id}/dag_runs",
        kind="trigger",
        json={"execution_date": date, "run_id": key.run_id},
        meta={"key": key},
    )
    if ex.status != 200:
        raise RuntimeError(f"could not create the run for held requests: {ex.describe()}")
    return key


def held_patches(ctx: Context, key: RunKey, targets: Sequence[str]) -> list[asyncio.Task[Exchange]]:
    """One PATCH to ``running`` per target, each on its own task instance of ``key``'s run."""
    return [
        ctx.spawn(
            ctx.recorder.send(
                target,
                "PATCH",
                f"{API}/dags/{key.dag_id}/dag_runs/{date_path(key.execution_date)}/tasks/w{i:02d}",
                kind="held",
                json={"state": "running"},
                meta={"key": key, "task_id": f"w{i:02d}"},
            )
        )
        for i, target in enumerate(targets)
    ]


async def held_states(ctx: Context, key: RunKey) -> dict[str, str | None]:
    conn = await asyncpg.connect(ctx.postgres.url)
    try:
        rows = await conn.fetch(
            "SELECT ti.task_id, ti.state FROM task_instance ti JOIN dag_run r ON r.id = ti.dag_run_id "
            "WHERE r.dag_id = $1 AND r.run_id = $2",
            key.dag_id,
            key.run_id,
        )
    finally:
        await conn.close()
    return {r["task_id"]: r["state"] for r in rows}


async def stored_runs(ctx: Context, keys: Sequence[RunKey]) -> list[RunKey]:
    """Which of ``keys`` have a run in the database."""
    conn = await asyncpg.connect(ctx.postgres.url)
    try:
        found = [
            key
            for key in keys
            if await conn.fetchval(
                "SELECT count(*) FROM dag_run WHERE dag_id = $1 AND run_id = $2", key.dag_id, key.run_id
            )
        ]
    finally:
        await conn.close()
    return found


def error_of(ex: Exchange) -> Any:
    return ex.body.get("error") if isinstance(ex.body, dict) else None


# -- steady load ------------------------------------------------------------------------------------


async def steady(ctx: Context) -> Section:
    ctx.recorder.phase = "steady"
    seconds = await run_load(ctx, seconds=ctx.plan.steady_seconds, requests=ctx.plan.steady_requests)
    exchanges = ctx.recorder.where(phase="steady")
    section = Section("Two replicas behind nginx, mixed load", load_figures(exchanges, seconds))
    section.checks += answer_checks(exchanges)
    await add_database_checks(ctx, section)
    return section


async def restart_replica(ctx: Context, replica: Replica) -> float:
    """Start ``replica`` again; seconds until its /ready answered 200. Back in the workload."""
    started = time.monotonic()
    replica.start()
    ready_at = await replica.wait_ready()
    ctx.workload.include(replica.name)
    return ready_at - started


# -- fault a: kill -9 a replica ------------------------------------------------------------------------


async def kill_replica(ctx: Context) -> Section:
    ctx.recorder.phase = "kill"
    victim = ctx.stack.replica("r2")
    load = ctx.spawn(run_load(ctx, seconds=ctx.plan.fault_seconds, requests=ctx.plan.fault_requests))
    key = await fresh_run(ctx, "kill")
    await asyncio.sleep(ctx.plan.fault_seconds * 0.3)
    async with run_locked(ctx, key):
        # Writes certainly in flight on both replicas at the kill: PATCHes waiting for the lock.
        held = held_patches(ctx, key, ["nginx"] * 6 + ["r2"])
        await asyncio.sleep(0.3)
        ctx.workload.exclude(victim.name)  # no NEW direct requests; those in flight meet the kill
        killed_at = time.monotonic()
        os.kill(victim.process.pid, signal.SIGKILL)  # type: ignore[union-attr]
        await asyncio.to_thread(victim.process.wait, 10)  # type: ignore[union-attr]
        died_at = time.monotonic()  # (the kernel tears a process down in a few ms, not at once)
        await asyncio.sleep(0.1)
    held_answers = await asyncio.gather(*held)
    seconds = await load
    states = await held_states(ctx, key)
    half_written = [
        f"{ex.describe()}: stored state {states.get(ex.meta['task_id'])!r}"
        for ex in held_answers
        if not ex.acknowledged and states.get(ex.meta["task_id"]) is not None
    ]
    held_lost = [
        f"{ex.describe()}: stored state {states.get(ex.meta['task_id'])!r}"
        for ex in held_answers
        if ex.acknowledged and states.get(ex.meta["task_id"]) != "running"
    ]
    exchanges = ctx.recorder.where(phase="kill")
    failed = [ex for ex in exchanges if not ex.acknowledged and ex.status != 400]
    after = [ex for ex in exchanges if ex.started > killed_at]
    tolerances = [
        Tolerance(
            "direct requests to r2 in flight at kill -9",
            killed_at,
            died_at,
            transport_errors=True,
            targets=frozenset({"r2"}),
        ),
        Tolerance(
            "POST/PATCH through nginx in flight to r2 at kill -9 (nginx does not resend them)",
            killed_at,
            died_at,
            statuses=frozenset({502, 503}),  # nginx's own answer: 503 JSON since 3e40a8a, 502 HTML before
            nginx_page_ok=True,
            methods=frozenset({"POST", "PATCH"}),
            targets=frozenset({"nginx"}),
        ),
    ]
    section = Section("Fault a: kill -9 of replica r2 under load", load_figures(exchanges, seconds))
    section.figures |= {
        "in_flight_at_kill": sum(ex.in_flight_at(killed_at) for ex in exchanges),
        "failed_requests": len(failed),
        "failed_by_outcome": outcome_counts(failed),
        "kill_to_exit_ms": round((died_at - killed_at) * 1000, 1),
        "failed_after_r2_was_gone": len([ex for ex in failed if ex.started > died_at]),
        "nginx_after_kill": outcome_counts(ex for ex in after if ex.target == "nginx"),
        "nginx_latency_after_kill": latency([ex for ex in after if ex.target == "nginx"]),
        "held_writes_at_kill": outcome_counts(held_answers),
    }
    section.checks += answer_checks(exchanges, tolerances)
    section.checks += [
        check(
            "unacknowledged_writes_on_the_killed_replica_rolled_back",
            half_written
            if any(not ex.acknowledged for ex in held_answers)
            else ["no held write was in flight on r2 at the kill (nginx sent them all to r1)"],
            f"{sum(not ex.acknowledged for ex in held_answers)} PATCHes in flight on r2 at the kill "
            f"(unacknowledged), {len(half_written)} of them applied anyway",
        ),
        check(
            "failed_writes_through_nginx_get_a_json_error",
            [
                ex.describe()
                for ex in held_answers
                if ex.target == "nginx" and not ex.acknowledged and not has_json_error(ex)
            ],
            f"{sum(ex.target == 'nginx' and not ex.acknowledged for ex in held_answers)} held PATCHes through "
            "nginx failed with the kill; every failure must be a JSON error",
        ),
        check(
            "writes_held_on_the_survivor_complete",
            held_lost,
            f"{sum(ex.acknowledged for ex in held_answers)} PATCHes held on r1 answered 200, "
            f"{len(held_lost)} not stored",
        ),
    ]
    # A unique trigger left unanswered by the kill: was it committed before r2 died?
    unanswered = [ex.meta["key"] for ex in failed if ex.kind == "trigger"]
    section.figures["unanswered_unique_triggers"] = len(unanswered)
    section.figures["unanswered_unique_triggers_committed"] = len(await stored_runs(ctx, unanswered))
    await add_database_checks(ctx, section)
    section.figures["r2_restart_seconds"] = round(await restart_replica(ctx, victim), 2)
    return section


# -- fault b: restart Postgres ---------------------------------------------------------------------------


async def probe(ctx: Context, target: str, path: str, kind: str, stop: asyncio.Event, every: float) -> None:
    while not stop.is_set():
        await ctx.recorder.send(target, "GET", path, kind=kind)
        await asyncio.sleep(every)


def recovered_at(exchanges: Sequence[Exchange], moment: float) -> float | None:
    """When answers turned 200 for good after ``moment``: the end of the first 200 after the last
    failure; None if the last answer is still a failure."""
    after = sorted((e for e in exchanges if e.ended >= moment), key=lambda e: e.started)
    last_bad = max((i for i, e in enumerate(after) if e.status != 200), default=-1)
    good = after[last_bad + 1 :]
    return good[0].ended if good else None


async def restart_postgres(ctx: Context) -> Section:
    ctx.recorder.phase = "pg_restart"
    stop = asyncio.Event()
    replicas = [r.name for r in ctx.stack.replicas]
    watched = [(name, "/ready", "ready") for name in replicas]
    watched += [(name, f"{API}/pools", "probe") for name in [*replicas, "nginx"]]
    probes = [ctx.spawn(probe(ctx, target, path, kind, stop, 0.1)) for target, path, kind in watched]
    load = ctx.spawn(
        run_load(ctx, seconds=ctx.plan.fault_seconds + 30, requests=ctx.plan.fault_requests * 4, stop=stop)
    )
    await asyncio.sleep(ctx.plan.fault_seconds * 0.3)
    stop_at = time.monotonic()
    await asyncio.to_thread(ctx.postgres.stop, "fast")
    down_at = time.monotonic()
    await asyncio.sleep(2.0)
    start_at = time.monotonic()
    await asyncio.to_thread(ctx.postgres.start)
    back_at = await ctx.postgres.wait_accepting()

    def series(target: str, kind: str) -> list[Exchange]:
        return [e for e in ctx.recorder.where(phase="pg_restart") if e.target == target and e.kind == kind]

    def settled(target: str, kind: str) -> bool:
        done = [e for e in series(target, kind) if e.started >= back_at]
        return len(done) >= 5 and all(e.status == 200 for e in done[-5:])

    # The load goes on until every probe answered 200 five times in a row (at most 15 s), then a bit.
    while time.monotonic() < back_at + 15:
        if all(settled(t, k) for t, _, k in watched):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(ctx.plan.fault_seconds * 0.3)
    stop.set()
    seconds = await load
    await asyncio.gather(*probes)

    exchanges = ctx.recorder.where(phase="pg_restart")
    during = [ex for ex in exchanges if ex.ended >= stop_at and ex.started <= back_at]
    recovery: dict[str, float | None] = {}
    for target, _, kind in watched:
        at = recovered_at(series(target, kind), back_at)
        recovery[f"{target}_{'ready' if kind == 'ready' else 'api'}"] = (
            None if at is None else round(at - back_at, 2)
        )
    slow = [
        f"{name} {took} s"
        for name, took in recovery.items()
        if took is None or took > (NGINX_RECOVERY_BOUND if name.startswith("nginx") else RECOVERY_BOUND)
    ]
    ready = [ex for ex in exchanges if ex.kind == "ready"]
    ready_503 = [ex for ex in ready if ex.status == 503 and down_at <= ex.started <= back_at]
    ready_200_while_down = [
        ex.describe() for ex in ready if ex.status == 200 and ex.started >= down_at and ex.ended <= start_at
    ]
    server_errors = [ex for ex in exchanges if ex.status == 500]
    nginx_502 = [ex for ex in exchanges if ex.target == "nginx" and ex.status == 502]
    tolerances = [
        Tolerance(
            "503 while Postgres is down or recovering",
            stop_at,
            back_at + RECOVERY_BOUND,
            statuses=frozenset({503}),
            error_text=DB_UNAVAILABLE,
            kinds=frozenset({"trigger", "burst", "read", "ti", "pool", "probe"}),
        ),
        Tolerance(
            "/ready 503 while Postgres is down or recovering",
            stop_at,
            back_at + RECOVERY_BOUND,
            statuses=frozenset({503}),
            error_text=NOT_READY,
            kinds=frozenset({"ready"}),
        ),
    ]
    section = Section(
        "Fault b: Postgres restarted under load (pg_ctl stop -m fast, 2 s, start)",
        load_figures(exchanges, seconds),
    )
    section.figures |= {
        "postgres_stop_seconds": round(down_at - stop_at, 2),
        "postgres_down_seconds": round(back_at - down_at, 2),
        "answers_during_outage": outcome_counts(during),
        "latency_during_outage": latency(during),
        "recovered_seconds_after_postgres_accepts": recovery,
        "ready_503_during_outage": len(ready_503),
        "nginx_502": len(nginx_502),
    }
    section.checks += answer_checks(exchanges, tolerances)
    section.checks += [
        check(
            "no_500_while_postgres_restarts",
            [ex.describe() for ex in server_errors] + tracebacks(ctx),
            f"{len(server_errors)} answers 500 ({sum(ex.target == 'nginx' for ex in server_errors)} through nginx)",
        ),
        check(
            "nginx_passes_dagports_503_while_postgres_restarts",
            [ex.describe() for ex in nginx_502],
            f"{len(nginx_502)} answers 502 from nginx (no live upstreams) instead of dagport's 503",
        ),
        check(
            "ready_is_503_while_postgres_is_down",
            ready_200_while_down if ready_503 else ["/ready never answered 503 during the outage"],
            f"{len(ready_503)} /ready answers 503 during the outage, {len(ready_200_while_down)} 200",
        ),
        check(
            "replicas_recover_within_5_s",
            [s for s in slow if not s.startswith("nginx")],
            ", ".join(f"{k} {v} s" for k, v in recovery.items() if not k.startswith("nginx")),
        ),
        check(
            "nginx_recovers_within_its_fail_timeout",
            [s for s in slow if s.startswith("nginx")],
            f"through nginx: 200 for good {recovery['nginx_api']} s after Postgres accepted connections "
            f"(bound: fail_timeout 10 s + 2 s)",
        ),
    ]
    await add_database_checks(ctx, section)
    return section


def tracebacks(ctx: Context) -> list[str]:
    """The last lines of the first traceback each replica logged (for the report)."""
    found = []
    for replica in ctx.stack.replicas:
        records = [r for r in error_records(replica) if r.get("exc")]
        if records:
            tail = "\n".join(records[0]["exc"].splitlines()[-6:])
            found.append(f"{replica.name} logged {len(records)} errors; the first:\n{tail}")
    return found


# -- fault c: SIGTERM a replica ---------------------------------------------------------------------------


async def sigterm_replica(ctx: Context) -> Section:
    ctx.recorder.phase = "sigterm"
    victim = ctx.stack.replica("r1")
    load = ctx.spawn(run_load(ctx, seconds=ctx.plan.fault_seconds, requests=ctx.plan.fault_requests))
    key = await fresh_run(ctx, "sigterm")
    await asyncio.sleep(ctx.plan.fault_seconds * 0.3)
    async with run_locked(ctx, key):
        # Requests certainly in flight on r1 at the signal: PATCHes waiting for the lock (released
        # 0.5 s after the signal), and listings of the DAG with the most runs.
        held = held_patches(ctx, key, ["r1"] * 2 + ["nginx"] * 4)
        slow = [
            ctx.spawn(ctx.recorder.send("r1", "GET", f"{API}/dags/reliability_many/dag_runs", kind="slow"))
            for _ in range(4)
        ]
        await asyncio.sleep(0.3)
        signalled_at = time.monotonic()
        victim.process.send(signal.SIGTERM)  # type: ignore[union-attr]
        await asyncio.sleep(0.5)
    code = await asyncio.to_thread(victim.process.wait, 40)  # type: ignore[union-attr]
    exited_at = time.monotonic()
    ctx.workload.exclude(victim.name)
    held_answers = await asyncio.gather(*held)
    await asyncio.gather(*slow)
    seconds = await load
    exchanges = ctx.recorder.where(phase="sigterm")
    accepted = {entry["request_id"]: entry["status"] for entry in victim.access_log()}
    mine = [ex for ex in exchanges if ex.request_id in accepted]
    lost = [
        ex.describe() + f" (r1 logged {accepted[ex.request_id]})"
        for ex in mine
        if ex.status is None
        or (ex.target == "r1" and ex.status != accepted[ex.request_id])
        or (ex.target == "nginx" and ex.status == 502)
    ]
    in_flight = [ex for ex in mine if ex.in_flight_at(signalled_at)]
    refused = [ex for ex in exchanges if ex.error and ex.request_id not in accepted]
    tolerances = [
        Tolerance(
            "direct requests to r1 after SIGTERM, not accepted (connection refused or closed idle)",
            signalled_at,
            exited_at + 1,
            transport_errors=True,
            targets=frozenset({"r1"}),
        ),
        Tolerance(
            "POST/PATCH through nginx to r1 after SIGTERM, not accepted",
            signalled_at,
            exited_at + 1,
            statuses=frozenset({502, 503}),  # nginx's own answer: 503 JSON since 3e40a8a, 502 HTML before
            nginx_page_ok=True,
            methods=frozenset({"POST", "PATCH"}),
            targets=frozenset({"nginx"}),
        ),
    ]
    section = Section("Fault c: SIGTERM of replica r1 under load", load_figures(exchanges, seconds))
    section.figures |= {
        "exit_code": code,
        "shutdown_seconds": round(exited_at - signalled_at, 2),
        "accepted_by_r1_and_in_flight_at_sigterm": len(in_flight),
        "slow_listings_in_flight": outcome_counts(ex for ex in exchanges if ex.kind == "slow"),
        "held_writes_in_flight": outcome_counts(held_answers),
        # Requests nginx had written to r1's sockets that r1 never read (a new connection still in
        # the listen backlog, or a request on an idle keep-alive connection r1 was closing): reset
        # at shutdown. nginx resends GETs; a POST/PATCH gets its 502.
        "nginx_own_errors_at_shutdown": sum(
            ex.target == "nginx" and ex.status in (502, 503) and error_of(ex) != DB_UNAVAILABLE
            for ex in exchanges
        ),
        "not_accepted_transport_errors": outcome_counts(refused),
        "accepted_but_answer_lost": len(lost),
    }
    section.checks += answer_checks(exchanges, tolerances)
    section.checks += [
        check(
            "requests_accepted_before_sigterm_are_answered",
            lost,
            f"{len(mine)} requests processed by r1 in this phase, {len(in_flight)} in flight at SIGTERM, "
            f"{len(lost)} without their answer",
        ),
        check(
            "writes_in_flight_at_sigterm_complete",
            [ex.describe() for ex in held_answers if ex.status != 200],
            f"{len(held_answers)} PATCHes held in flight across the signal: {outcome_counts(held_answers)}",
        ),
        check(
            "replica_exits_cleanly_after_sigterm",
            [] if code in (0, -15) else [f"exit code {code}"],
            f"exit code {code} after {exited_at - signalled_at:.2f} s",
        ),
    ]
    await add_database_checks(ctx, section)
    section.figures["r1_restart_seconds"] = round(await restart_replica(ctx, victim), 2)
    return section


# -- soak -------------------------------------------------------------------------------------------------


async def soak(ctx: Context, seconds: float) -> Section:
    ctx.recorder.phase = "soak"
    stop = asyncio.Event()
    samples: list[dict[str, Any]] = []
    started = time.monotonic()

    async def sample() -> None:
        while not stop.is_set():
            samples.append(
                {
                    "t": round(time.monotonic() - started),
                    **{f"{r.name}_rss_mb": round(r.process.rss_mb() or 0, 1) for r in ctx.stack.replicas},
                    "pg_connections": await ctx.postgres.connections(),
                }
            )
            try:
                await asyncio.wait_for(stop.wait(), 10)
            except TimeoutError:
                pass

    sampler = ctx.spawn(sample())
    await ctx.workload.run(
        clients=ctx.plan.soak_clients,
        max_requests=int(ctx.plan.soak_actions * seconds * 3) + 100,
        duration=seconds,
        rate=ctx.plan.soak_actions,
    )
    elapsed = time.monotonic() - started
    stop.set()
    await sampler
    exchanges = ctx.recorder.where(phase="soak")
    bound = sum(r.settings.pool_size for r in ctx.stack.replicas)
    rss = {}
    growing = []
    for replica in ctx.stack.replicas:
        series = [s[f"{replica.name}_rss_mb"] for s in samples]
        middle = series[len(series) // 2]
        rss[replica.name] = {"first": series[0], "middle": middle, "last": series[-1], "max": max(series)}
        if series[-1] > middle * (1 + RSS_GROWTH):
            growing.append(f"{replica.name}: {middle} MB at half time, {series[-1]} MB at the end")
    connections = [s["pg_connections"] for s in samples]
    section = Section(
        f"Soak: {seconds:g} s of mixed load paced at {ctx.plan.soak_actions:g} actions/s",
        load_figures(exchanges, elapsed),
    )
    section.figures |= {"rss_mb": rss, "pg_connections_max": max(connections), "samples": samples}
    section.checks += answer_checks(exchanges)
    section.checks.append(
        check(
            "rss_flat_in_the_second_half",
            growing,
            "; ".join(f"{name} {v['first']} -> {v['middle']} -> {v['last']} MB" for name, v in rss.items())
            + f" (bound: +{RSS_GROWTH:.0%} from half time)",
        )
    )
    section.checks.append(
        check(
            "postgres_connections_bounded_by_the_pools",
            [f"{max(connections)} connections > {bound}"] if max(connections) > bound else [],
            f"max {max(connections)} connections to the dagport database (pools: {bound})",
        )
    )
    await add_database_checks(ctx, section)
    return section

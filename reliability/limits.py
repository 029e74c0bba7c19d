"""Limits: request bodies, a 10,000-task definition, huge and deep ``conf``, slow clients, a full
database pool. Fast enough for CI; every figure is measured, every answer recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from reliability.checks import check
from reliability.load import Exchange, RunKey
from reliability.scenarios import (
    DB_UNAVAILABLE,
    Context,
    Section,
    fresh_run,
    held_patches,
    latency,
    outcome_counts,
    run_locked,
)
from reliability.stack import API, Replica, ReplicaSettings, free_port

BIG_DAG = "reliability_10k"
BIG_DAG_TASKS = 10_000
POOL_LIMITED = ReplicaSettings(pool_size=1, pool_timeout=1.0)
POOL_MARGIN = 2.0  # seconds a 503 may take beyond DB_POOL_TIMEOUT (scheduling on a busy machine)
LISTING_MARGIN = 5.0  # seconds more for a 200 of a burst listing: reading and sending 10,000 runs
SLOW_CLIENT_BOUND = 1.0  # seconds a normal request may take while slow clients hold sockets


def too_large(limit: int) -> str:
    return f"Request body is larger than {limit} bytes"


def big_definition() -> dict[str, Any]:
    tasks: list[dict[str, Any]] = [{"task_id": "t00000"}]
    tasks += [{"task_id": f"t{i:05d}", "upstream": [f"t{i - 1:05d}"]} for i in range(1, BIG_DAG_TASKS)]
    return {"dag_id": BIG_DAG, "start_date": "2020-01-01T00:00:00+00:00", "tasks": tasks}


async def limits(ctx: Context) -> Section:
    ctx.recorder.phase = "limits"
    section = Section("Limits")
    await body_limits(ctx, section)
    await big_definition_limit(ctx, section)
    await conf_limits(ctx, section)
    await slow_clients(ctx, section)
    await full_pool(ctx, section)
    return section


# -- request bodies ----------------------------------------------------------------------------------


async def body_limits(ctx: Context, section: Section) -> None:
    limit = ctx.settings.max_body_bytes
    send = ctx.recorder.send

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    over_nginx = await send("nginx", "POST", f"{API}/pools", kind="limit", content=b"x" * (limit + 1))
    over_direct = await send("r1", "POST", f"{API}/pools", kind="limit", content=b"x" * (limit + 1))
    over_chunked = await send("r1", "POST", f"{API}/pools", kind="limit", content=chunks())
    at_limit = await send("r1", "POST", f"{API}/pools", kind="limit", content=b"x" * limit)
    expected = {"error": too_large(limit)}
    problems = [
        f"{name}: {ex.describe()}"
        for name, ex in (("over, via nginx", over_nginx), ("over, direct", over_direct))
        if ex.status != 413 or _error(ex) != expected["error"]
    ]
    if at_limit.status != 400 or _error(at_limit) != "Request body is not valid JSON":
        problems.append(f"exactly the limit: {at_limit.describe()}")
    section.checks.append(check("body_over_the_limit_is_413", problems, f"limit {limit} bytes"))
    # A chunked body has no Content-Length: dagport counts while reading. The client may see the
    # 413 or, if dagport closes before the client finished sending, a write error: both refuse it.
    section.figures["chunked_body_over_the_limit"] = over_chunked.outcome()
    section.checks.append(
        check(
            "chunked_body_over_the_limit_is_refused",
            [] if over_chunked.status == 413 or over_chunked.error else [over_chunked.describe()],
            f"answered {over_chunked.outcome()}",
        )
    )


def _error(ex: Exchange) -> Any:
    return ex.body.get("error") if isinstance(ex.body, dict) else None


# -- a 10,000-task definition ------------------------------------------------------------------------


async def big_definition_limit(ctx: Context, section: Section) -> None:
    put = await ctx.recorder.send(
        "nginx", "PUT", f"{API}/dags/{BIG_DAG}", kind="limit", json=big_definition(), answer_within=60
    )
    date = "2030-06-01T00:00:00+00:00"
    key = RunKey(BIG_DAG, date, "rel_10k_run")
    trigger = await ctx.recorder.send(
        "nginx",
        "POST",
        f"{API}/dags/{BIG_DAG}/dag_runs",
        kind="limit_trigger",
        json={"execution_date": date, "run_id": key.run_id},
        meta={"key": key},
        answer_within=60,
    )
    section.figures["definition_10k_tasks"] = {
        "put": put.outcome(),
        "put_seconds": round(put.seconds, 2),
        "trigger": trigger.outcome(),
        "trigger_seconds": round(trigger.seconds, 2),
    }
    problems = []
    if put.status != 201 or not isinstance(put.body, dict) or len(put.body.get("tasks", [])) != BIG_DAG_TASKS:
        problems.append(f"PUT: {put.describe()}")
    if trigger.status != 200:
        problems.append(f"trigger: {trigger.describe()}")
    problems += [f"{ex.method} took {ex.seconds:.1f} s" for ex in (put, trigger) if ex.seconds > 10]
    section.checks.append(
        check(
            "definition_of_10000_tasks_accepted_in_bounded_time",
            problems,
            f"PUT {put.outcome()} in {put.seconds:.2f} s, its trigger {trigger.outcome()} in {trigger.seconds:.2f} s",
        )
    )


# -- conf: huge and deep -------------------------------------------------------------------------------


async def conf_limits(ctx: Context, section: Section) -> None:
    limit = ctx.settings.max_body_bytes
    envelope = len(trigger_body("2030-07-01T00:00:00+00:00", "rel_conf_0", b'{"blob":""}'))
    cases: list[tuple[str, bytes, set[int]]] = [
        ("huge conf under the limit", json.dumps({"blob": "x" * (limit - envelope - 64)}).encode(), {200}),
        ("huge conf over the limit", json.dumps({"blob": "x" * limit}).encode(), {413}),
        ("conf nested 50 deep", nested_json(50), {200}),
        # orjson reads 1,024 levels but writes 254: stored (200) or refused (400), never a 500.
        ("conf nested 300 deep", nested_json(300), {200, 400}),
        # Deeper than JSON parsers go (orjson stops at 1024 levels), still far under the byte limit.
        ("conf nested 100,000 deep", nested_json(100_000), {400}),
    ]
    results = {}
    problems = []
    for number, (name, conf, statuses) in enumerate(cases):
        date = f"2030-07-01T00:{number:02d}:00+00:00"
        key = RunKey("simple_dag", date, f"rel_conf_{number}")
        ex = await ctx.recorder.send(
            "nginx",
            "POST",
            f"{API}/dags/simple_dag/dag_runs",
            kind="limit_trigger",
            content=trigger_body(date, key.run_id, conf),
            headers={"Content-Type": "application/json"},
            meta={"key": key},
        )
        results[name] = f"{ex.outcome()} {_error(ex) or ''} in {ex.seconds:.2f} s ({len(conf)} bytes of conf)"
        if ex.status not in statuses or ex.seconds > 10:
            problems.append(f"{name}: expected {sorted(statuses)}, got {ex.describe()} in {ex.seconds:.2f} s")
    section.figures["conf"] = results
    section.checks.append(
        check("conf_bounded_by_the_body_limit", problems, "; ".join(f"{k}: {v}" for k, v in results.items()))
    )


def trigger_body(date: str, run_id: str, conf: bytes) -> bytes:
    return b'{"execution_date":"%s","run_id":"%s","conf":%s}' % (date.encode(), run_id.encode(), conf)


def nested_json(depth: int) -> bytes:
    """``{"a":{"a":..."leaf"...}}``, built as text: json.dumps recurses and stops near 1,000 levels."""
    return b'{"a":' * depth + b'"leaf"' + b"}" * depth


# -- slow clients -----------------------------------------------------------------------------------------


async def slow_clients(ctx: Context, section: Section) -> None:
    """``slow_sockets`` connections to r1 that send a request's headers one byte every 0.2 s,
    while normal requests go to r1 every 0.1 s."""
    replica = ctx.stack.replica("r1")
    stop = asyncio.Event()
    request = b"GET /api/experimental/pools HTTP/1.1\r\nHost: slow\r\nX-Padding: " + b"p" * 200

    async def dribble() -> None:
        with contextlib.suppress(OSError):
            _reader, writer = await asyncio.open_connection("127.0.0.1", replica.port)
            try:
                for byte in request:
                    if stop.is_set():
                        break
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(0.2)
            finally:
                writer.close()

    before = [await ctx.recorder.send("r1", "GET", f"{API}/pools", kind="limit") for _ in range(10)]
    dribblers = [ctx.spawn(dribble()) for _ in range(ctx.plan.slow_sockets)]
    await asyncio.sleep(0.5)
    normal = []
    for _ in range(30):
        normal.append(await ctx.recorder.send("r1", "GET", f"{API}/pools", kind="limit"))
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.gather(*dribblers)
    slowest = max(ex.seconds for ex in normal)
    problems = [ex.describe() for ex in normal if ex.status != 200]
    if slowest > SLOW_CLIENT_BOUND:
        problems.append(f"slowest normal request {slowest:.2f} s > {SLOW_CLIENT_BOUND} s")
    section.figures["slow_clients"] = {
        "sockets": ctx.plan.slow_sockets,
        "normal_requests_before": latency(before),
        "normal_requests_meanwhile": latency(normal),
    }
    section.checks.append(
        check(
            "slow_clients_do_not_starve_the_replica",
            problems,
            f"{ctx.plan.slow_sockets} sockets sending headers at 5 bytes/s; 30 normal requests meanwhile, "
            f"slowest {slowest * 1000:.0f} ms (before: {max(ex.seconds for ex in before) * 1000:.0f} ms)",
        )
    )


# -- a full database pool ---------------------------------------------------------------------------------


async def full_pool(ctx: Context, section: Section) -> None:
    """A third replica with DB_POOL_SIZE=1, DB_POOL_TIMEOUT=1.

    Held: its only connection is taken by a PATCH waiting for a run's row lock, so 30 concurrent
    reads must all be 503 once the pool timeout expires (not hang). Then, with nothing held, 30
    concurrent listings of 10,000+ runs: each 200 or 503, no 503 slower than the timeout + margin
    (a 200 may take a listing's own work longer).
    """
    replica = Replica("r3", free_port(), ctx.postgres.url, ctx.work, POOL_LIMITED).start()
    try:
        await replica.wait_ready()
        ctx.recorder.add_target("r3", replica.url)
        key = await fresh_run(ctx, "pool")
        async with run_locked(ctx, key):
            (holder,) = held_patches(ctx, key, ["r3"])
            await asyncio.sleep(0.3)
            starved = await asyncio.gather(
                *(ctx.recorder.send("r3", "GET", f"{API}/pools", kind="limit") for _ in range(30))
            )
        await holder
        path = f"{API}/dags/reliability_many/dag_runs"
        burst = await asyncio.gather(*(ctx.recorder.send("r3", "GET", path, kind="limit") for _ in range(30)))
        after = await ctx.recorder.send("r3", "GET", f"{API}/pools", kind="limit")
    finally:
        replica.process.stop()  # type: ignore[union-attr]
    bound = POOL_LIMITED.pool_timeout + POOL_MARGIN
    problems = [f"held pool: {ex.describe()}" for ex in starved if not _unavailable(ex)]
    problems += [
        f"held pool: {ex.describe()} after {ex.seconds:.2f} s" for ex in starved if ex.seconds > bound
    ]
    problems += [f"burst: {ex.describe()}" for ex in burst if not (ex.status == 200 or _unavailable(ex))]
    # A 503 must come within the pool timeout (+ margin): nobody waits longer for a connection. A
    # 200 also reads and sends its 10,000 runs (a stream holds the connection while it is sent),
    # so it is given that work's time on top.
    problems += [
        f"burst: {ex.describe()} after {ex.seconds:.2f} s"
        for ex in burst
        if ex.seconds > (bound + LISTING_MARGIN if ex.status == 200 else bound)
    ]
    problems += [
        f"{name}: {ex.describe()}"
        for name, ex in (("holder", holder.result()), ("after", after))
        if ex.status != 200
    ]
    section.figures["full_pool"] = {
        "held_pool": outcome_counts(starved),
        "held_pool_latency": latency(starved),
        "burst_of_listings": outcome_counts(burst),
        "burst_latency": latency(burst),
    }
    section.checks.append(
        check(
            "full_pool_answers_503_within_the_pool_timeout",
            problems,
            f"pool 1, timeout {POOL_LIMITED.pool_timeout:g} s (bound {bound:g} s). Connection held: 30 reads -> "
            f"{outcome_counts(starved)}, slowest {max(ex.seconds for ex in starved):.2f} s. Nothing held: 30 "
            f"listings of {ctx.plan.many_runs} runs -> {outcome_counts(burst)}, slowest "
            f"{max(ex.seconds for ex in burst):.2f} s",
        )
    )


def _unavailable(ex: Exchange) -> bool:
    return ex.status == 503 and _error(ex) == DB_UNAVAILABLE

"""What must hold after a phase: answers against policy, and writes against the database (asyncpg).

Answer checks: every non-2xx answer is expected (a duplicate trigger's 400) or covered by a
:class:`Tolerance` of a fault (e.g. 503 while Postgres is down); every non-2xx body is JSON with
an ``error``; no request hangs past the client timeout.

Database checks ("nothing lost, nothing half-written"):

- every trigger answered 200 is stored, at its execution_date, with ALL its task instances;
- no run anywhere lacks task instances (runs whose TI count differs from their DAG's task count);
- identical concurrent triggers made at most one run each, exactly one when any was answered 200,
  and when every copy was answered, exactly one 200 and the others the duplicate 400;
- concurrent upserts of one pool name left one row, holding one of the values sent;
- every acknowledged task-instance update is the state stored (unless a later, unanswered update
  of the same task instance may have landed).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from reliability.load import CLIENT_TIMEOUT, Exchange

HANG_ERRORS = frozenset({"ReadTimeout", "WriteTimeout", "ConnectTimeout", "PoolTimeout"})
DUPLICATE_PREFIX = "A DAG Run already exists for DAG "
MAX_EXAMPLES = 8


@dataclass
class Check:
    name: str
    ok: bool
    summary: str
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        return f"[{'ok' if self.ok else 'FAIL'}] {self.name}: {self.summary}"


def check(name: str, problems: list[str], summary: str) -> Check:
    return Check(name, not problems, summary, problems[:MAX_EXAMPLES])


@dataclass(frozen=True)
class Tolerance:
    """Answers a fault may cause: ``statuses`` and/or transport errors, for requests of ``methods``
    to ``targets`` (None: any) in flight at some moment of [start, end]."""

    reason: str
    start: float
    end: float
    statuses: frozenset[int] = frozenset()
    transport_errors: bool = False
    methods: frozenset[str] | None = None
    targets: frozenset[str] | None = None
    kinds: frozenset[str] | None = None
    error_text: str | None = None  # the JSON "error" these answers must carry
    nginx_page_ok: bool = False  # nginx's own HTML 502 page accepted here (the phase checks it apart)

    def covers(self, ex: Exchange) -> bool:
        if ex.started > self.end or ex.ended < self.start:
            return False
        if self.methods is not None and ex.method not in self.methods:
            return False
        if self.targets is not None and ex.target not in self.targets:
            return False
        if self.kinds is not None and ex.kind not in self.kinds:
            return False
        if ex.error is not None:
            return self.transport_errors and ex.error not in HANG_ERRORS
        if ex.status not in self.statuses:
            return False
        return self.error_text is None or (
            isinstance(ex.body, dict) and ex.body.get("error") == self.error_text
        )


def has_json_error(ex: Exchange) -> bool:
    return ex.is_json and isinstance(ex.body, dict) and isinstance(ex.body.get("error"), str)


def is_duplicate_trigger(ex: Exchange) -> bool:
    return (
        ex.kind == "burst"
        and ex.status == 400
        and isinstance(ex.body, dict)
        and str(ex.body.get("error", "")).startswith(DUPLICATE_PREFIX)
    )


# -- answers --------------------------------------------------------------------------------------


def answer_checks(exchanges: Sequence[Exchange], tolerances: Iterable[Tolerance] = ()) -> list[Check]:
    tolerances = list(tolerances)
    unexpected, tolerated = [], 0
    for ex in exchanges:
        if ex.acknowledged or is_duplicate_trigger(ex):
            continue
        if any(t.covers(ex) for t in tolerances):
            tolerated += 1
            continue
        unexpected.append(ex.describe())
    not_json = [
        ex.describe()
        for ex in exchanges
        if ex.status is not None
        and not ex.acknowledged
        and not has_json_error(ex)
        and not (ex.status == 502 and any(t.nginx_page_ok and t.covers(ex) for t in tolerances))
    ]
    hangs = [
        ex.describe() for ex in exchanges if ex.error in HANG_ERRORS or ex.seconds > CLIENT_TIMEOUT + 0.5
    ]
    return [
        check(
            "answers_as_expected",
            unexpected,
            f"{len(exchanges)} requests, {len(unexpected)} unexpected failures, "
            f"{tolerated} tolerated by the fault ({', '.join(t.reason for t in tolerances) or 'none'})",
        ),
        check("error_bodies_are_json", not_json, f"{len(not_json)} non-2xx answers without a JSON error"),
        check("no_request_hangs", hangs, f"{len(hangs)} requests unanswered within {CLIENT_TIMEOUT:g} s"),
    ]


def outcome_counts(exchanges: Iterable[Exchange]) -> dict[str, int]:
    """``"POST nginx 200": 12`` etc., for the report."""
    counts: dict[str, int] = defaultdict(int)
    for ex in exchanges:
        counts[f"{ex.method} {ex.target} {ex.outcome()}"] += 1
    return dict(sorted(counts.items()))


# -- the database ---------------------------------------------------------------------------------

RUNS_SQL = """
SELECT r.dag_id, r.run_id, r.execution_date, coalesce(ti.n, 0) AS tis, coalesce(t.n, 0) AS tasks
FROM dag_run r
LEFT JOIN (SELECT dag_run_id, count(*) AS n FROM task_instance GROUP BY dag_run_id) ti ON ti.dag_run_id = r.id
LEFT JOIN (SELECT dag_id, count(*) AS n FROM task GROUP BY dag_id) t ON t.dag_id = r.dag_id
"""

INCOMPLETE_RUNS_SQL = f"SELECT * FROM ({RUNS_SQL}) runs WHERE tis <> tasks"

TI_STATES_SQL = """
SELECT r.dag_id, r.run_id, ti.task_id, ti.state
FROM task_instance ti JOIN dag_run r ON r.id = ti.dag_run_id
WHERE r.run_id LIKE 'rel\\_%'
"""


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def database_checks(
    database_url: str, exchanges: Sequence[Exchange]
) -> tuple[list[Check], dict[str, int]]:
    conn = await asyncpg.connect(database_url)
    try:
        runs = await conn.fetch(RUNS_SQL)
        incomplete = await conn.fetch(INCOMPLETE_RUNS_SQL)
        pools = await conn.fetch("SELECT pool, slots FROM slot_pool")
        ti_states = await conn.fetch(TI_STATES_SQL)
    finally:
        await conn.close()
    by_run_id = {(r["dag_id"], r["run_id"]): r for r in runs}
    runs_at: dict[tuple[str, datetime], int] = defaultdict(int)
    for r in runs:
        runs_at[(r["dag_id"], r["execution_date"])] += 1

    checks = [
        _acknowledged_triggers(exchanges, by_run_id),
        check(
            "no_run_without_all_its_task_instances",
            [
                f"{r['dag_id']} {r['run_id']}: {r['tis']} task instances for {r['tasks']} tasks"
                for r in incomplete
            ],
            f"{len(runs)} runs in the database, {len(incomplete)} incomplete",
        ),
        _identical_triggers(exchanges, runs_at),
        _pool_upserts(exchanges, pools),
        _task_instance_updates(exchanges, ti_states),
    ]
    figures = {
        "runs_in_database": len(runs),
        "task_instances_in_database": sum(r["tis"] for r in runs),
        "acknowledged_triggers": sum(
            1 for ex in exchanges if ex.kind in ("trigger", "burst") and ex.status == 200
        ),
    }
    return checks, figures


def _acknowledged_triggers(exchanges: Sequence[Exchange], by_run_id: dict) -> Check:
    problems, checked = [], 0
    for ex in exchanges:
        if ex.kind not in ("trigger", "burst", "limit_trigger") or ex.status != 200:
            continue
        checked += 1
        key = ex.meta["key"]
        row = by_run_id.get((key.dag_id, key.run_id))
        if row is None:
            problems.append(f"acknowledged but missing: {ex.describe()}")
        elif row["execution_date"] != _instant(key.execution_date):
            problems.append(f"stored at {row['execution_date']}, acknowledged at {key.execution_date}")
        elif row["tis"] != row["tasks"] or row["tasks"] == 0:
            problems.append(
                f"{key.dag_id} {key.run_id}: {row['tis']} task instances for {row['tasks']} tasks"
            )
    return check(
        "acknowledged_triggers_stored_with_all_task_instances",
        problems,
        f"{checked} acknowledged triggers checked, {len(problems)} missing or incomplete",
    )


def _identical_triggers(exchanges: Sequence[Exchange], runs_at: dict) -> Check:
    bursts: dict[int, list[Exchange]] = defaultdict(list)
    for ex in exchanges:
        if ex.kind == "burst":
            bursts[ex.meta["burst"]].append(ex)
    problems = []
    copies = 0
    for number, sent in sorted(bursts.items()):
        copies += len(sent)
        key = sent[0].meta["key"]
        stored = runs_at.get((key.dag_id, _instant(key.execution_date)), 0)
        created = [ex for ex in sent if ex.status == 200]
        all_answered = all(ex.acknowledged or is_duplicate_trigger(ex) for ex in sent)
        if stored > 1 or len(created) > 1:
            problems.append(f"burst {number}: {stored} runs stored, {len(created)} answered 200")
        elif created and stored != 1:
            problems.append(f"burst {number}: answered 200 but {stored} runs stored")
        elif all_answered and (len(created) != 1 or stored != 1):
            problems.append(f"burst {number}: every copy answered, {len(created)} answered 200")
    return check(
        "identical_concurrent_triggers_made_one_run",
        problems,
        f"{len(bursts)} bursts of identical triggers ({copies} requests), {len(problems)} wrong",
    )


def _pool_upserts(exchanges: Sequence[Exchange], pools: Sequence[Any]) -> Check:
    sent: dict[str, list[Exchange]] = defaultdict(list)
    for ex in exchanges:
        if ex.kind == "pool":
            sent[ex.meta["name"]].append(ex)
    rows: dict[str, list[int]] = defaultdict(list)
    for row in pools:
        rows[row["pool"]].append(row["slots"])
    problems = []
    for name, upserts in sorted(sent.items()):
        stored = rows.get(name, [])
        if len(stored) > 1:
            problems.append(f"{name}: {len(stored)} rows")
        elif any(ex.acknowledged for ex in upserts) and not stored:
            problems.append(f"{name}: acknowledged but missing")
        elif stored and stored[0] not in {ex.payload["slots"] for ex in upserts}:
            problems.append(f"{name}: stored slots {stored[0]} were never sent")
        problems += [
            f"{name}: answered {ex.body}" for ex in upserts if ex.acknowledged and ex.body.get("pool") != name
        ]
    return check(
        "concurrent_pool_upserts_left_one_row",
        problems,
        f"{len(sent)} pool names upserted concurrently from both replicas, {len(problems)} wrong",
    )


def _task_instance_updates(exchanges: Sequence[Exchange], ti_states: Sequence[Any]) -> Check:
    stored = {(r["dag_id"], r["run_id"], r["task_id"]): r["state"] for r in ti_states}
    history: dict[tuple[str, str, str], list[Exchange]] = defaultdict(list)
    for ex in exchanges:
        if ex.kind == "ti":
            key = ex.meta["key"]
            history[(key.dag_id, key.run_id, ex.meta["task_id"])].append(ex)
    problems, checked = [], 0
    for ti, updates in history.items():
        acked = [ex for ex in updates if ex.acknowledged]
        if not acked:
            continue
        checked += 1
        last_acked = acked[-1]
        possible = {last_acked.payload["state"]}
        possible |= {ex.payload["state"] for ex in updates if ex.seq > last_acked.seq}
        if stored.get(ti) not in possible:
            problems.append(f"{ti}: stored {stored.get(ti)!r}, acknowledged {last_acked.payload['state']!r}")
    return check(
        "acknowledged_task_instance_updates_stored",
        problems,
        f"{checked} task instances updated and acknowledged, {len(problems)} not as acknowledged",
    )

"""The throwaway benchmark database: create, migrate, seed at scale with SQL, sample targets, drop.

Seeding never goes through the API. One template DAG (``bench_dag_0000``) is stored with dagport's
own loader, so its ``dag``, ``dag_tag`` and ``task`` rows are exactly what dagport writes; the other
DAGs are copies of those rows under other ids, made by ``INSERT ... SELECT generate_series``. Runs
and task instances are generated the same way.

Layout (documented in bench/README.md):

* ``--dags`` DAGs ``bench_dag_0000`` ... of 10 tasks each (a chain ``task_00`` -> ... -> ``task_09``).
* ``bench_dag_0000`` gets exactly ``min(runs, 1000)`` runs: the "list every run" workload reads it,
  and no workload adds runs to it. The other runs are dealt round-robin over the other DAGs, so
  with 1,000 DAGs and 1,000,000 runs every DAG has 1,000 runs.
* Run *k* of a DAG is dated 2020-01-01T00:00:00Z + *k* hours; ids grow with execution_date.
  Every 37th run is ``failed``, the newest 1,000 are ``running``, the rest ``success``.
* The newest ``--ti-runs`` runs (by id; 10,000 by default) get one task instance per task.

``dag_run``'s unique constraints are dropped during the load and restored verbatim afterwards:
building an index once is about 3x faster than growing it by 1,000,000 inserts.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from sqlalchemy import Table

from app.config import Settings
from app.db import migrate
from app.db.backend import SqlBackend
from app.db.engine import create_engine
from app.db.models import dag, dag_tag, task
from app.definitions.compiler import parse_definition

DAG_PREFIX = "bench_dag_"
TASKS_PER_DAG = 10
LIST_DAG_RUNS = 1000  # runs of the DAG the "list every run" workloads read
RUNNING_RUNS = 1000  # the newest runs are left running
SEED_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def dag_id_width(dags: int) -> int:
    return max(4, len(str(dags - 1)))


def bench_dag_id(index: int, dags: int) -> str:
    return f"{DAG_PREFIX}{index:0{dag_id_width(dags)}d}"


def definition(dag_id: str) -> dict:
    """A 10-task chain with a few non-default fields, as a user would write it."""
    return {
        "dag_id": dag_id,
        "description": "A 10-task chain seeded by the dagport benchmark",
        "schedule_interval": "@hourly",
        "start_date": SEED_EPOCH.isoformat(),
        "is_paused_upon_creation": False,
        "tags": ["bench"],
        "default_args": {"owner": "bench", "retries": 1, "retry_delay": 300},
        "tasks": [
            {
                "task_id": f"task_{i:02d}",
                "operator": "BashOperator",
                "upstream": [f"task_{i - 1:02d}"] if i else [],
                "arguments": {"bash_command": f"echo step {i}"},
            }
            for i in range(TASKS_PER_DAG)
        ],
    }


# -- database lifecycle --------------------------------------------------------------------------


def with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + name))


def new_database_name() -> str:
    return f"dagport_bench_{secrets.token_hex(4)}"


async def create_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def migrate_database(dsn: str) -> None:
    engine = create_engine(Settings(database_url=dsn), null_pool=True)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


# -- seeding -------------------------------------------------------------------------------------


@dataclass
class SeedReport:
    dags: int = 0
    tasks: int = 0
    runs: int = 0
    list_dag_runs: int = 0
    task_instances: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


async def _store_template(dsn: str, dag_id: str) -> None:
    """Store one DAG through dagport's loader, so its rows are the real thing."""
    settings = Settings(database_url=dsn)
    engine = create_engine(settings, null_pool=True)
    try:
        text = json.dumps(definition(dag_id), indent=2)
        spec = parse_definition(text, filename=f"{dag_id}.json", default_tz=UTC)
        async with SqlBackend(engine, settings).writing() as store:
            await store.dags.upsert(
                definition=spec, source_text=text, fileloc=f"bench/{dag_id}.json", now=SEED_EPOCH
            )
    finally:
        await engine.dispose()


def _copy_rows_sql(table: Table, replaced: tuple[str, ...] = ()) -> str:
    """INSERT ... SELECT copying the template DAG's rows of ``table`` to every other DAG id.

    ``$1`` is the template id, ``$2`` the DAG count, ``$3`` the id's digit count; ``replaced``
    columns get the template id replaced by the new one inside their text.
    """
    names = [c.name for c in table.c if c.computed is None]  # generated columns compute themselves
    values = [
        "n.dag_id" if c == "dag_id" else f"replace(t.{c}, $1, n.dag_id)" if c in replaced else f"t.{c}"
        for c in names
    ]
    return (
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(values)} "
        f"FROM {table.name} t, (SELECT '{DAG_PREFIX}' || lpad(g::text, $3, '0') AS dag_id "
        "FROM generate_series(1, $2 - 1) g) n WHERE t.dag_id = $1"
    )


# Runs: dag 0 gets $2 runs, the rest ($1 - $2) go round-robin over DAGs 1..$3-1; sorted by
# (hour, dag) so ids follow execution dates. $4 is the id's digit count, $5 the first date.
_RUNS_SQL = f"""
INSERT INTO dag_run (dag_id, run_id, execution_date, state, start_date, end_date, queued_at,
                     external_trigger, conf)
SELECT '{DAG_PREFIX}' || lpad(s.d::text, $4, '0'),
       'scheduled__' || to_char(s.ed AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '+00:00',
       s.ed,
       CASE WHEN s.k % 37 = 36 THEN 'failed' ELSE 'success' END,
       s.ed + interval '1 hour 5 seconds',
       s.ed + interval '1 hour 10 minutes',
       s.ed + interval '1 hour',
       false,
       NULL
FROM (
    SELECT u.d, u.k, $5::timestamptz + u.k * interval '1 hour' AS ed
    FROM (
        SELECT 0 AS d, k FROM generate_series(0, $2 - 1) k
        UNION ALL
        SELECT 1 + n % ($3 - 1), n / ($3 - 1) FROM generate_series(0, $1 - $2 - 1) n WHERE $3 > 1
    ) u
    ORDER BY u.k, u.d
) s
"""

# Dropped during the load and restored verbatim (same names, same definitions) afterwards.
_UNIQUE_CONSTRAINTS_SQL = """
SELECT conname AS name, pg_get_constraintdef(oid) AS definition
FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'u' ORDER BY conname
"""

_LATEST_SQL = """
UPDATE dag SET latest_run_id = l.id, latest_execution_date = l.execution_date,
               latest_start_date = l.start_date
FROM (SELECT DISTINCT ON (dag_id) dag_id, id, execution_date, start_date FROM dag_run
      ORDER BY dag_id, execution_date DESC) l
WHERE dag.dag_id = l.dag_id
"""

# Each DAG's runs stamp (migration 0007), which the same triggers keep: a fresh one per DAG.
_STAMPS_SQL = """
INSERT INTO dag_run_stamp (dag_id, stamp)
SELECT dag_id, nextval('dag_run_stamp_seq') FROM dag ORDER BY dag_id
ON CONFLICT (dag_id) DO UPDATE SET stamp = excluded.stamp
"""

_RUNNING_SQL = """
UPDATE dag_run SET state = 'running', end_date = NULL
WHERE id > (SELECT max(id) FROM dag_run) - $1
"""

# Task instances of the newest $1 runs, in states that agree with their run's.
_TASK_INSTANCES_SQL = """
INSERT INTO task_instance (dag_run_id, task_id, dag_id, state, try_number, max_tries, start_date,
                           end_date, duration, hostname, unixname, pool, pool_slots, queue,
                           priority_weight, operator, queued_dttm, updated_at)
SELECT x.id, x.task_id, x.dag_id, x.ti_state,
       CASE WHEN x.started THEN 1 ELSE 0 END,
       x.retries,
       CASE WHEN x.started THEN x.ti_start END,
       CASE WHEN x.ti_state IN ('success', 'failed') THEN x.ti_start + interval '30 seconds' END,
       CASE WHEN x.ti_state IN ('success', 'failed') THEN 30.0 END,
       CASE WHEN x.started THEN 'bench-worker-1' ELSE '' END,
       CASE WHEN x.started THEN 'airflow' ELSE '' END,
       x.pool, x.pool_slots, x.queue, x.effective_priority_weight, x.operator,
       CASE WHEN x.started THEN x.ti_start - interval '1 second' END,
       x.ti_start + interval '30 seconds'
FROM (
    SELECT r.id, r.dag_id, t.task_id, t.retries, t.pool, t.pool_slots, t.queue,
           t.effective_priority_weight, t.operator,
           r.start_date + t.position * interval '1 minute' AS ti_start,
           v.ti_state,
           v.ti_state IN ('success', 'failed', 'running') AS started
    FROM (SELECT id, dag_id, state, start_date FROM dag_run ORDER BY id DESC LIMIT $1) r
    JOIN task t ON t.dag_id = r.dag_id
    CROSS JOIN LATERAL (
        SELECT CASE
            WHEN r.state = 'success' THEN 'success'
            WHEN r.state = 'failed' THEN
                CASE WHEN t.position < 5 THEN 'success' WHEN t.position = 5 THEN 'failed'
                     ELSE 'upstream_failed' END
            ELSE CASE WHEN t.position < 3 THEN 'success' WHEN t.position = 3 THEN 'running' END
        END AS ti_state
    ) v
) x
"""


async def seed(dsn: str, *, dags: int, runs: int, ti_runs: int) -> SeedReport:
    """Fill a freshly migrated database; returns counts and the time each step took."""
    report = SeedReport()
    template = bench_dag_id(0, dags)
    width = dag_id_width(dags)
    list_runs = runs if dags == 1 else min(runs, LIST_DAG_RUNS)

    started = time.perf_counter()
    await _store_template(dsn, template)
    report.seconds["template dag"] = time.perf_counter() - started

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "SET synchronous_commit = off; SET work_mem = '256MB'; SET maintenance_work_mem = '512MB'"
        )
        # Foreign-key triggers off: every row below is consistent by construction.
        await conn.execute("SET session_replication_role = replica")

        async def step(name: str, sql: str, *args: object) -> int:
            t0 = time.perf_counter()
            status = await conn.execute(sql, *args)
            report.seconds[name] = time.perf_counter() - t0
            return int(status.rsplit(" ", 1)[-1])

        report.dags = 1 + await step(
            "dags", _copy_rows_sql(dag, ("fileloc", "source_text")), template, dags, width
        )
        await step("dag tags", _copy_rows_sql(dag_tag), template, dags, width)
        report.tasks = TASKS_PER_DAG + await step("tasks", _copy_rows_sql(task), template, dags, width)
        # Loading 1,000,000 rows into indexed columns costs ~3x building the indexes afterwards.
        unique = await conn.fetch(_UNIQUE_CONSTRAINTS_SQL, "dag_run")
        for c in unique:
            await conn.execute(f'ALTER TABLE dag_run DROP CONSTRAINT "{c["name"]}"')
        report.runs = await step("runs", _RUNS_SQL, runs, list_runs, dags, width, SEED_EPOCH)
        t0 = time.perf_counter()
        for c in unique:
            await conn.execute(f'ALTER TABLE dag_run ADD CONSTRAINT "{c["name"]}" {c["definition"]}')
        report.seconds["run indexes"] = time.perf_counter() - t0
        report.list_dag_runs = list_runs
        await step("running runs", _RUNNING_SQL, RUNNING_RUNS)
        report.task_instances = await step("task instances", _TASK_INSTANCES_SQL, ti_runs)
        await conn.execute("RESET session_replication_role")
        # The replica role also silenced dag_run's triggers, which keep each DAG's latest-run
        # pointer (migrations 0003, 0004) and runs stamp (0007): set them once, as the migrations do.
        await step("latest runs", _LATEST_SQL)
        await step("runs stamps", _STAMPS_SQL)
        t0 = time.perf_counter()
        await conn.execute("VACUUM (ANALYZE)")
        report.seconds["vacuum analyze"] = time.perf_counter() - t0
    finally:
        await conn.close()
    return report


# -- request targets -----------------------------------------------------------------------------


@dataclass
class Targets:
    """Existing rows the workloads address, sampled at random from the seeded database."""

    runs: list[tuple[int, str, datetime]]  # (id, dag_id, execution_date)
    task_instances: list[tuple[str, datetime, str]]  # (dag_id, execution_date, task_id)
    tasks: list[tuple[str, str]]  # (dag_id, task_id)
    list_dag: str
    list_dag_runs: int
    trigger_dags: list[str]
    newest_execution_date: datetime


async def sample_targets(dsn: str, *, sample: int, dags: int) -> Targets:
    list_dag = bench_dag_id(0, dags)
    conn = await asyncpg.connect(dsn)
    try:
        runs = await conn.fetch(
            "SELECT id, dag_id, execution_date FROM dag_run WHERE NOT external_trigger "
            "ORDER BY random() LIMIT $1",
            sample,
        )
        tis = await conn.fetch(
            "SELECT r.dag_id, r.execution_date, ti.task_id FROM task_instance ti "
            "JOIN dag_run r ON r.id = ti.dag_run_id WHERE NOT r.external_trigger "
            "ORDER BY random() LIMIT $1",
            sample,
        )
        tasks = await conn.fetch("SELECT dag_id, task_id FROM task ORDER BY random() LIMIT $1", sample)
        list_count = await conn.fetchval("SELECT count(*) FROM dag_run WHERE dag_id = $1", list_dag)
        others = await conn.fetch("SELECT dag_id FROM dag WHERE dag_id <> $1 ORDER BY dag_id", list_dag)
        newest = await conn.fetchval("SELECT max(execution_date) FROM dag_run")
    finally:
        await conn.close()
    return Targets(
        runs=[(r["id"], r["dag_id"], r["execution_date"]) for r in runs],
        task_instances=[(r["dag_id"], r["execution_date"], r["task_id"]) for r in tis],
        tasks=[(r["dag_id"], r["task_id"]) for r in tasks],
        list_dag=list_dag,
        list_dag_runs=list_count,
        trigger_dags=[r["dag_id"] for r in others] or [list_dag],
        newest_execution_date=newest or SEED_EPOCH,
    )


async def triggered_counts(dsn: str) -> tuple[int, int]:
    """(runs created by the API, their task instances): the trigger workload's sanity check."""
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT count(DISTINCT r.id) AS runs, count(ti.task_id) AS tis FROM dag_run r "
            "LEFT JOIN task_instance ti ON ti.dag_run_id = r.id WHERE r.external_trigger"
        )
    finally:
        await conn.close()
    return row["runs"], row["tis"]

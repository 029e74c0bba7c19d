"""One reliability run: bring the stack up, run the phases, check, report, tear everything down."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from reliability import scenarios
from reliability.checks import Check
from reliability.cluster import PrivatePostgres
from reliability.limits import limits
from reliability.load import Recorder, Workload
from reliability.scenarios import FULL, SHORT, Context, Plan, Section
from reliability.stack import (
    NGINX_CONF,
    REPO,
    ReplicaSettings,
    dagport_environment,
    free_port,
    run_cli,
    start_stack,
)

REFERENCE_DAGS = REPO / "tests" / "data" / "dags"
WIDE_TASKS = 25  # reliability_wide: a DAG whose runs have 25 task instances each


@dataclass
class Options:
    short: bool = False
    soak_seconds: float = 0.0
    keep: bool = False  # keep the work directory (logs) even when every check passed
    nginx_conf: Path = NGINX_CONF  # another configuration to try in front of the replicas
    phases: tuple[str, ...] = ("steady", "kill", "pg_restart", "sigterm", "limits")

    @property
    def plan(self) -> Plan:
        return SHORT if self.short else FULL


@dataclass
class Report:
    work: Path
    sections: list[Section] = field(default_factory=list)
    setup: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.sections)

    def checks(self) -> dict[str, Check]:
        """Every check by ``<phase>.<check name>``."""
        return {f"{s.figures.get('phase', s.title)}.{c.name}": c for s in self.sections for c in s.checks}

    def section(self, phase: str) -> Section:
        return next(s for s in self.sections if s.figures.get("phase") == phase)

    def text(self) -> str:
        lines = [f"dagport reliability run (work directory {self.work})", _figures(self.setup, "  ")]
        for section in self.sections:
            lines.append(f"\n== {section.title}")
            figures = {k: v for k, v in section.figures.items() if k not in ("phase", "samples")}
            lines.append(_figures(figures, "  "))
            for c in section.checks:
                lines.append("  " + c.line())
                lines += [f"      - {p}".replace("\n", "\n        ") for p in c.problems if not c.ok]
        failed = [name for name, c in self.checks().items() if not c.ok]
        lines.append(f"\n{'ALL CHECKS PASSED' if not failed else 'FAILED: ' + ', '.join(failed)}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "setup": self.setup,
            "sections": [
                {"title": s.title, "figures": s.figures, "checks": [c.__dict__ for c in s.checks]}
                for s in self.sections
            ],
        }


def _figures(figures: dict[str, Any], indent: str) -> str:
    return "\n".join(
        f"{indent}{k}: {json.dumps(v) if isinstance(v, dict) else v}" for k, v in figures.items()
    )


# -- setup -------------------------------------------------------------------------------------------


def wide_definition(path: Path) -> Path:
    tasks = [
        {"task_id": f"w{i:02d}", **({"upstream": [f"w{i - 1:02d}"]} if i else {})} for i in range(WIDE_TASKS)
    ]
    path.write_text(
        json.dumps({"dag_id": "reliability_wide", "start_date": "2016-01-01T00:00:00+00:00", "tasks": tasks})
    )
    return path


def many_definition(path: Path) -> Path:
    path.write_text(
        json.dumps(
            {
                "dag_id": "reliability_many",
                "start_date": "2016-01-01T00:00:00+00:00",
                "tasks": [{"task_id": "only"}],
            }
        )
    )
    return path


SEED_MANY_SQL = """
WITH runs AS (
    INSERT INTO dag_run (dag_id, run_id, execution_date, state, queued_at, external_trigger)
    SELECT 'reliability_many', 'seed_' || n, timestamptz '2001-01-01 00:00+00' + n * interval '1 hour',
           'success', now(), false
    FROM generate_series(1, $1) AS n
    RETURNING id
)
INSERT INTO task_instance (dag_run_id, task_id, dag_id, state, max_tries, pool, pool_slots, queue,
                           priority_weight, operator, updated_at)
SELECT runs.id, t.task_id, t.dag_id, 'success', t.retries, t.pool, t.pool_slots, t.queue,
       t.effective_priority_weight, t.operator, now()
FROM runs CROSS JOIN task t WHERE t.dag_id = 'reliability_many'
"""


async def prepare_database(postgres: PrivatePostgres, work: Path, plan: Plan) -> dict[str, list[str]]:
    """Migrate with `dagport db upgrade`, load DAGs with `dagport dags load`, seed reliability_many.
    The DAGs the workload uses, with their task ids."""
    env = dagport_environment(database_url=postgres.url, auto_migrate="false")
    run_cli(["db", "upgrade"], env)
    files = [
        str(REFERENCE_DAGS),
        str(wide_definition(work / "reliability_wide.json")),
        str(many_definition(work / "reliability_many.json")),
    ]
    run_cli(["dags", "load", *files], env)
    conn = await asyncpg.connect(postgres.url)
    try:
        await conn.execute(SEED_MANY_SQL, plan.many_runs)
        await conn.execute("ANALYZE")
        rows = await conn.fetch(
            "SELECT dag_id, task_id FROM task WHERE dag_id <> 'reliability_many' ORDER BY 1, 2"
        )
    finally:
        await conn.close()
    dags: dict[str, list[str]] = {}
    for row in rows:
        dags.setdefault(row["dag_id"], []).append(row["task_id"])
    return dags


# -- the run ---------------------------------------------------------------------------------------


PHASES: dict[str, Callable[[Context], Awaitable[Section]]] = {
    "steady": scenarios.steady,
    "kill": scenarios.kill_replica,
    "pg_restart": scenarios.restart_postgres,
    "sigterm": scenarios.sigterm_replica,
    "limits": limits,
}


async def run(options: Options, progress: Callable[[str], None] = lambda _: None) -> Report:
    """The whole run. Missing binaries raise :class:`reliability.cluster.MissingBinary`."""
    work = Path(tempfile.mkdtemp(prefix="dagport-reliability-"))
    os.chmod(work, 0o755)  # the postgres OS user must reach its data directory inside
    report = Report(work)
    plan = options.plan
    postgres = PrivatePostgres(work, free_port())
    stack = None
    recorder = None
    try:
        started = time.monotonic()
        postgres.init()
        postgres.start()
        await postgres.create_database()
        dags = await prepare_database(postgres, work, plan)
        settings = ReplicaSettings()
        stack = await start_stack(work, postgres.url, settings, options.nginx_conf)
        report.setup = {
            "postgres": f"private cluster on 127.0.0.1:{postgres.port} ({postgres.bin})",
            "replicas": ", ".join(f"{r.name}={r.url}" for r in stack.replicas),
            "nginx": f"{stack.nginx_url} ({options.nginx_conf})",
            "replica_settings": f"DAGPORT_WORKERS=1, DB_POOL_SIZE={settings.pool_size}, "
            f"DB_POOL_TIMEOUT={settings.pool_timeout:g}, MAX_BODY_BYTES={settings.max_body_bytes}",
            "dags": {dag_id: len(tasks) for dag_id, tasks in dags.items()},
            "setup_seconds": round(time.monotonic() - started, 1),
        }
        recorder = Recorder(stack.targets(), run_tag=f"rel{uuid.uuid4().hex[:6]}")
        workload = Workload(recorder, dags, stack.targets())
        ctx = Context(plan, work, postgres, stack, recorder, workload, settings)
        phases = [*options.phases, *(["soak"] if options.soak_seconds else [])]
        for phase in phases:
            progress(f"phase {phase} ...")
            phase_started = time.monotonic()
            try:
                if phase == "soak":
                    section = await scenarios.soak(ctx, options.soak_seconds)
                else:
                    section = await PHASES[phase](ctx)
            except Exception:
                await ctx.cancel_tasks()
                section = Section(
                    f"{phase}: the phase failed",
                    checks=[
                        Check(
                            "phase_completed", False, "an exception ended the phase", [traceback.format_exc()]
                        )
                    ],
                )
            section.figures = {"phase": phase, **section.figures}
            section.figures["phase_seconds"] = round(time.monotonic() - phase_started, 1)
            report.sections.append(section)
            progress(f"phase {phase}: {'ok' if section.ok else 'FAILED'}")
            if any(c.name == "phase_completed" for c in section.checks):
                break  # the stack is in an unknown state: report what ran
    finally:
        if recorder is not None:
            await recorder.close()
        if stack is not None:
            stack.stop()
        await asyncio.to_thread(postgres.destroy)
        if report.ok and not options.keep and report.sections:
            shutil.rmtree(work, ignore_errors=True)
    return report

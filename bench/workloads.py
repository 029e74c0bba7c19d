"""The workloads: what each wrk run requests, and the issue's target for it.

Request lists are written once per database into a scratch folder and cycled by
bench/lua/requests.lua; the trigger workload generates its requests in bench/lua/trigger.lua.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.database import Targets
from bench.loadgen import WrkResult

API = "/api/experimental"
LIST_PAGE = 100
# Trigger dates start here (or after the newest run, if later) and never repeat: see trigger.lua.
TRIGGER_EPOCH = datetime(2030, 1, 1, tzinfo=UTC)
TRIGGER_THREAD_STRIDE = 10_000_000  # seconds between two wrk threads' date ranges (trigger.lua)


@dataclass(frozen=True)
class Target:
    """A figure from the issue. Informational: the harness reports it, it does not fail on it."""

    kind: str  # "ratio" (to the baseline), "rps" or "p50_ms"
    value: float
    note: str = ""

    @property
    def label(self) -> str:
        text = {
            "ratio": f">={self.value:g}x",
            "rps": f">={self.value:g}/s",
            "p50_ms": f"p50<{self.value:g}ms",
        }
        return text[self.kind] + (f" {self.note}" if self.note else "")

    def met(self, result: WrkResult, ratio: float) -> bool:
        if self.kind == "ratio":
            return ratio >= self.value
        if self.kind == "rps":
            return result.rps >= self.value
        return result.p50_ms < self.value


@dataclass
class Workload:
    name: str
    request: str  # what is requested, for the table's legend
    script: str  # file in bench/lua/
    script_args: Callable[[], list[str]]  # called before every wrk run
    target: Target | None = None
    lookup: bool = False  # part of the --compare-scale comparison (reads that must stay flat)


def _date(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _write(path: Path, lines: list[tuple[str, str] | tuple[str, str, str]]) -> Path:
    path.write_text("".join("\t".join(line) + "\n" for line in lines))
    return path


def _cycled(folder: Path, name: str, lines: list, threads: int) -> Callable[[], list[str]]:
    file = _write(folder / f"{name}.txt", lines)
    return lambda: [str(file), str(threads)]


def baseline_workload(targets: Targets, folder: Path, threads: int) -> Workload:
    lines = [("GET", f"/run/{run_id}") for run_id, _, _ in targets.runs]
    return Workload(
        "baseline",
        "GET /run/{id} (bench/baseline.py)",
        "requests.lua",
        _cycled(folder, "baseline", lines, threads),
    )


def _trigger_args(folder: Path, targets: Targets, threads: int) -> Callable[[], list[str]]:
    dags_file = folder / "trigger_dags.txt"
    dags_file.write_text("".join(d + "\n" for d in targets.trigger_dags))
    start = max(TRIGGER_EPOCH, targets.newest_execution_date + timedelta(hours=1))
    invocations = 0

    def args() -> list[str]:
        nonlocal invocations
        base = int(start.timestamp()) + invocations * threads * TRIGGER_THREAD_STRIDE
        invocations += 1
        return [str(dags_file), str(base)]

    return args


def build_workloads(targets: Targets, folder: Path, threads: int) -> list[Workload]:
    runs = [(d, _date(e)) for _, d, e in targets.runs]
    tis = [(d, _date(e), t) for d, e, t in targets.task_instances]
    pages = range(0, max(targets.list_dag_runs, 1), LIST_PAGE)
    list_path = f"{API}/dags/{targets.list_dag}/dag_runs"
    states = ("running", "queued")

    def cycled(name: str, lines: list) -> Callable[[], list[str]]:
        return _cycled(folder, name, lines, threads)

    return [
        Workload(
            "run_state",
            "GET /dags/{id}/dag_runs/{date}",
            "requests.lua",
            cycled("run_state", [("GET", f"{API}/dags/{d}/dag_runs/{e}") for d, e in runs]),
            Target("ratio", 0.35),
            lookup=True,
        ),
        Workload(
            "task_instance",
            "GET /dags/{id}/dag_runs/{date}/tasks/{task}",
            "requests.lua",
            cycled("task_instance", [("GET", f"{API}/dags/{d}/dag_runs/{e}/tasks/{t}") for d, e, t in tis]),
            Target("ratio", 0.35),
            lookup=True,
        ),
        Workload(
            "task_info",
            "GET /dags/{id}/tasks/{task}",
            "requests.lua",
            cycled("task_info", [("GET", f"{API}/dags/{d}/tasks/{t}") for d, t in targets.tasks]),
            lookup=True,
        ),
        Workload(
            "list_runs_all",
            f"GET /dags/{targets.list_dag}/dag_runs ({targets.list_dag_runs} runs)",
            "requests.lua",
            cycled("list_runs_all", [("GET", list_path)]),
            Target("rps", 400),
        ),
        Workload(
            "list_runs_page",
            f"GET /dags/{targets.list_dag}/dag_runs?limit={LIST_PAGE}&offset=0,100,...",
            "requests.lua",
            cycled("list_runs_page", [("GET", f"{list_path}?limit={LIST_PAGE}&offset={o}") for o in pages]),
            Target("ratio", 0.25),
            lookup=True,
        ),
        Workload(
            "latest_runs",
            "GET /latest_runs",
            "requests.lua",
            cycled("latest_runs", [("GET", f"{API}/latest_runs")]),
            Target("p50_ms", 50),
        ),
        Workload("pools", "GET /pools", "requests.lua", cycled("pools", [("GET", f"{API}/pools")])),
        Workload(
            "trigger",
            "POST /dags/{id}/dag_runs, unique execution_date, 10 tasks",
            "trigger.lua",
            _trigger_args(folder, targets, threads),
            Target("rps", 800, "(2 workers)"),
        ),
        Workload(
            "ti_update",
            'PATCH /dags/{id}/dag_runs/{date}/tasks/{task} {"state": running|queued}',
            "requests.lua",
            cycled(
                "ti_update",
                [
                    ("PATCH", f"{API}/dags/{d}/dag_runs/{e}/tasks/{t}", json.dumps({"state": states[i % 2]}))
                    for i, (d, e, t) in enumerate(tis)
                ],
            ),
        ),
    ]

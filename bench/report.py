"""What the harness measured, and how it is printed (tables) and saved (``--json``)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.database import SeedReport
from bench.loadgen import WrkResult
from bench.servers import ProcessMemory
from bench.workloads import Workload

RSS_LIMIT_MB = 150  # issue 4: a worker's RSS after the run


@dataclass
class Measurement:
    workload: Workload
    result: WrkResult  # dagport
    baseline: WrkResult  # the baseline run just before it

    @property
    def ratio(self) -> float:
        return self.result.rps / self.baseline.rps if self.baseline.rps else 0.0


@dataclass
class Repetition:
    measurements: list[Measurement] = field(default_factory=list)
    memory: dict[str, list[ProcessMemory]] = field(default_factory=dict)  # server name -> processes


@dataclass
class ScaleRun:
    runs: int
    database: str
    seed: SeedReport
    repetitions: list[Repetition] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # failed sanity checks

    @property
    def errors(self) -> int:
        return sum(m.result.errors + m.baseline.errors for r in self.repetitions for m in r.measurements)

    def answered(self, workload: str) -> int:
        """2xx answers dagport gave to ``workload`` over every repetition."""
        return sum(
            m.result.requests - m.result.non2xx
            for r in self.repetitions
            for m in r.measurements
            if m.workload.name == workload
        )


# -- printing ------------------------------------------------------------------------------------


def seed_line(seed: SeedReport) -> str:
    steps = ", ".join(f"{name} {secs:.1f}" for name, secs in seed.seconds.items())
    return (
        f"seeded {seed.dags:,} DAGs, {seed.tasks:,} tasks, {seed.runs:,} runs "
        f"({seed.list_dag_runs:,} on the listed DAG), {seed.task_instances:,} task instances "
        f"in {seed.total_seconds:.1f} s ({steps})"
    )


def _table(header: list[str], rows: list[list[str]], left: int = 1) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def results_table(rep: Repetition) -> str:
    rows = []
    for m in rep.measurements:
        r, target = m.result, m.workload.target
        verdict = "" if target is None else f"{target.label}: {'ok' if target.met(r, m.ratio) else 'MISS'}"
        rows.append(
            [
                m.workload.name,
                f"{r.rps:,.0f}",
                f"{r.p50_ms:.2f}",
                f"{r.p99_ms:.2f}",
                f"{r.errors:,}",
                f"{m.baseline.rps:,.0f}",
                f"{m.ratio:.2f}x",
                verdict,
            ]
        )
    header = [
        "workload",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "baseline req/s",
        "ratio",
        "target (issue 4)",
    ]
    table = _table(header, rows)
    return "\n".join(line.rstrip() for line in table.splitlines())


def legend(workloads: list[Workload]) -> str:
    return "\n".join(f"  {w.name:<15} {w.request}" for w in workloads)


def memory_lines(rep: Repetition) -> list[str]:
    lines = []
    for server, processes in rep.memory.items():
        for p in processes:
            if p.role == "helper":
                continue
            flag = ""
            if server == "dagport" and p.role == "worker":
                flag = "  (< 150 MB: ok)" if p.rss_mb < RSS_LIMIT_MB else "  (>= 150 MB: MISS)"
            lines.append(
                f"  {server} {p.role} pid {p.pid}: RSS {p.rss_mb:.1f} MB, peak {p.peak_mb:.1f} MB{flag}"
            )
    return lines


def memory_growth(run: ScaleRun) -> list[str]:
    """dagport workers' RSS after each repetition, and the change from the 2nd to the last."""
    by_pid: dict[int, list[float]] = {}
    for rep in run.repetitions:
        for p in rep.memory.get("dagport", []):
            if p.role == "worker":
                by_pid.setdefault(p.pid, []).append(p.rss_mb)
    lines = []
    for pid, values in by_pid.items():
        series = ", ".join(f"{v:.1f}" for v in values)
        growth = f"; 2nd -> last: {values[-1] - values[1]:+.1f} MB" if len(values) >= 3 else ""
        lines.append(f"  dagport worker pid {pid} RSS by repetition (MB): {series}{growth}")
    return lines


def scale_comparison(small: ScaleRun, large: ScaleRun) -> str:
    """p50 of each lookup at both scales (last repetition of each), against the 1.3x target."""
    small_m = {m.workload.name: m for m in small.repetitions[-1].measurements}
    rows = []
    for m in large.repetitions[-1].measurements:
        other = small_m.get(m.workload.name)
        if other is None:
            continue
        ratio = m.result.p50_ms / other.result.p50_ms if other.result.p50_ms else 0.0
        rows.append(
            [
                m.workload.name,
                f"{other.result.p50_ms:.2f}",
                f"{m.result.p50_ms:.2f}",
                f"{ratio:.2f}x",
                f"{other.result.rps:,.0f}",
                f"{m.result.rps:,.0f}",
                "ok" if ratio <= 1.3 else "MISS",
            ]
        )
    header = [
        "workload",
        f"p50 ms @{small.runs:,}",
        f"p50 ms @{large.runs:,}",
        "p50 ratio",
        f"req/s @{small.runs:,}",
        f"req/s @{large.runs:,}",
        "<= 1.3x",
    ]
    return _table(header, rows)


# -- JSON ----------------------------------------------------------------------------------------


def _result_json(r: WrkResult) -> dict[str, Any]:
    return asdict(r) | {"rps": r.rps, "errors": r.errors}


def to_json(config: dict[str, Any], runs: list[ScaleRun]) -> dict[str, Any]:
    return {
        "config": config,
        "scales": [
            {
                "runs": run.runs,
                "database": run.database,
                "seed": asdict(run.seed) | {"total_seconds": run.seed.total_seconds},
                "problems": run.problems,
                "repetitions": [
                    {
                        "results": [
                            {
                                "workload": m.workload.name,
                                "request": m.workload.request,
                                "dagport": _result_json(m.result),
                                "baseline": _result_json(m.baseline),
                                "ratio": m.ratio,
                                "target": None if m.workload.target is None else m.workload.target.label,
                                "target_met": None
                                if m.workload.target is None
                                else m.workload.target.met(m.result, m.ratio),
                            }
                            for m in rep.measurements
                        ],
                        "memory": {k: [asdict(p) for p in v] for k, v in rep.memory.items()},
                    }
                    for rep in run.repetitions
                ],
            }
            for run in runs
        ],
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")

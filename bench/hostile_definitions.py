"""``python -m bench.hostile_definitions``: small definitions that expand into large work, PUT to a server.

Each case is PUT to ``dagport serve`` (a fresh SQLite database in a temporary folder) while a
thread asks ``/health`` every 5 ms; the table shows the answer (status and first problem), how
long the PUT took, the longest ``/health`` answer meanwhile (how long the event loop stalled),
the server's peak RSS (``VmHWM``) and how much the database grew. A watchdog kills a server
whose RSS passes ``--max-rss-mb`` or whose PUT passes ``--timeout``: the row says so.

    .venv/bin/python -m bench.hostile_definitions                      # this working tree
    .venv/bin/python -m bench.hostile_definitions --rev main --rev .   # a revision, then this tree
    .venv/bin/python -m bench.hostile_definitions --cases fan_in_shared,default_args

``--rev REV`` serves the ``app`` package of git revision REV (from ``git archive``, put first on
PYTHONPATH) with this tree's installed dependencies; ``.`` is the working tree.

The cases:

- ``aliases_refused``: eight levels of nine-way YAML aliases under ``params`` (9**8 values from a
  few hundred bytes).
- ``aliases_stored``: the same with six levels (9**6 values, about half a million: within
  DAGPORT_MAX_DEFINITION_NODES).
- ``fan_in_huge``: 2,200 tasks whose ``upstream: *u`` repeats one list of 2,200 others (4.8
  million edges).
- ``fan_in_shared``: 1,000 tasks whose ``upstream: *u`` repeats a list of 900 (900,000 edges,
  within DAGPORT_MAX_DEFINITION_NODES).
- ``default_args``: 1,000 tasks inheriting a ``params`` of 5,000 values from default_args (each
  task stores its own copy); ``default_args_large``: 10,000 tasks and 20,000 values (under 1 MB).
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.servers import REPO, TOKEN, Server, _clean_env, _dagport_command, free_port


def nested_aliases(levels: int, width: int = 9) -> str:
    lines = ["dag_id: hostile", "tasks: [{task_id: t}]", "default_args:", "  params:"]
    lines.append("    l0: &l0 [" + ", ".join(["x"] * width) + "]")
    lines += [f"    l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def fan_in(roots: int, leaves: int) -> str:
    """``leaves`` tasks, each ``upstream: *u`` of one list naming ``roots`` tasks."""
    ids = [f"root_{i:04d}" for i in range(roots)]
    lines = ["dag_id: hostile", "tasks:"]
    lines += [f"  - {{task_id: {task_id}}}" for task_id in ids]
    lines.append(f"  - {{task_id: leaf_0000, upstream: &u [{', '.join(ids)}]}}")
    lines += [f"  - {{task_id: leaf_{i:04d}, upstream: *u}}" for i in range(1, leaves)]
    return "\n".join(lines) + "\n"


def default_args(values: int, tasks: int) -> str:
    definition = {
        "dag_id": "hostile",
        "default_args": {"params": {f"p{i}": i for i in range(values)}},
        "tasks": [{"task_id": f"t{i}"} for i in range(tasks)],
    }
    return json.dumps(definition, separators=(",", ":"))


CASES: dict[str, tuple[Callable[[], str], str]] = {  # name -> (text, content type)
    "aliases_refused": (lambda: nested_aliases(7), "application/yaml"),
    "aliases_stored": (lambda: nested_aliases(5), "application/yaml"),
    "fan_in_huge": (lambda: fan_in(2200, 2200), "application/yaml"),
    "fan_in_shared": (lambda: fan_in(900, 1000), "application/yaml"),
    "default_args": (lambda: default_args(5000, 1000), "application/json"),
    "default_args_large": (lambda: default_args(20000, 10000), "application/json"),
}


@dataclass
class Row:
    rev: str
    case: str
    size: int
    status: str
    problem: str
    put_s: float
    health_max_ms: float
    peak_mb: float
    stored_mb: float


def source_of(rev: str) -> Path | None:
    """A temporary folder holding ``app`` at ``rev``; None for the working tree."""
    if rev == ".":
        return None
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "app"], check=True, capture_output=True)
    folder = Path(tempfile.mkdtemp(prefix="dagport-hostile-"))
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def db_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.glob("hostile.db*"))


class HealthProbe(threading.Thread):
    """GET /health every 5 ms until stopped; :meth:`longest` is the longest wait for an answer, in
    ms, counting one still unanswered (a server killed while stalled never answers it)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.worst, self.stopped = url + "/health", 0.0, threading.Event()
        self.asked_at: float | None = None

    def run(self) -> None:
        while not self.stopped.is_set():
            self.asked_at = start = time.perf_counter()
            try:
                with urllib.request.urlopen(self.url, timeout=120) as response:
                    response.read()
            except OSError:
                return  # the server is gone: the unanswered wait counts in longest()
            self.asked_at = None
            self.worst = max(self.worst, (time.perf_counter() - start) * 1000)
            self.stopped.wait(0.005)

    def longest(self, until: float) -> float:
        asked_at = self.asked_at
        return max(self.worst, (until - asked_at) * 1000 if asked_at is not None else 0.0)


def measure(rev: str, case: str, *, max_rss_mb: float, timeout: float) -> Row:
    make, content_type = CASES[case]
    body = make().encode()
    work = Path(tempfile.mkdtemp(prefix="dagport-hostile-db-"))
    source = source_of(rev)
    port = free_port()
    env = _clean_env() | {
        "DAGPORT_DATABASE_URL": f"sqlite:///{work / 'hostile.db'}",
        "DAGPORT_PORT": str(port),
        "DAGPORT_API_TOKENS": TOKEN,
        "DAGPORT_LOG_LEVEL": "WARNING",
    }
    if source is not None:
        env["PYTHONPATH"] = str(source)
    server = Server("dagport", _dagport_command(), env, port, 1, work / "server.log")
    try:
        server.start()
        before = db_bytes(work)
        probe = HealthProbe(server.url)
        killed: list[str] = []
        peaks = [0.0]  # the highest VmHWM the watchdog saw (a killed server has none to read)

        def watchdog() -> None:
            deadline = time.monotonic() + timeout
            while server.alive() and not probe.stopped.is_set():
                memory = server.memory()
                rss = max((m.rss_mb for m in memory), default=0.0)
                peaks[0] = max([peaks[0], *(m.peak_mb for m in memory)])
                if rss > max_rss_mb or time.monotonic() > deadline:
                    killed.append(
                        f"killed at {rss:.0f} MB" if rss > max_rss_mb else f"killed after {timeout:g} s"
                    )
                    server.stop(grace=0)
                    return
                time.sleep(0.05)

        guard = threading.Thread(target=watchdog, daemon=True)
        request = urllib.request.Request(
            f"{server.url}/api/experimental/dags/hostile",
            data=body,
            method="PUT",
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": content_type},
        )
        probe.start()
        guard.start()
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=timeout + 5) as response:
                status, answer = str(response.status), json.loads(response.read())
        except urllib.error.HTTPError as exc:
            status, answer = str(exc.code), json.loads(exc.read() or b"{}")
        except OSError:
            status, answer = "-", {}
        ended = time.perf_counter()
        put_s = ended - start
        peak = max([peaks[0], *(m.peak_mb for m in server.memory())])
        probe.stopped.set()
        probe.join(5)
        guard.join(5)
        if killed:
            status, answer = killed[0], {}
        detail = answer.get("detail") or [{}]
        problem = detail[0].get("msg", "") if status.startswith("4") else ""
        return Row(
            rev=rev,
            case=case,
            size=len(body),
            status=status,
            problem=problem,
            put_s=put_s,
            health_max_ms=probe.longest(ended),
            peak_mb=peak,
            stored_mb=(db_bytes(work) - before) / 2**20,
        )
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
        if source is not None:
            shutil.rmtree(source, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", action="append", help="git revision to serve ('.': this tree); repeatable")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated cases")
    parser.add_argument("--max-rss-mb", type=float, default=1500.0, help="kill the server past this RSS")
    parser.add_argument("--timeout", type=float, default=60.0, help="kill the server past this many seconds")
    args = parser.parse_args(argv)
    print(
        "| revision | case | bytes | answer | PUT s | longest /health ms | peak RSS MB | database grew MB |"
    )
    print("|---|---|---:|---|---:|---:|---:|---:|")
    for rev in args.rev or ["."]:
        for case in args.cases.split(","):
            row = measure(rev, case, max_rss_mb=args.max_rss_mb, timeout=args.timeout)
            answer = row.status + (f": {row.problem[:90]}" if row.problem else "")
            print(
                f"| {row.rev} | {row.case} | {row.size:,} | {answer} | {row.put_s:.2f} | "
                f"{row.health_max_ms:.0f} | {row.peak_mb:.0f} | {row.stored_mb:.1f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

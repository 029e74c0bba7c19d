"""The servers under test, as subprocesses: dagport (``dagport serve``) and the bare ASGI baseline.

Each server runs in its own session (process group), so a Ctrl-C meant for the harness does not
reach it and :meth:`Server.stop` can end the server and every worker it spawned at once. Memory
figures come from ``/proc/<pid>/status`` of the server's process tree.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOKEN = "bench-token-0123456789"


class ServerFailed(RuntimeError):
    """A server exited or did not become ready; the message ends with its log's tail."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _clean_env() -> dict[str, str]:
    """The harness's environment without any DAGPORT_* setting the caller may have exported."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("DAGPORT_", "BENCH_"))}


def _dagport_command() -> list[str]:
    script = Path(sys.executable).parent / "dagport"
    return [str(script), "serve"] if script.exists() else [sys.executable, "-m", "app.cli", "serve"]


@dataclass
class ProcessMemory:
    pid: int
    role: str  # "worker", "master" (workers > 1) or "helper" (multiprocessing's resource tracker)
    rss_mb: float  # VmRSS: resident now
    peak_mb: float  # VmHWM: the high-water mark of the resident set


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _role(pid: int, root: int, workers: int) -> str:
    if pid == root:
        return "worker" if workers == 1 else "master"
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    return "worker" if b"spawn_main" in cmdline else "helper"


class Server:
    """One HTTP server process tree on a free port of 127.0.0.1."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, workers: int, log: Path):
        self.name, self.argv, self.env, self.port, self.workers, self.log = (
            name,
            argv,
            env,
            port,
            workers,
            log,
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout: float = 60.0) -> None:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerFailed(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            if self._ready():
                return
            time.sleep(0.2)
        raise ServerFailed(f"{self.name} not ready within {ready_timeout:g} s:\n{self.log_tail()}")

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/ready", timeout=2) as response:
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM to the server's process group, SIGKILL if it lingers past ``grace`` seconds."""
        if self.proc is None:
            return
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        self.proc = None

    def memory(self) -> list[ProcessMemory]:
        """RSS and peak RSS of the server process and all its descendants."""
        if not self.alive():
            return []
        assert self.proc is not None
        root, pending, result = self.proc.pid, [self.proc.pid], []
        while pending:
            pid = pending.pop(0)
            with contextlib.suppress(OSError, ValueError):
                result.append(
                    ProcessMemory(
                        pid=pid,
                        role=_role(pid, root, self.workers),
                        rss_mb=_status_kb(pid, "VmRSS") / 1024,
                        peak_mb=_status_kb(pid, "VmHWM") / 1024,
                    )
                )
            pending += _children(pid)
        return result


def dagport_server(
    dsn: str, *, workers: int, pool_size: int, log: Path, listing_cache_mb: float | None = None
) -> Server:
    """dagport on ``dsn``; ``listing_cache_mb`` sets DAGPORT_LISTING_CACHE_MB (None: its default)."""
    port = free_port()
    env = _clean_env() | {
        "DAGPORT_DATABASE_URL": dsn,
        "DAGPORT_HOST": "127.0.0.1",
        "DAGPORT_PORT": str(port),
        "DAGPORT_WORKERS": str(workers),
        "DAGPORT_API_TOKENS": TOKEN,
        "DAGPORT_AUTO_MIGRATE": "false",
        "DAGPORT_LOG_LEVEL": "WARNING",
        "DAGPORT_DB_POOL_SIZE": str(pool_size),
        "DAGPORT_DB_MAX_OVERFLOW": "0",
    }
    if listing_cache_mb is not None:
        env["DAGPORT_LISTING_CACHE_MB"] = str(listing_cache_mb)
    return Server("dagport", _dagport_command(), env, port, workers, log)


def baseline_server(dsn: str, *, workers: int, pool_size: int, log: Path) -> Server:
    """bench/baseline.py under uvicorn with dagport's server options (see ``app.cli.serve``)."""
    port = free_port()
    env = _clean_env() | {"BENCH_BASELINE_DSN": dsn, "BENCH_BASELINE_POOL_SIZE": str(pool_size)}
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.baseline:app",
        "--app-dir",
        str(REPO),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
        "--timeout-graceful-shutdown",
        "30",
    ]
    return Server("baseline", argv, env, port, workers, log)

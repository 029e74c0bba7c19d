"""Running wrk and reading its result.

Every script in bench/lua/ loads common.lua, whose ``done()`` prints one ``BENCH_RESULT {json}``
line: request count, duration, latency percentiles (microseconds), socket errors as wrk counts
them, and the non-2xx answers counted by its ``response()`` hook.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA_DIR = Path(__file__).resolve().parent / "lua"
RESULT_PREFIX = "BENCH_RESULT "
FIRST_ERROR_PREFIX = "BENCH_FIRST_ERROR "


class LoadError(RuntimeError):
    """wrk failed to run or printed no result."""


@dataclass(frozen=True)
class LoadSettings:
    threads: int
    connections: int
    duration: float  # seconds
    timeout: float = 10.0  # a response slower than this counts as a socket timeout error


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non2xx: int
    socket_errors: int  # connect + read + write + timeout
    first_error: str | None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.non2xx + self.socket_errors


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("bench: wrk not found; install it (Debian: apt-get install -y wrk)")
    return found


def _duration_arg(seconds: float) -> str:
    # wrk takes whole units; milliseconds are not accepted, so round up to a second.
    return f"{max(1, round(seconds))}s"


def run_wrk(
    url: str, script: str, script_args: list[str], load: LoadSettings, *, token: str | None = None
) -> WrkResult:
    """Run ``wrk`` with ``bench/lua/<script>`` against ``url`` and parse its summary line;
    ``token``: the bearer token the scripts send (BENCH_TOKEN; default the bench's own)."""
    command = [
        require_wrk(),
        "-t",
        str(load.threads),
        "-c",
        str(load.connections),
        "-d",
        _duration_arg(load.duration),
        "--timeout",
        _duration_arg(load.timeout),
        "-s",
        str(LUA_DIR / script),
        url,
        "--",
        *script_args,
    ]
    env = None if token is None else {**os.environ, "BENCH_TOKEN": token}
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=load.duration + 60, check=False, env=env
    )
    result_line = next((x for x in done.stdout.splitlines() if x.startswith(RESULT_PREFIX)), None)
    if done.returncode != 0 or result_line is None:
        raise LoadError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    data = json.loads(result_line[len(RESULT_PREFIX) :])
    first_error = next(
        (x[len(FIRST_ERROR_PREFIX) :] for x in done.stdout.splitlines() if x.startswith(FIRST_ERROR_PREFIX)),
        None,
    )
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        non2xx=data["non2xx"],
        socket_errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
        first_error=first_error,
    )

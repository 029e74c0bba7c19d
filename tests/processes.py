"""Real processes for the deployment tests (tests/test_proxy.py, tests/test_pgbouncer.py).

Free loopback ports, binaries that must be installed (a missing one FAILS the test: CI installs
them, see .ci/run), throwaway Postgres databases, and child processes whose output goes to files
the tests read (dagport's JSON access log, nginx's log).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_ADMIN_URL, _admin

DAGPORT = str(Path(sys.executable).with_name("dagport"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_binary(name: str) -> str:
    """The binary's path; a missing binary fails the test (it is never skipped)."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        pytest.fail(f"{name} is not installed: apt-get install {name} (.ci/run does)", pytrace=False)
    return path


@asynccontextmanager
async def throwaway_database(prefix: str) -> AsyncIterator[str]:
    """A new empty Postgres database, dropped afterwards; yields its postgresql:// URL."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def dagport_environment(**settings: object) -> dict[str, str]:
    """This process's environment without any DAGPORT_* variable, plus ``settings`` as DAGPORT_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAGPORT_")}
    env.update({f"DAGPORT_{k.upper()}": str(v) for k, v in settings.items()})
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Process:
    """A child process whose stdout and stderr go to ``<log_dir>/<name>.out`` and ``.err``."""

    def __init__(
        self, name: str, argv: list[str], log_dir: Path, env: Mapping[str, str] | None = None
    ) -> None:
        self.name, self.argv, self.env = name, argv, env
        self.stdout_path = log_dir / f"{name}.out"
        self.stderr_path = log_dir / f"{name}.err"
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.stdout_path.open("ab") as out, self.stderr_path.open("ab") as err:
            self.popen = subprocess.Popen(self.argv, stdout=out, stderr=err, env=self.env)
        return self

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def output(self) -> str:
        return "".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}\n"
            for path in (self.stdout_path, self.stderr_path)
            if path.exists()
        )

    def stderr_lines(self) -> list[str]:
        return self.stderr_path.read_text(errors="replace").splitlines()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
        """Send ``sig``, wait up to ``timeout`` s (then SIGKILL); the exit status, None if not started."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode


async def wait_for_http(url: str, process: Process, *, within: float = 20.0, expect: int = 200) -> None:
    """Poll ``url`` until it answers ``expect``; fail with the process's output if it dies or times out."""
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            if not process.running:
                pytest.fail(f"{process.name} exited before {url} answered\n{process.output()}")
            try:
                if (await client.get(url)).status_code == expect:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{url} did not answer {expect} within {within:g} s\n{process.output()}")
            await asyncio.sleep(0.1)


async def wait_for_line(processes: Sequence[Process], contains: str, *, within: float = 5.0) -> str:
    """The first stderr line of any of ``processes`` containing ``contains`` (log lines are written
    after the response is sent, so they may lag it a little)."""
    deadline = time.monotonic() + within
    while True:
        for process in processes:
            for line in process.stderr_lines():
                if contains in line:
                    return line
        if time.monotonic() > deadline:
            output = "".join(process.output() for process in processes)
            pytest.fail(f"no stderr line contains {contains!r}\n{output}")
        await asyncio.sleep(0.05)

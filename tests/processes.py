"""Real processes for the deployment tests (tests/test_proxy.py, tests/test_pgbouncer.py).

Free loopback ports, binaries that must be installed (a missing one FAILS the test: CI installs
them, see .ci/run), throwaway Postgres databases, and child processes whose output goes to files
the tests read (dagport's JSON access log, nginx's log).
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from reliability.stack import Process, dagport_environment, free_port, wait_for_http
from tests import postgres

# The child-process helpers are the reliability harness's (one copy); re-exported for the tests.
__all__ = [
    "DAGPORT",
    "Process",
    "dagport_environment",
    "free_port",
    "require_binary",
    "throwaway_database",
    "wait_for_http",
    "wait_for_line",
]

DAGPORT = str(Path(sys.executable).with_name("dagport"))


def require_binary(name: str) -> str:
    """The binary's path; a missing binary fails the test (it is never skipped)."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        pytest.fail(f"{name} is not installed: apt-get install {name} (.ci/run does)", pytrace=False)
    return path


@asynccontextmanager
async def throwaway_database(purpose: str) -> AsyncIterator[str]:
    """A new empty Postgres database (named by tests.postgres.unique_name), dropped afterwards;
    yields its postgresql:// URL."""
    name = await postgres.create_database(purpose)
    try:
        yield postgres.database_url(name, drivername="postgresql")
    finally:
        await postgres.drop_database(name)


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

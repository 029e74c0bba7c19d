"""Tests that share one expensive fixture run on one pytest-xdist worker, under the suite's own
configuration (pyproject.toml's addopts, the locked pytest and pytest-xdist): the ``airflow`` marker
(tests/airflow_fixtures.py) puts its tests in one ``xdist_group``. Run as a pytest of its own in a
subprocess, with two workers; each test writes down which worker ran it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

GROUPED = """
import os
from pathlib import Path

import pytest


def record(kind):
    with Path(os.environ["RECORD"]).open("a") as out:
        out.write(f"{kind} {os.environ.get('PYTEST_XDIST_WORKER')}\\n")


@pytest.mark.airflow
@pytest.mark.parametrize("i", range(6))
def test_marked(i):
    record("marked")


@pytest.mark.xdist_group("other")
@pytest.mark.parametrize("i", range(6))
def test_grouped(i):
    record("grouped")


@pytest.mark.parametrize("i", range(12))
def test_free(i):
    record("free")
"""


def test_a_group_runs_on_one_worker_under_the_suites_configuration(tmp_path: Path) -> None:
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    record = tmp_path / "record.txt"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path),
         "-p", "tests.airflow_fixtures", "-p", "no:cacheprovider", "-q", "-n", "2", str(tmp_path)],
        cwd=ROOT, env={**os.environ, "RECORD": str(record)}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    workers: dict[str, list[str]] = {}
    for line in record.read_text().splitlines():
        kind, worker = line.split()
        workers.setdefault(kind, []).append(worker)
    assert {kind: len(ran) for kind, ran in workers.items()} == {"marked": 6, "grouped": 6, "free": 12}
    assert len(set(workers["marked"])) == 1, workers
    assert len(set(workers["grouped"])) == 1, workers
    # Where the ungrouped rest runs is xdist's choice by timing (on a busy machine one worker may
    # take them all): only that they ran on the run's workers is certain.
    assert set(workers["free"]) <= {"gw0", "gw1"}, workers

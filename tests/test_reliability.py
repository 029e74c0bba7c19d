"""The short reliability run (``python -m reliability --short``, docs/reliability.md) as tests.

One run per module, about 40 s: a private Postgres cluster (initdb, its own port), two real
``dagport serve`` replicas behind Debian's nginx running deploy/nginx.conf, a mixed workload, then
kill -9 of a replica, a Postgres restart and a SIGTERM under load, and the request limits. Each
check of the run is one test here; every check reads the database afterwards (nothing
acknowledged lost, no run without its task instances, one run per burst of identical triggers).

Missing nginx or Postgres server binaries FAIL these tests (CI installs them); they never skip.
The shared Postgres on 127.0.0.1:5432 is not touched: the run restarts its own cluster only.
"""

from __future__ import annotations

import pytest

from reliability.cluster import MissingBinary, postgres_bin_dir
from reliability.run import Options, Report, run
from reliability.stack import nginx_binary

# Needs nginx and the Postgres server binaries (conftest.py: system). One xdist group: the
# module-scoped run is made once, on one worker.
pytestmark = [pytest.mark.system, pytest.mark.xdist_group("reliability")]

# Checks that fail because of a known, unfixed bug: {"phase.check": "BUG ... (file, what to change)"}.
# Each is marked xfail(strict=True): the fix turns it into an XPASS failure until it is removed here.
# Findings 1-4 of docs/reliability.md were fixed in 3e40a8a; none is open.
KNOWN_BUGS: dict[str, str] = {}

DATABASE_CHECKS = [
    "acknowledged_triggers_stored_with_all_task_instances",
    "no_run_without_all_its_task_instances",
    "identical_concurrent_triggers_made_one_run",
    "concurrent_pool_upserts_left_one_row",
    "acknowledged_task_instance_updates_stored",
]
ANSWER_CHECKS = ["answers_as_expected", "error_bodies_are_json", "no_request_hangs"]

CHECKS = [
    *(f"steady.{name}" for name in ANSWER_CHECKS + DATABASE_CHECKS),
    *(f"kill.{name}" for name in ANSWER_CHECKS),
    "kill.unacknowledged_writes_on_the_killed_replica_rolled_back",
    "kill.failed_writes_through_nginx_get_a_json_error",
    "kill.writes_held_on_the_survivor_complete",
    *(f"kill.{name}" for name in DATABASE_CHECKS),
    *(f"pg_restart.{name}" for name in ANSWER_CHECKS),
    "pg_restart.no_500_while_postgres_restarts",
    "pg_restart.nginx_passes_dagports_503_while_postgres_restarts",
    "pg_restart.ready_is_503_while_postgres_is_down",
    "pg_restart.replicas_recover_within_5_s",
    "pg_restart.nginx_recovers_within_its_fail_timeout",
    *(f"pg_restart.{name}" for name in DATABASE_CHECKS),
    *(f"sigterm.{name}" for name in ANSWER_CHECKS),
    "sigterm.requests_accepted_before_sigterm_are_answered",
    "sigterm.writes_in_flight_at_sigterm_complete",
    "sigterm.replica_exits_cleanly_after_sigterm",
    *(f"sigterm.{name}" for name in DATABASE_CHECKS),
    "limits.body_over_the_limit_is_413",
    "limits.chunked_body_over_the_limit_is_refused",
    "limits.definition_of_10000_tasks_accepted_in_bounded_time",
    "limits.conf_bounded_by_the_body_limit",
    "limits.slow_clients_do_not_starve_the_replica",
    "limits.full_pool_answers_503_within_the_pool_timeout",
]


def with_known_bugs(names: list[str]) -> list[object]:
    return [
        pytest.param(name, marks=pytest.mark.xfail(reason=KNOWN_BUGS[name], strict=True))
        if name in KNOWN_BUGS
        else name
        for name in names
    ]


@pytest.fixture(scope="module")
async def report() -> Report:
    try:
        return await run(Options(short=True))
    except MissingBinary as exc:
        pytest.fail(str(exc), pytrace=False)


def test_nginx_is_installed() -> None:
    try:
        nginx_binary()
    except MissingBinary as exc:
        pytest.fail(str(exc), pytrace=False)


def test_postgres_server_binaries_are_installed() -> None:
    try:
        postgres_bin_dir()
    except MissingBinary as exc:
        pytest.fail(str(exc), pytrace=False)


def test_the_run_made_every_check(report: Report) -> None:
    assert sorted(report.checks()) == sorted(CHECKS)


@pytest.mark.parametrize("name", with_known_bugs(CHECKS))
def test_reliability_check(report: Report, name: str) -> None:
    result = report.checks()[name]
    assert result.ok, "\n".join([result.summary, *result.problems, f"logs: {report.work}"])

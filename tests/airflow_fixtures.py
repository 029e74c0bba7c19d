"""The ``airflow_deployment`` and ``v1_airflow`` fixtures and the ``airflow`` marker (a pytest
plugin, registered by tests/conftest.py).

One real Airflow (tests/airflow_deployment.py) per fixture and pytest process, started by the first
test that asks for it and stopped at the end of the session: ``airflow_deployment`` runs the DAGs of
tests/airflow_dags/ with a scheduler; ``v1_airflow`` is a second deployment beside it, in the
starting state of the v1 recording (tests/v1_state.py: its DAGs, pools, variables, connections and
finished runs; no scheduler). Every test that uses either is marked ``airflow`` (``-m "not
airflow"`` leaves them out) and put in the ``xdist_group`` "airflow", so under ``pytest -n 2``
(``--dist loadgroup``, from pyproject.toml's addopts) they all run on one worker and each Airflow
starts once, beside the rest of the suite. When such a test fails, its report ends with the tail of
each Airflow process's output.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Generator

import pytest

from tests.airflow_deployment import AirflowDeployment, ensure_venv
from tests.v1_state import start_v1_airflow

MARKER = "airflow"
FIXTURE = "airflow_deployment"
V1_FIXTURE = "v1_airflow"
FIXTURES = (FIXTURE, V1_FIXTURE)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}: runs against a real Airflow (the {FIXTURE} or {V1_FIXTURE} fixture; its venv is "
        "installed on first use, ~20 s, then cached outside the clone); all such tests run on one "
        "pytest-xdist worker",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Before ``-m`` deselects and before pytest-xdist reads the groups (tryfirst)."""
    for item in items:
        if set(FIXTURES) & set(getattr(item, "fixturenames", ())) or item.get_closest_marker(MARKER):
            item.add_marker(MARKER)
            item.add_marker(pytest.mark.xdist_group(MARKER))


def _say(config: pytest.Config):
    """Progress lines on the terminal, past pytest's output capture (the install and start-up take
    a while: the run should not look stuck)."""
    capture = config.pluginmanager.getplugin("capturemanager")

    def say(message: str) -> None:
        with capture.global_and_fixture_disabled():
            print(f"\nairflow: {message}", file=sys.stderr, flush=True)

    return say


@pytest.fixture(scope="session")
async def airflow_deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AirflowDeployment]:
    say = _say(request.config)
    deployment = AirflowDeployment(ensure_venv(say=say), tmp_path_factory.mktemp("airflow"), say=say)
    await deployment.start()
    try:
        yield deployment
    finally:
        await deployment.stop()


@pytest.fixture(scope="session")
async def v1_airflow(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AirflowDeployment]:
    """A second Airflow, in the starting state of the v1 recording (tests/v1_state.py); no
    scheduler runs. Tests that change its state leave the replay a different starting point."""
    say = _say(request.config)
    deployment = await start_v1_airflow(ensure_venv(say=say), tmp_path_factory.mktemp("v1-airflow"), say=say)
    try:
        yield deployment
    finally:
        await deployment.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None]:
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    for name in FIXTURES:
        deployment = getattr(item, "funcargs", {}).get(name)
        if isinstance(deployment, AirflowDeployment):
            report.sections.append((f"Airflow's output ({name})", deployment.output()))

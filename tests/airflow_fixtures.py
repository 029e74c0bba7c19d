"""The ``airflow_deployment`` fixture and the ``airflow`` marker (a pytest plugin, registered by
tests/conftest.py).

One real Airflow (tests/airflow_deployment.py) per pytest process, started by the first test that
asks for it and stopped at the end of the session. Every test that uses the fixture is marked
``airflow`` (``-m "not airflow"`` leaves them out) and put in the ``xdist_group`` "airflow", so under
``pytest -n 2`` (``--dist loadgroup``, from pyproject.toml's addopts) they all run on one worker and
Airflow starts once, beside the rest of the suite. When such a test fails, its report ends with the
tail of each Airflow process's output.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Generator

import pytest

from tests.airflow_deployment import AirflowDeployment, ensure_venv

MARKER = "airflow"
FIXTURE = "airflow_deployment"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}: runs against a real Airflow (the {FIXTURE} fixture; its venv is installed on first "
        "use, ~20 s, then cached outside the clone); all such tests run on one pytest-xdist worker",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Before ``-m`` deselects and before pytest-xdist reads the groups (tryfirst)."""
    for item in items:
        if FIXTURE in getattr(item, "fixturenames", ()) or item.get_closest_marker(MARKER):
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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None]:
    outcome = yield
    report = outcome.get_result()
    deployment = getattr(item, "funcargs", {}).get(FIXTURE)
    if report.failed and isinstance(deployment, AirflowDeployment):
        report.sections.append(("Airflow's output", deployment.output()))

"""The real Airflow that the tests run dagport in front of (tests/airflow_deployment.py): it is the
pinned version, its scheduler runs a triggered DAG to success with the run's conf, its second user
is refused writes, and its api-server can be stopped and started again (the outage tests' lever).

These prove the harness, straight against Airflow's /api/v2; dagport is not involved here.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.airflow_deployment import (
    DAGS_FOLDER,
    REQUIREMENTS,
    VIEWER,
    AirflowDeployment,
    airflow_version,
    ensure_venv,
    venv_path,
)

pytestmark = pytest.mark.airflow


async def trigger(airflow: AirflowDeployment, dag_id: str, conf: dict) -> str:
    response = await airflow.api("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf})
    assert response.status_code == 200, response.text
    return response.json()["dag_run_id"]


async def test_the_deployment_is_the_pinned_airflow(airflow_deployment: AirflowDeployment) -> None:
    response = await airflow_deployment.api("GET", "/version")
    assert response.status_code == 200
    assert response.json()["version"] == airflow_version() == "3.3.2"
    health = (await airflow_deployment.client.get("/api/v2/monitor/health")).json()
    assert {part: health[part]["status"] for part in ("metadatabase", "scheduler", "dag_processor")} == {
        "metadatabase": "healthy",
        "scheduler": "healthy",
        "dag_processor": "healthy",
    }


async def test_every_dag_file_is_parsed(airflow_deployment: AirflowDeployment) -> None:
    """The dagport_* DAGs run (unpaused); the conformance suite's stay paused (tests/conformance/)."""
    expected = sorted(path.stem for path in DAGS_FOLDER.glob("*.py"))
    conformance = ["conformance_chain", "conformance_lineage", "conformance_pause", "conformance_throwaway"]
    assert expected == [*conformance, "dagport_assets", "dagport_echo", "dagport_pool", "dagport_slow"]
    for dag_id in expected:
        dag = await airflow_deployment.wait_dag(dag_id, unpause=dag_id not in conformance)
        assert dag["dag_id"] == dag_id
        if dag_id not in conformance:
            assert dag["is_paused"] is False
    errors = (await airflow_deployment.api("GET", "/importErrors")).json()
    assert errors["total_entries"] == 0, errors


async def test_a_triggered_run_succeeds_and_its_second_task_echoes_the_conf(
    airflow_deployment: AirflowDeployment,
) -> None:
    await airflow_deployment.wait_dag("dagport_echo")
    conf = {"key": "value", "nested": [1, {"two": 2}]}
    started = time.monotonic()
    run_id = await trigger(airflow_deployment, "dagport_echo", conf)
    run = await airflow_deployment.wait_run("dagport_echo", run_id)
    airflow_deployment.say(f"dagport_echo reached {run['state']} in {time.monotonic() - started:.1f} s")
    assert run["state"] == "success"
    assert run["conf"] == conf

    instances = (
        await airflow_deployment.api("GET", f"/dags/dagport_echo/dagRuns/{run_id}/taskInstances")
    ).json()
    assert {ti["task_id"]: ti["state"] for ti in instances["task_instances"]} == {
        "prepare": "success",
        "echo_conf": "success",
    }
    task = f"/dags/dagport_echo/dagRuns/{run_id}/taskInstances/echo_conf"
    xcom = await airflow_deployment.api("GET", f"{task}/xcomEntries/return_value")
    assert xcom.status_code == 200, xcom.text
    assert xcom.json()["value"] == conf
    log = await airflow_deployment.api("GET", f"{task}/logs/1")
    assert log.status_code == 200, log.text
    events = [line.get("event") for line in log.json()["content"]]
    assert 'dagport conf: {"key": "value", "nested": [1, {"two": 2}]}' in events


async def test_the_viewer_reads_but_may_not_trigger(airflow_deployment: AirflowDeployment) -> None:
    await airflow_deployment.wait_dag("dagport_echo")
    read = await airflow_deployment.api("GET", "/dags/dagport_echo", user=VIEWER)
    assert read.status_code == 200
    write = await airflow_deployment.api(
        "POST", "/dags/dagport_echo/dagRuns", user=VIEWER, json={"logical_date": None}
    )
    assert (write.status_code, write.json()) == (403, {"detail": "Forbidden"})
    wrong = await airflow_deployment.client.post("/auth/token", json={"username": "viewer", "password": "x"})
    assert wrong.status_code == 401


async def test_the_api_server_stops_and_starts_again_on_its_port(
    airflow_deployment: AirflowDeployment,
) -> None:
    token = await airflow_deployment.token()
    await airflow_deployment.stop_api_server()
    try:
        with pytest.raises(httpx.ConnectError):
            async with httpx.AsyncClient(timeout=5.0) as client:
                await client.get(f"{airflow_deployment.url}/api/v2/version")
    finally:
        await airflow_deployment.start_api_server()
    # Same port, same JWT secret: a token issued before the outage is still good after it.
    response = await airflow_deployment.client.get(
        "/api/v2/dags/dagport_echo", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    await airflow_deployment.wait_healthy()


def test_the_venv_is_cached_by_version_and_requirements(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, airflow_deployment: AirflowDeployment
) -> None:
    """A second ensure_venv reuses the venv (the fixture's made it); another requirements file or
    cache directory is another venv."""
    lines: list[str] = []
    started = time.monotonic()
    assert ensure_venv(say=lines.append) == airflow_deployment.venv
    assert time.monotonic() - started < 1.0
    assert lines == [f"venv {airflow_deployment.venv} (cached)"]
    assert airflow_deployment.venv.name.startswith(f"airflow-{airflow_version()}-")

    other = tmp_path / "airflow.txt"
    other.write_text(REQUIREMENTS.read_text() + "\n# another lock\n")
    assert venv_path(other).name != airflow_deployment.venv.name
    monkeypatch.setenv("DAGPORT_AIRFLOW_VENV_CACHE", str(tmp_path / "elsewhere"))
    assert venv_path().parent == tmp_path / "elsewhere"

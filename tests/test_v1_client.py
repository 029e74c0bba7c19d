"""Airflow 2's own Python client, apache-airflow-client 2.10.0 (its newest 2.x release, in the dev lock),
pointed at a real ``dagport serve`` in front of a real Airflow 3.3.2 whose scheduler runs what it
triggers: a DAG's whole life through /api/v1, unchanged, as a tool written for Airflow 2 drives it.
The client deserialises every answer into its typed models (and checks their types), so an answer
that does not fit Airflow 2's v1 document fails here.

Once with dagport's own token (service mode: Basic with the token as password, what a client
configured for Airflow 2's basic_auth sends) and once with the Airflow users' own credentials
(passthrough), where a viewer's write is refused 403 in v1's problem+json shape.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from airflow_client.client import ApiClient, ApiException, Configuration
from airflow_client.client.api import (
    connection_api,
    dag_api,
    dag_run_api,
    event_log_api,
    import_error_api,
    monitoring_api,
    pool_api,
    task_instance_api,
    variable_api,
    x_com_api,
)
from airflow_client.client.model.clear_task_instances import ClearTaskInstances
from airflow_client.client.model.connection import Connection
from airflow_client.client.model.dag import DAG
from airflow_client.client.model.dag_run import DAGRun
from airflow_client.client.model.list_dag_runs_form import ListDagRunsForm
from airflow_client.client.model.list_task_instance_form import ListTaskInstanceForm
from airflow_client.client.model.pool import Pool
from airflow_client.client.model.update_task_instances_state import UpdateTaskInstancesState
from airflow_client.client.model.update_task_state import UpdateTaskState
from airflow_client.client.model.variable import Variable

from tests.airflow_deployment import ADMIN, VIEWER, AirflowDeployment
from tests.processes import DAGPORT, Process, dagport_environment, free_port, wait_for_http

pytestmark = pytest.mark.airflow

TOKEN = "v1-client-test-token-0001"
ECHO = "dagport_echo"


@pytest.fixture(scope="module")
async def airflow(airflow_deployment: AirflowDeployment) -> AirflowDeployment:
    await airflow_deployment.wait_dag(ECHO)
    return airflow_deployment


async def _serve(
    airflow: AirflowDeployment, work: Path, name: str, **settings: object
) -> tuple[Process, str]:
    port = free_port()
    env = dagport_environment(
        database_url=f"sqlite:///{work / f'{name}.db'}",
        host="127.0.0.1",
        port=port,
        backend="airflow",
        airflow_url=airflow.url,
        airflow_timeout=60,
        log_level="WARNING",
        **settings,
    )
    process = Process(name, [DAGPORT, "serve"], work, env).start()
    url = f"http://127.0.0.1:{port}"
    await wait_for_http(f"{url}/health", process, within=60)
    return process, url


@pytest.fixture(scope="module")
async def service(airflow: AirflowDeployment, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    process, url = await _serve(
        airflow,
        tmp_path_factory.mktemp("v1-client-service"),
        "dagport-service",
        api_tokens=TOKEN,
        airflow_username=ADMIN[0],
        airflow_password=ADMIN[1],
    )
    yield url
    process.stop()


@pytest.fixture(scope="module")
async def passthrough(
    airflow: AirflowDeployment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    process, url = await _serve(
        airflow,
        tmp_path_factory.mktemp("v1-client-passthrough"),
        "dagport-passthrough",
        airflow_auth="passthrough",
    )
    yield url
    process.stop()


@contextmanager
def api_client(url: str, username: str, password: str) -> Iterator[ApiClient]:
    configuration = Configuration(host=f"{url}/api/v1", username=username, password=password)
    with ApiClient(configuration) as client:
        yield client


def life_cycle(client: ApiClient, run_id: str, marker: str) -> dict[str, object]:
    """A DAG's life as a tool written for Airflow 2 drives it; returns what it saw."""
    dags, runs, tis = (
        dag_api.DAGApi(client),
        dag_run_api.DAGRunApi(client),
        task_instance_api.TaskInstanceApi(client),
    )
    seen: dict[str, object] = {}

    listed = dags.get_dags(limit=100)
    seen["dags"] = sorted(d.dag_id for d in listed.dags)
    dag = dags.get_dag(ECHO)
    seen["dag"] = (dag.dag_id, dag.is_active)
    dags.patch_dag(ECHO, DAG(is_paused=True), update_mask=["is_paused"])
    seen["paused"] = dags.get_dag(ECHO).is_paused
    dags.patch_dag(ECHO, DAG(is_paused=False), update_mask=["is_paused"])
    seen["unpaused"] = not dags.get_dag(ECHO).is_paused
    seen["tasks"] = sorted(t.task_id for t in dags.get_tasks(ECHO).tasks)

    when = datetime(2025, 3, 1, tzinfo=UTC).replace(second=len(marker))
    created = runs.post_dag_run(ECHO, DAGRun(dag_run_id=run_id, execution_date=when, conf={"marker": marker}))
    seen["created"] = (created.dag_run_id, created.execution_date, created.conf)
    deadline = time.monotonic() + 180
    while True:
        state = str(runs.get_dag_run(ECHO, run_id).state)
        if state in ("success", "failed") or time.monotonic() > deadline:
            break
        time.sleep(1)
    seen["state"] = state

    instances = tis.get_task_instances(ECHO, run_id)
    seen["task_instances"] = sorted((t.task_id, str(t.state)) for t in instances.task_instances)
    log = tis.get_log(ECHO, run_id, "echo_conf", 1, full_content=True)
    seen["logged"] = f'"marker": "{marker}"' in log.content
    xcom = x_com_api.XComApi(client).get_xcom_entry(
        ECHO, run_id, "echo_conf", "return_value", deserialize=True, stringify=False
    )
    seen["xcom"] = xcom.value

    batch = runs.get_dag_runs_batch(ListDagRunsForm(dag_ids=[ECHO], page_limit=100))
    seen["batch_runs"] = run_id in {r.dag_run_id for r in batch.dag_runs}
    batch_tis = tis.get_task_instances_batch(ListTaskInstanceForm(dag_ids=[ECHO], dag_run_ids=[run_id]))
    seen["batch_tis"] = sorted(t.task_id for t in batch_tis.task_instances)

    cleared = dags.post_clear_task_instances(
        ECHO, ClearTaskInstances(dry_run=True, only_failed=False, dag_run_id=run_id, task_ids=["echo_conf"])
    )
    seen["cleared"] = sorted(t.task_id for t in cleared.task_instances)
    marked = dags.post_set_task_instances_state(
        ECHO,
        UpdateTaskInstancesState(
            dry_run=True,
            task_id="echo_conf",
            dag_run_id=run_id,
            include_upstream=False,
            include_downstream=False,
            include_future=False,
            include_past=False,
            new_state=UpdateTaskState("failed"),
        ),
    )
    seen["marked"] = sorted(t.task_id for t in marked.task_instances)

    pools = pool_api.PoolApi(client)
    name = f"client_pool_{marker}"
    pools.post_pool(Pool(name=name, slots=3, description="made by the v1 client"))
    pools.patch_pool(name, Pool(name=name, slots=5), update_mask=["slots"])
    seen["pool"] = (pools.get_pool(name).slots, name in {p.name for p in pools.get_pools().pools})
    pools.delete_pool(name)

    variables = variable_api.VariableApi(client)
    key = f"client_var_{marker}"
    variables.post_variables(Variable(key=key, value="one"))
    variables.patch_variable(key, Variable(key=key, value="two"))
    seen["variable"] = variables.get_variable(key).value
    variables.delete_variable(key)

    connections = connection_api.ConnectionApi(client)
    conn_id = f"client_conn_{marker}"
    connections.post_connection(Connection(connection_id=conn_id, conn_type="http", host="example.com"))
    connections.patch_connection(conn_id, Connection(connection_id=conn_id, conn_type="http", port=8443))
    found = connections.get_connection(conn_id)
    seen["connection"] = (found.host, found.port)
    connections.delete_connection(conn_id)

    monitoring = monitoring_api.MonitoringApi(client)
    seen["health"] = str(monitoring.get_health().metadatabase.status)
    seen["version"] = monitoring.get_version().version.split(".")[0]
    seen["import_errors"] = import_error_api.ImportErrorApi(client).get_import_errors().total_entries >= 0
    seen["event_logs"] = event_log_api.EventLogApi(client).get_event_logs(limit=5).total_entries > 0
    return seen


def expected(run_id: str, marker: str) -> dict[str, object]:
    return {
        "dag": (ECHO, True),
        "paused": True,
        "unpaused": True,
        "tasks": ["echo_conf", "prepare"],
        "state": "success",
        "task_instances": [("echo_conf", "success"), ("prepare", "success")],
        "logged": True,
        "xcom": {"marker": marker},
        "batch_runs": True,
        "batch_tis": ["echo_conf", "prepare"],
        "cleared": ["echo_conf"],
        "marked": ["echo_conf"],
        "pool": (5, True),
        "variable": "two",
        "connection": ("example.com", 8443),
        "health": "healthy",
        "version": "3",
        "import_errors": True,
        "event_logs": True,
    }


async def test_a_dags_life_through_the_v1_client_with_dagport_s_token(service: str) -> None:
    with api_client(service, "anyone", TOKEN) as client:
        seen = await asyncio.to_thread(life_cycle, client, "client_service_run", "service")
    created = seen.pop("created")
    assert created == ("client_service_run", datetime(2025, 3, 1, 0, 0, 7, tzinfo=UTC), {"marker": "service"})
    assert ECHO in seen.pop("dags")  # type: ignore[operator]
    assert seen == expected("client_service_run", "service")


async def test_a_dags_life_through_the_v1_client_with_airflow_credentials(passthrough: str) -> None:
    with api_client(passthrough, *ADMIN) as client:
        seen = await asyncio.to_thread(life_cycle, client, "client_passthrough_run", "passthrough")
    seen.pop("created")
    assert ECHO in seen.pop("dags")  # type: ignore[operator]
    assert seen == expected("client_passthrough_run", "passthrough")


async def test_a_viewers_write_is_403_in_v1_s_shape(passthrough: str) -> None:
    with api_client(passthrough, *VIEWER) as client:
        readable = await asyncio.to_thread(lambda: dag_api.DAGApi(client).get_dag(ECHO).dag_id)
        assert readable == ECHO
        with pytest.raises(ApiException) as refused:
            await asyncio.to_thread(pool_api.PoolApi(client).post_pool, Pool(name="viewer_pool", slots=1))
    assert refused.value.status == 403
    assert refused.value.headers["Content-Type"] == "application/problem+json"
    assert json.loads(refused.value.body)["title"] == "Forbidden"
    with api_client(passthrough, ADMIN[0], "wrong") as client, pytest.raises(ApiException) as wrong:
        await asyncio.to_thread(dag_api.DAGApi(client).get_dags)
    assert wrong.value.status == 403

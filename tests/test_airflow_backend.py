"""dagport in front of a real Airflow 3 (``DAGPORT_BACKEND=airflow``): what Airflow itself shows of
what dagport did, what a client triggers run by Airflow's scheduler, and what only this backend has
(its links, what Airflow 3 hides, assets as lineage, credentials, coalescing, outages).

The experimental contract itself is checked in this world by the conformance suite
(tests/conformance/), as in every other.

Airflow is the one tests/airflow_deployment.py starts (api-server, scheduler, dag-processor,
LocalExecutor, the DAGs of tests/airflow_dags/); dagport runs in process in front of it, its own
database (tokens, ids) a SQLite file. The outage tests stop Airflow's api-server and start it again:
they come last in this module.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.db import migrate
from app.db.engine import create_engine
from app.main import create_app
from tests.airflow_deployment import ADMIN, VIEWER, AirflowDeployment

pytestmark = pytest.mark.airflow

TOKEN = "airflow-mode-test-token-0001"
ECHO = "dagport_echo"
FINISHED = ("success", "failed")


@pytest.fixture(scope="module")
async def dagport_db(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('dagport-front') / 'dagport.db'}"
    engine = create_engine(Settings(database_url=url))
    await migrate.upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def airflow(airflow_deployment: AirflowDeployment) -> AirflowDeployment:
    for dag_id in ("dagport_echo", "dagport_assets", "dagport_pool", "dagport_slow"):
        await airflow_deployment.wait_dag(dag_id)
    return airflow_deployment


@pytest.fixture(scope="module")
def front(airflow: AirflowDeployment, dagport_db: AsyncEngine) -> Callable[..., Any]:
    """An app in front of the test Airflow, with settings overridden as given."""

    def build(**overrides: Any) -> Any:
        values: dict[str, Any] = {
            "database_url": str(dagport_db.url),
            "api_tokens": TOKEN,
            "backend": "airflow",
            "airflow_url": airflow.url,
            "airflow_username": ADMIN[0],
            "airflow_password": ADMIN[1],
            # Airflow's one api-server worker shares two cores with the scheduler, the task runners
            # and the other half of the suite: its answers can take seconds.
            "airflow_timeout": 60,
            **overrides,
        }
        return create_app(Settings(**values), engine=dagport_db)

    return build


@asynccontextmanager
async def client(app: Any, headers: dict[str, str] | None = None) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://dagport.test/api/experimental",
        headers={"Authorization": f"Bearer {TOKEN}"} if headers is None else headers,
        timeout=60,
    ) as c:
        yield c
    backend = app.state.backend
    await backend.aclose()


@pytest.fixture
async def api(front: Callable[..., Any]) -> AsyncIterator[httpx.AsyncClient]:
    async with client(front()) as c:
        yield c


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def wait_state(api: httpx.AsyncClient, dag_id: str, date: str, within: float = 120.0) -> str:
    """Polls the run's state through dagport, as a legacy client does, until it has finished."""
    deadline = time.monotonic() + within
    while True:
        response = await api.get(f"/dags/{dag_id}/dag_runs/{date}")
        assert response.status_code == 200, response.text
        state = response.json()["state"]
        if state in FINISHED or time.monotonic() > deadline:
            return state
        await asyncio.sleep(0.5)


async def trigger(api: httpx.AsyncClient, dag_id: str, **body: Any) -> dict[str, Any]:
    response = await api.post(f"/dags/{dag_id}/dag_runs", json=body)
    assert response.status_code == 200, response.text
    return response.json()


# -- the seed's client, unchanged: trigger with a string conf, poll until Airflow has run it ---------


async def test_a_trigger_with_a_string_conf_is_run_by_airflow_to_success(
    api: httpx.AsyncClient, airflow: AirflowDeployment
) -> None:
    triggered = await trigger(api, ECHO, conf='{"key": "value", "n": 1}')
    date, run_id = triggered["execution_date"], triggered["run_id"]
    assert run_id == f"manual__{date}"
    assert triggered["message"].startswith(f"Created <DagRun {ECHO} @ ")
    assert triggered["message"].endswith(". externally triggered: True>")
    assert await wait_state(api, ECHO, date) == "success"

    # Airflow's own record: the conf reached the run and the second task returned it.
    run = (await airflow.api("GET", f"/dags/{ECHO}/dagRuns/{run_id}")).json()
    assert run["conf"] == {"key": "value", "n": 1}
    xcom = await airflow.api(
        "GET", f"/dags/{ECHO}/dagRuns/{run_id}/taskInstances/echo_conf/xcomEntries/return_value"
    )
    assert xcom.json()["value"] == {"key": "value", "n": 1}

    ti = await api.get(f"/dags/{ECHO}/dag_runs/{date}/tasks/echo_conf")
    assert ti.status_code == 200, ti.text
    info = ti.json()
    assert (info["state"], info["run_id"], info["dag_id"], info["try_number"]) == (
        "success",
        run_id,
        ECHO,
        "1",
    )
    assert set(info) == {
        "task_id", "dag_id", "run_id", "execution_date", "start_date", "end_date", "duration", "state",
        "try_number", "max_tries", "hostname", "unixname", "job_id", "pool", "pool_slots", "queue",
        "priority_weight", "operator", "queued_dttm", "pid", "executor_config", "updated_at",
    }  # fmt: skip
    assert all(isinstance(v, str) for v in info.values())
    assert info["queued_dttm"] != "None" and (info["job_id"], info["updated_at"]) == ("None", "None")


async def test_listings_link_to_airflow_3_s_run_pages(
    api: httpx.AsyncClient, airflow: AirflowDeployment
) -> None:
    await trigger(api, ECHO, execution_date="2025-04-01T00:00:00+00:00", run_id="listed_1")
    listing = (await api.get(f"/dags/{ECHO}/dag_runs", params={"execution_date_gte": "2025-04-01"})).json()
    mine = next(r for r in listing if r["run_id"] == "listed_1")
    assert mine["dag_run_url"] == f"{airflow.url}/dags/{ECHO}/runs/listed_1"
    triggered = await trigger(api, ECHO)
    echo = next(i for i in (await api.get("/latest_runs")).json()["items"] if i["dag_id"] == ECHO)
    assert echo["execution_date"] == triggered["execution_date"]
    assert echo["dag_run_url"] == f"{airflow.url}/dags/{ECHO}/runs/" + triggered["run_id"].replace(
        ":", "%3A"
    ).replace("+", "%2B")


async def test_task_info_rebuilds_upstream_ids_and_names_what_airflow_3_hides(api: httpx.AsyncClient) -> None:
    """Upstream ids from the other tasks' downstream ids; inlets and outlets from the assets that
    name the task ("[]" for none, as Airflow 2 showed); what Airflow 3 does not expose: "None"."""
    response = await api.get(f"/dags/{ECHO}/tasks/echo_conf")
    assert response.status_code == 200, response.text
    info = response.json()
    assert info["upstream_task_ids"] == "{'prepare'}"
    assert info["downstream_task_ids"] == "set()"
    assert (info["retries"], info["retry_delay"], info["start_date"]) == (
        "0",
        "0:05:00",
        "2024-01-01 00:00:00+00:00",
    )
    for hidden in ("email", "email_on_failure", "email_on_retry", "max_retry_delay"):
        assert info[hidden] == "None", hidden
    assert (info["inlets"], info["outlets"]) == ("[]", "[]")
    asset = "{'type': 'Asset', 'uri': 'dagport://example/out', 'name': 'dagport://example/out'}"
    produce = (await api.get("/dags/dagport_assets/tasks/produce")).json()
    consume = (await api.get("/dags/dagport_assets/tasks/consume")).json()
    assert (produce["inlets"], produce["outlets"]) == ("[]", f"[{asset}]")
    assert (consume["inlets"], consume["outlets"]) == (f"[{asset}]", "[]")
    prepare = (await api.get(f"/dags/{ECHO}/tasks/prepare")).json()
    assert (prepare["operator"], prepare["downstream_task_ids"]) == ("BashOperator", "{'echo_conf'}")


async def test_run_and_task_instance_state_updates_go_to_airflow(
    api: httpx.AsyncClient, airflow: AirflowDeployment
) -> None:
    date = "2025-06-01T00:00:00+00:00"
    await trigger(api, "dagport_slow", execution_date=date, run_id="patched")
    failed = await api.patch(f"/dags/dagport_slow/dag_runs/{date}", json={"state": "failed"})
    assert failed.status_code == 200, failed.text
    assert (failed.json()["state"], failed.json()["run_id"]) == ("failed", "patched")
    assert (await airflow.api("GET", "/dags/dagport_slow/dagRuns/patched")).json()["state"] == "failed"

    # Failing the run skipped its unstarted task instance; reporting that state again is a no-op.
    skipped = await api.patch(f"/dags/dagport_slow/dag_runs/{date}/tasks/sleep", json={"state": "skipped"})
    assert (skipped.status_code, skipped.json()["state"]) == (200, "skipped")
    done = await api.patch(f"/dags/dagport_slow/dag_runs/{date}/tasks/sleep", json={"state": "success"})
    assert (done.status_code, done.json()["state"]) == (200, "success"), done.text
    seen = await airflow.api("GET", "/dags/dagport_slow/dagRuns/patched/taskInstances/sleep")
    assert seen.json()["state"] == "success"


async def test_pause_and_unpause_reach_airflow(api: httpx.AsyncClient, airflow: AirflowDeployment) -> None:
    assert (await api.get("/dags/dagport_pool/paused/true")).json() == {"response": "ok"}
    assert (await airflow.api("GET", "/dags/dagport_pool")).json()["is_paused"] is True
    assert (await api.get("/dags/dagport_pool/paused")).json() == {"is_paused": True}
    assert (await api.get("/dags/dagport_pool/paused/False")).json() == {"response": "ok"}
    assert (await airflow.api("GET", "/dags/dagport_pool")).json()["is_paused"] is False


async def test_a_dag_id_never_steers_the_service_account_to_other_endpoints(
    api: httpx.AsyncClient, airflow: AirflowDeployment
) -> None:
    """The review's attack: `.?dag_id_pattern=~` once made dagport PATCH /api/v2/dags?dag_id_pattern=~
    (every DAG) with its service account; `..` and `~` reached other endpoints. Each is a 404 with
    the lookup's text, and no DAG's pause state moves."""

    async def pause_states() -> dict[str, bool]:
        dags = (await airflow.api("GET", "/dags", params={"limit": 100})).json()["dags"]
        return {d["dag_id"]: d["is_paused"] for d in dags}

    before = await pause_states()
    for encoded, dag_id in (
        ("%2E%3Fdag_id_pattern=~", ".?dag_id_pattern=~"),
        ("%2E", "."),
        ("%2E%2E", ".."),
        ("~", "~"),
        ("%2E%2E%3Fx", "..?x"),
    ):
        for value in ("true", "false"):
            answer = await api.get(f"/dags/{encoded}/paused/{value}")
            assert (answer.status_code, answer.json()["error"]) == (404, f"Dag id {dag_id} not found"), (
                encoded
            )
        listing = await api.get(f"/dags/{encoded}/dag_runs")
        assert listing.json()["error"] == f"Dag id {dag_id} not found in DagModel", encoded
    assert await pause_states() == before
    assert (await api.get("/pools/%2E%2E")).json()["error"] == "Pool '..' doesn't exist"


async def test_pools_round_trip_into_airflow(api: httpx.AsyncClient, airflow: AirflowDeployment) -> None:
    created = await api.post(
        "/pools", json={"name": "dagport_pool", "slots": "3", "description": "made by dagport"}
    )
    assert created.status_code == 200, created.text
    pool = created.json()
    assert {k: pool[k] for k in ("pool", "slots", "description", "include_deferred")} == {
        "pool": "dagport_pool", "slots": 3, "description": "made by dagport", "include_deferred": False,
    }  # fmt: skip
    seen = (await airflow.api("GET", "/pools/dagport_pool")).json()
    assert (seen["slots"], seen["description"]) == (3, "made by dagport")

    updated = (await api.post("/pools", json={"name": "dagport_pool", "slots": 5})).json()
    assert (updated["id"], updated["slots"], updated["description"]) == (pool["id"], 5, "made by dagport")
    assert (await airflow.api("GET", "/pools/dagport_pool")).json()["slots"] == 5

    listed = (await api.get("/pools")).json()
    assert [p["pool"] for p in listed][:1] == ["default_pool"]
    assert [p["id"] for p in listed] == sorted(p["id"] for p in listed)
    assert (await api.get("/pools/dagport_pool")).json() == updated

    # The pool exists, so the DAG that needs it runs.
    triggered = await trigger(api, "dagport_pool")
    assert await wait_state(api, "dagport_pool", triggered["execution_date"]) == "success"

    deleted = await api.delete("/pools/dagport_pool")
    assert deleted.json() == updated
    assert (await airflow.api("GET", "/pools/dagport_pool")).status_code == 404


async def test_lineage_shows_the_assets_a_run_emitted_and_the_inlets_its_tasks_declare(
    api: httpx.AsyncClient,
) -> None:
    triggered = await trigger(api, "dagport_assets")
    date = triggered["execution_date"]
    assert await wait_state(api, "dagport_assets", date) == "success"
    response = await api.get(f"/lineage/dagport_assets/{date}/")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["message"].startswith("Lineage for dag dagport_assets at ")
    asset = {"type": "Asset", "uri": "dagport://example/out", "name": "dagport://example/out"}
    assert body["task_ids"] == {
        "produce": {"inlets": [], "outlets": [asset]},
        "consume": {"inlets": [asset], "outlets": []},
    }


async def test_a_dag_s_code_is_its_python_file_and_its_tasks_airflow_s_order(api: httpx.AsyncClient) -> None:
    code = await api.get(f"/dags/{ECHO}/code")
    assert 'dag_id="dagport_echo"' in code.text
    dag = (await api.get(f"/dags/{ECHO}")).json()
    # Airflow 3's API lists a DAG's tasks by task_id (the definition's order is not exposed).
    assert (dag["dag_id"], dag["tasks"], dag["tags"]) == (ECHO, ["echo_conf", "prepare"], ["dagport"])
    assert dag["fileloc"].endswith("tests/airflow_dags/dagport_echo.py")


async def test_info_and_readiness_name_airflow(api: httpx.AsyncClient, front: Callable[..., Any]) -> None:
    info = (await api.get("/info")).json()
    assert info["airflow_version"] == "3.3.2"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=front()), base_url="http://d") as ops:
        assert (await ops.get("/ready")).status_code == 200


async def test_delete_counts_what_airflow_removed_and_refuses_while_tasks_run(
    api: httpx.AsyncClient, airflow: AirflowDeployment
) -> None:
    triggered = await trigger(api, "dagport_slow", run_id="still_running")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ti = (await api.get(f"/dags/dagport_slow/dag_runs/{triggered['execution_date']}/tasks/sleep")).json()
        if ti.get("state") == "running":
            break
        await asyncio.sleep(0.5)
    refused = await api.delete("/dags/dagport_slow")
    assert refused.status_code == 409, refused.text

    await api.patch(
        f"/dags/dagport_slow/dag_runs/{triggered['execution_date']}/tasks/sleep", json={"state": "failed"}
    )
    runs = (await airflow.api("GET", "/dags/dagport_slow/dagRuns?limit=1")).json()["total_entries"]
    instances = (await airflow.api("GET", "/dags/dagport_slow/dagRuns/~/taskInstances?limit=1")).json()[
        "total_entries"
    ]
    deadline = time.monotonic() + 60
    while True:
        deleted = await api.delete("/dags/dagport_slow/delete_dag")
        if deleted.status_code != 409 or time.monotonic() > deadline:
            break
        await asyncio.sleep(1)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {"count": runs + instances, "message": f"Removed {runs + instances} record(s)"}
    gone = await api.delete("/dags/dagport_slow")
    assert (gone.status_code, gone.json()["error"]) == (404, "Dag id dagport_slow not found")


# -- credentials ----------------------------------------------------------------------------------------


async def test_passthrough_sends_each_caller_s_own_credentials(
    front: Callable[..., Any], airflow: AirflowDeployment
) -> None:
    app = front(airflow_auth="passthrough", airflow_username="", airflow_password="")
    async with client(app, basic(*ADMIN)) as admin:
        assert (await admin.get("/test")).status_code == 200
        assert (await admin.get(f"/dags/{ECHO}/paused")).json() == {"is_paused": False}
    async with client(front(airflow_auth="passthrough"), basic(*VIEWER)) as viewer:
        assert (await viewer.get(f"/dags/{ECHO}/paused")).status_code == 200
        refused = await viewer.get(f"/dags/{ECHO}/paused/true")
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"].startswith("Airflow refused the request")
    assert (await airflow.api("GET", f"/dags/{ECHO}")).json()["is_paused"] is False
    async with client(front(airflow_auth="passthrough"), basic(ADMIN[0], "wrong")) as wrong:
        answer = await wrong.get(f"/dags/{ECHO}/paused")
        assert answer.status_code == 401
        assert "www-authenticate" in answer.headers
        assert (await wrong.get("/test")).status_code == 401  # /test asks Airflow
    async with client(front(airflow_auth="passthrough"), {}) as nobody:
        assert (await nobody.get(f"/dags/{ECHO}/paused")).status_code == 401
        assert (await nobody.get("/test")).status_code == 401
    jwt = await airflow.token(*ADMIN)
    async with client(front(airflow_auth="passthrough"), {"Authorization": f"Bearer {jwt}"}) as bearer:
        assert (await bearer.get(f"/dags/{ECHO}/paused")).status_code == 200
    async with client(front(airflow_auth="passthrough")) as dagport_token:
        # dagport's own token means nothing to Airflow, which answers an unknown bearer token 403.
        refused = await dagport_token.get(f"/dags/{ECHO}/paused")
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"].startswith("Airflow refused the request: ")


async def test_wrong_service_credentials_are_a_502_naming_dagport(front: Callable[..., Any]) -> None:
    async with client(front(airflow_password="wrong")) as api:
        answer = await api.get(f"/dags/{ECHO}/paused")
    assert (answer.status_code, answer.json()["error"]) == (502, "Airflow refused dagport's credentials")


async def test_dagport_s_own_token_still_guards_service_mode(front: Callable[..., Any]) -> None:
    async with client(front(), {"Authorization": "Bearer wrong-token-wrong-token"}) as api:
        assert (await api.get("/test")).status_code == 401


# -- polling: coalesced, optionally cached ------------------------------------------------------------


def upstream_calls(app: Any) -> float:
    metrics = app.state.backend.client.metrics
    return sum(
        sample.value
        for metric in metrics.calls.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


async def test_concurrent_identical_polls_share_one_upstream_call(front: Callable[..., Any]) -> None:
    app = front()
    async with client(app) as api:
        date = (await trigger(api, ECHO))["execution_date"]
        before = upstream_calls(app)
        answers = await asyncio.gather(*(api.get(f"/dags/{ECHO}/dag_runs/{date}") for _ in range(32)))
        assert all(a.status_code == 200 for a in answers)
        spent = upstream_calls(app) - before
    assert spent < 32 / 2, spent  # in-process, the 32 overlap: most joined a call in flight


async def test_the_cache_serves_polls_and_a_write_drops_it(front: Callable[..., Any]) -> None:
    app = front(airflow_cache_seconds=30)
    async with client(app) as api:
        assert (await api.get("/dags/dagport_pool/paused")).json() == {"is_paused": False}
        before = upstream_calls(app)
        for _ in range(5):
            assert (await api.get("/dags/dagport_pool/paused")).json() == {"is_paused": False}
        assert upstream_calls(app) == before
        await api.get("/dags/dagport_pool/paused/true")
        assert (await api.get("/dags/dagport_pool/paused")).json() == {"is_paused": True}
        await api.get("/dags/dagport_pool/paused/false")


# -- Airflow down, and back: last, they stop Airflow's api-server ------------------------------------


async def test_airflow_down_is_a_503_and_dagport_recovers_by_itself(
    front: Callable[..., Any], airflow: AirflowDeployment
) -> None:
    app = front()
    async with (
        client(app) as api,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://d") as ops,
    ):
        assert (await api.get(f"/dags/{ECHO}/paused")).status_code == 200
        await airflow.stop_api_server()
        try:
            down = await api.get(f"/dags/{ECHO}/paused")
            assert down.status_code == 503
            assert down.json()["error"] == "Airflow refused the connection"
            ready = await ops.get("/ready")
            assert (ready.status_code, ready.json()) == (503, {"error": "Airflow unavailable"})
            assert (await ops.get("/health")).status_code == 200
        finally:
            await airflow.start_api_server()
        await airflow.wait_healthy()
        assert (await api.get(f"/dags/{ECHO}/paused")).status_code == 200
        assert (await ops.get("/ready")).status_code == 200

"""The gateway to Airflow (app/gateway/) under what a hostile or unlucky caller sends, against the
local stand-in (tests/airflow_standin.py): real HTTP, so every path is seen exactly as it reaches
Airflow. What needs a real Airflow is in tests/test_airflow_backend.py.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest
from pydantic import ValidationError

from app.airflow.backend import AirflowBackend, AirflowUnusable
from app.config import Settings
from app.db import migrate
from app.db.engine import create_engine
from app.errors import UpstreamFailure
from app.gateway import endpoints as api
from app.gateway.endpoints import ANY, Unaddressable
from app.main import create_app
from tests.airflow_standin import Raw, Seen, StandIn

TOKEN = "stand-in-gateway-token-0001"
OTHER_TOKEN = "stand-in-gateway-token-0002"
NOT_FOUND = (404, {"detail": "Not Found"}, 0.0)
HEALTHY = (200, {"metadatabase": {"status": "healthy"}}, 0.0)
RUN = {
    "dag_run_id": "r1", "dag_id": "d", "logical_date": "2025-01-01T00:00:00Z", "run_after": "2025-01-01T00:00:00Z",
    "queued_at": None, "start_date": None, "end_date": None, "state": "running", "run_type": "manual",
}  # fmt: skip


def jwt(expires_in: float = 86_400) -> str:
    """A token shaped like Airflow's (only its ``exp`` is read)."""
    claims = base64.urlsafe_b64encode(orjson.dumps({"exp": time.time() + expires_in})).decode().rstrip("=")
    return f"eyJhbGciOiJIUzI1NiJ9.{claims}.signature"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture(scope="module")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('gateway') / 'dagport.db'}"
    engine = create_engine(Settings(database_url=url))
    await migrate.upgrade(engine)
    await engine.dispose()
    return url


@asynccontextmanager
async def front(
    airflow: StandIn, database_url: str, *, headers: dict[str, str] | None = None, **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    values: dict[str, Any] = {
        "database_url": database_url,
        "api_tokens": f"{TOKEN},{OTHER_TOKEN}",
        "backend": "airflow",
        "airflow_url": airflow.url,
        "airflow_token": "a-static-token",
        **overrides,
    }
    app = create_app(Settings(**values))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://dagport.test",
        headers={"Authorization": f"Bearer {TOKEN}"} if headers is None else headers,
        timeout=30,
    ) as client:
        client.app = app  # type: ignore[attr-defined]  # for the tests that look inside
        yield client
    await app.state.backend.aclose()
    await app.state.engine.dispose()


# -- 1. a caller's dag_id never steers dagport's account to another endpoint -------------------------


def test_each_parameter_is_one_quoted_segment_and_airflow_s_own_segments_are_refused() -> None:
    assert api.DAG_RUN.at(dag_id="a?c#d e", dag_run_id="manual__2016-01-01T00:00:00+00:00").path == (
        "/api/v2/dags/a%3Fc%23d%20e/dagRuns/manual__2016-01-01T00%3A00%3A00%2B00%3A00"
    )
    assert api.DAG.at(dag_id="%2F").path == "/api/v2/dags/%252F"
    assert api.TASK_INSTANCES.at(dag_id="d", dag_run_id=ANY).path == "/api/v2/dags/d/dagRuns/~/taskInstances"
    # Airflow's server decodes %2F before it routes: "/" would split the value into segments.
    for value in (".", "..", "...", "~", "", "a/b", "x/dagRuns", "/"):
        with pytest.raises(Unaddressable, match="cannot be addressed through Airflow's REST API"):
            api.DAG.at(dag_id=value)
    # ... except where Airflow routes the parameter as a path ({variable_key:path}).
    assert api.VARIABLE.at(variable_key="team/a b").path == "/api/v2/variables/team%2Fa%20b"
    with pytest.raises(TypeError):
        api.DAG.at(dag_id="d", extra="x")


# Each experimental endpoint that takes a dag_id, as (method, path template, body).
DAG_ENDPOINTS = [
    ("GET", "/api/experimental/dags/{}/paused", None),
    ("GET", "/api/experimental/dags/{}/paused/true", None),
    ("GET", "/api/experimental/dags/{}/paused/false", None),
    ("GET", "/api/experimental/dags/{}/dag_runs", None),
    ("POST", "/api/experimental/dags/{}/dag_runs", {}),
    ("GET", "/api/experimental/dags/{}/dag_runs/2025-01-01T00:00:00+00:00", None),
    ("PATCH", "/api/experimental/dags/{}/dag_runs/2025-01-01T00:00:00+00:00", {"state": "failed"}),
    ("GET", "/api/experimental/dags/{}/tasks/t", None),
    ("GET", "/api/experimental/dags/{}/dag_runs/2025-01-01T00:00:00+00:00/tasks/t", None),
    ("PATCH", "/api/experimental/dags/{}/dag_runs/2025-01-01T00:00:00+00:00/tasks/t", {"state": "success"}),
    ("GET", "/api/experimental/dags/{}", None),
    ("DELETE", "/api/experimental/dags/{}", None),
    ("DELETE", "/api/experimental/dags/{}/delete_dag", None),
    ("GET", "/api/experimental/dags/{}/code", None),
    ("GET", "/api/experimental/lineage/{}/2025-01-01T00:00:00+00:00", None),
]
HOSTILE_IDS = [".?dag_id_pattern=~", ".", "..", "~", "a/b", "x#y", "%2F", "x?y", "..%2Fpools"]


async def test_a_hostile_dag_id_reaches_airflow_only_as_its_own_quoted_segment(database_url: str) -> None:
    """The review's attack (`/dags/%2E%3Fdag_id_pattern=~/paused/true` paused every DAG with the
    service account) and its variants, on every endpoint: dot-only and `~` ids reach Airflow not
    at all (404 with the lookup's text); the others only as one segment after `/api/v2/dags/`."""
    airflow = StandIn({})  # every path: 404
    async with airflow, front(airflow, database_url) as dagport:
        for dag_id in HOSTILE_IDS:
            for method, template, body in DAG_ENDPOINTS:
                before = len(airflow.seen)
                # %2E: the test's own client would remove a literal "." or ".." segment
                path = template.format(quote(dag_id, safe="").replace(".", "%2E"))
                answer = await dagport.request(method, path, json=body)
                where = f"{method} {path}"
                assert answer.status_code in (400, 404), where
                error = answer.json()["error"]
                calls = airflow.seen[before:]
                if error == "Not Found":  # a decoded "/" matched no route of dagport's
                    assert calls == [], where
                else:
                    assert dag_id in error, where
                if dag_id in (".", "..", "~"):
                    assert calls == [], where
                for call in calls:
                    assert (
                        call.path.startswith(f"/api/v2/dags/{quote(dag_id, safe='')}/")
                        or (call.path == f"/api/v2/dags/{quote(dag_id, safe='')}")
                        or call.path == f"/api/v2/dagSources/{quote(dag_id, safe='')}"
                    ), (where, call)
                    assert "dag_id_pattern" not in call.query, (where, call)
                    if call.method != "GET":
                        assert call.path == f"/api/v2/dags/{quote(dag_id, safe='')}", (where, call)


async def test_a_pool_name_with_a_slash_is_refused_before_airflow_creates_it(database_url: str) -> None:
    """Airflow would create it (the name is in the body) but never find it again at a path."""
    airflow = StandIn({})
    async with airflow, front(airflow, database_url) as dagport:
        created = await dagport.post("/api/experimental/pools", json={"name": "team/etl", "slots": 2})
    assert (created.status_code, created.json()["error"]) == (
        400,
        "The pool name 'team/etl' cannot be addressed through Airflow's REST API",
    )
    assert airflow.seen == []


async def test_a_run_whose_id_airflow_cannot_address_is_refused_clearly(database_url: str) -> None:
    dotted = {**RUN, "dag_run_id": "."}
    airflow = StandIn(
        {
            "/api/v2/dags/d/dagRuns": (200, {"dag_runs": [dotted], "total_entries": 1}, 0.0),
            "/api/v2/dags/d/tasks/t": (200, {"task_id": "t"}, 0.0),
        }
    )
    async with airflow, front(airflow, database_url) as dagport:
        state = await dagport.get("/api/experimental/dags/d/dag_runs/2025-01-01T00:00:00+00:00")
        assert state.json() == {"state": "running"}
        for method, path, body in (
            ("PATCH", "/api/experimental/dags/d/dag_runs/2025-01-01T00:00:00+00:00", {"state": "failed"}),
            (
                "PATCH",
                "/api/experimental/dags/d/dag_runs/2025-01-01T00:00:00+00:00/tasks/t",
                {"state": "success"},
            ),
        ):
            answer = await dagport.request(method, path, json=body)
            assert answer.status_code == 400
            assert answer.json()["error"].startswith(
                "The run_id '.' cannot be addressed through Airflow's REST API"
            )
        triggered = await dagport.post("/api/experimental/dags/d/dag_runs", json={"run_id": ".."})
        assert triggered.status_code == 400
        assert triggered.json()["error"].startswith("The run_id '..' cannot be addressed")
    assert {(s.method, s.path) for s in airflow.seen} <= {
        ("GET", "/api/v2/dags/d/dagRuns"),
        ("GET", "/api/v2/dags/d/tasks/t"),
    }


# -- 2, 7, 9, 10. passthrough credentials -------------------------------------------------------------


def token_route(tokens: list[str], refuse: Callable[[], bool] = lambda: False, delay: float = 0.0):
    def route(seen: Seen) -> tuple[int, Any, float]:
        if refuse():
            return 401, {"detail": "Invalid credentials"}, delay
        tokens.append(orjson.loads(seen.body)["username"])
        return 201, {"access_token": jwt()}, delay

    return route


def needs_bearer(seen: Seen) -> tuple[int, Any, float]:
    if not seen.headers.get("authorization", "").startswith("Bearer "):
        return 401, {"detail": "Not authenticated"}, 0.0
    if seen.method == "PATCH":
        return 200, {"dag_id": "d", "is_paused": True}, 0.0
    return 200, {"dag_id": "d", "is_paused": False}, 0.0


async def test_a_changed_password_is_seen_within_the_recheck_interval(database_url: str) -> None:
    exchanged: list[str] = []
    refused = False
    airflow = StandIn(
        {"/auth/token": token_route(exchanged, lambda: refused), "/api/v2/dags/d": needs_bearer}
    )
    settings = {"airflow_auth": "passthrough", "airflow_token": "", "airflow_recheck_seconds": 0.5}
    async with (
        airflow,
        front(airflow, database_url, headers={"Authorization": basic("u", "p")}, **settings) as c,
    ):
        for _ in range(3):
            assert (await c.get("/api/experimental/dags/d/paused")).status_code == 200
        assert exchanged == ["u"]  # the token is kept between requests...
        refused = True  # the password changes in Airflow
        await asyncio.sleep(0.6)
        answer = await c.get("/api/experimental/dags/d/paused")  # ...but not past the interval
        assert (answer.status_code, answer.json()["error"]) == (
            401,
            "Airflow refused the credentials: Invalid credentials",
        )


async def test_concurrent_requests_share_one_exchange_and_its_failure(database_url: str) -> None:
    exchanged: list[str] = []
    airflow = StandIn({"/auth/token": token_route(exchanged, delay=2.0), "/api/v2/dags/d": needs_bearer})
    settings = {"airflow_auth": "passthrough", "airflow_token": "", "airflow_timeout": 0.5}
    async with (
        airflow,
        front(airflow, database_url, headers={"Authorization": basic("u", "p")}, **settings) as c,
    ):
        answers = await asyncio.gather(*(c.get("/api/experimental/dags/d/paused") for _ in range(4)))
    assert [(a.status_code, a.json()["error"]) for a in answers] == [
        (504, "Airflow did not answer within 0.5 s")
    ] * 4
    assert airflow.requests == ["/auth/token"]


async def test_spellings_of_one_basic_header_share_one_exchange(database_url: str) -> None:
    exchanged: list[str] = []
    airflow = StandIn({"/auth/token": token_route(exchanged), "/api/v2/dags/d": needs_bearer})
    value = basic("u", "p").split(" ", 1)[1]
    settings = {"airflow_auth": "passthrough", "airflow_token": "", "airflow_cache_seconds": 60}
    async with airflow, front(airflow, database_url, headers={}, **settings) as c:
        for spelling in (f"Basic {value}", f"basic {value}", f"BASIC  {value}", f"  Basic {value}  "):
            answer = await c.get("/api/experimental/dags/d/paused", headers={"Authorization": spelling})
            assert answer.status_code == 200, spelling
    assert exchanged == ["u"]
    assert airflow.requests == ["/auth/token", "/api/v2/dags/d"]  # one cache space too


async def test_passthrough_test_endpoint_asks_airflow_about_the_credentials(database_url: str) -> None:
    exchanged: list[str] = []

    def dags(seen: Seen) -> tuple[int, Any, float]:
        if not seen.headers.get("authorization", "").startswith("Bearer "):
            return 401, {"detail": "Not authenticated"}, 0.0
        return 200, {"dags": [], "total_entries": 0}, 0.0

    airflow = StandIn({"/auth/token": token_route(exchanged, lambda: False), "/api/v2/dags": dags})
    settings = {"airflow_auth": "passthrough", "airflow_token": ""}
    async with airflow, front(airflow, database_url, headers={}, **settings) as c:
        anonymous = await c.get("/api/experimental/test")
        assert (anonymous.status_code, anonymous.json()["error"]) == (
            401,
            "Airflow refused the credentials: Not authenticated",
        )
        good = await c.get("/api/experimental/test", headers={"Authorization": basic("u", "p")})
        assert (good.status_code, good.json()) == (200, {"status": "OK"})


# -- 3. the read cache is bounded in bytes --------------------------------------------------------


async def test_the_read_cache_holds_at_most_its_size_in_bytes(database_url: str) -> None:
    big = {"dag_runs": [{**RUN, "dag_run_id": f"r{n}", "conf": {"pad": "x" * 10_000}} for n in range(20)]}
    airflow = StandIn(
        {
            "/api/v2/dags/d": (200, {"dag_id": "d", "is_paused": False}, 0.0),
            "/api/v2/dags/d/dagRuns": (200, {**big, "total_entries": 20}, 0.0),
        }
    )
    async with airflow, front(airflow, database_url, airflow_cache_seconds=60, airflow_cache_mb=1) as dagport:
        for offset in range(40):  # 40 distinct listings of about 200 KB each
            answer = await dagport.get(f"/api/experimental/dags/d/dag_runs?limit=5&offset={offset}")
            assert answer.status_code == 200
        client = dagport.app.state.backend.client  # type: ignore[attr-defined]
        assert 0 < client.cached_bytes <= 2**20
        again = len(airflow.seen)
        await dagport.get("/api/experimental/dags/d/dag_runs?limit=5&offset=39")  # the newest is kept
        assert len(airflow.seen) == again


# -- 4. one caller cannot starve the others, nor /ready -------------------------------------------


async def test_one_caller_s_slow_reads_leave_connections_for_others_and_ready(database_url: str) -> None:
    routes: dict[str, Any] = {
        f"/api/v2/dags/slow{n}": (200, {"dag_id": "s", "is_paused": False}, 1.0) for n in range(8)
    }
    routes["/api/v2/dags/fast"] = (200, {"dag_id": "fast", "is_paused": False}, 0.0)
    routes["/api/v2/monitor/health"] = HEALTHY
    airflow = StandIn(routes)
    async with airflow, front(airflow, database_url, airflow_max_connections=4) as dagport:
        slow = [
            asyncio.ensure_future(dagport.get(f"/api/experimental/dags/slow{n}/paused")) for n in range(8)
        ]
        await airflow.until_in_flight(2)  # the slow caller holds its share of the connections
        other = await dagport.get(
            "/api/experimental/dags/fast/paused", headers={"Authorization": f"Bearer {OTHER_TOKEN}"}
        )
        ready = await dagport.get("/ready")
        assert not any(s.done() for s in slow)  # both answered while the first slow reads were in Airflow
        assert (other.status_code, ready.status_code) == (200, 200)
        assert airflow.most_in_flight <= 2 + 1 + 1  # the slow caller's half, the other, /ready
        assert {a.status_code for a in await asyncio.gather(*slow)} == {200}


# -- 5. the work of one request is bounded; identical listings are computed once -------------------


def dag_listing(count: int) -> Callable[[Seen], tuple[int, Any, float]]:
    def route(seen: Seen) -> tuple[int, Any, float]:
        offset = int(seen.query.get("offset", ["0"])[0])
        limit = int(seen.query.get("limit", ["100"])[0])
        page = [{"dag_id": f"dag{n:05d}"} for n in range(offset, min(count, offset + min(limit, 100)))]
        return 200, {"dags": page, "total_entries": count}, 0.0

    return route


async def test_a_request_that_needs_too_many_calls_is_refused_naming_the_setting(database_url: str) -> None:
    airflow = StandIn({"/api/v2/dags": dag_listing(2000)})
    async with airflow, front(airflow, database_url) as dagport:
        for path in ("/api/experimental/latest_runs", "/api/experimental/dags?limit=10000"):
            before = len(airflow.seen)
            answer = await dagport.get(path)
            assert answer.status_code == 503, path
            assert "Retry-After" not in answer.headers
            assert answer.json()["error"] == (
                "This request needs more than 500 calls to Airflow, the most dagport makes for one request "
                "(DAGPORT_AIRFLOW_MAX_CALLS): ask for less (a smaller limit) or raise that setting"
            )
            assert {s.path for s in airflow.seen[before:]} == {"/api/v2/dags"}, path  # no walk begun
            assert len(airflow.seen) - before <= 20


async def test_identical_concurrent_latest_runs_are_computed_once(database_url: str) -> None:
    def runs(seen: Seen) -> tuple[int, Any, float]:
        dag_id = seen.path.split("/")[4]
        return 200, {"dag_runs": [{**RUN, "dag_id": dag_id}], "total_entries": 1}, 0.2

    routes: dict[str, Any] = {"/api/v2/dags": dag_listing(5)}
    routes.update({f"/api/v2/dags/dag{n:05d}/dagRuns": runs for n in range(5)})
    airflow = StandIn(routes)
    async with airflow, front(airflow, database_url) as dagport:
        answers = await asyncio.gather(*(dagport.get("/api/experimental/latest_runs") for _ in range(10)))
        metrics = (await dagport.get("/metrics")).text
    assert {(a.status_code, len(a.json()["items"])) for a in answers} == {(200, 5)}
    # nine requests joined the first one's computation as a whole (not call by call: that is 54)
    assert 'dagport_airflow_reads_spared_total{reason="coalesced"} 9.0' in metrics
    assert sorted(airflow.requests) == ["/api/v2/dags"] + [
        f"/api/v2/dags/dag{n:05d}/dagRuns" for n in range(5)
    ]


# -- 6. a refused write leaves the cache as it is -----------------------------------------------------


async def test_a_write_airflow_refused_does_not_empty_the_cache(database_url: str) -> None:
    airflow = StandIn({"/api/v2/dags/d": needs_bearer})
    settings = {"airflow_auth": "passthrough", "airflow_token": "", "airflow_cache_seconds": 60}
    async with airflow, front(airflow, database_url, headers={}, **settings) as c:
        caller = {"Authorization": "Bearer someone"}
        assert (await c.get("/api/experimental/dags/d/paused", headers=caller)).json() == {"is_paused": False}
        for _ in range(3):
            anonymous = await c.get("/api/experimental/dags/d/paused/true")
            assert anonymous.status_code == 401
        assert (await c.get("/api/experimental/dags/d/paused", headers=caller)).status_code == 200
        reads = [s for s in airflow.seen if s.method == "GET" and "authorization" in s.headers]
        assert len(reads) == 1  # the second read came from the cache
        accepted = await c.get("/api/experimental/dags/d/paused/true", headers=caller)
        assert accepted.status_code == 200
        await c.get("/api/experimental/dags/d/paused", headers=caller)
        reads = [s for s in airflow.seen if s.method == "GET" and "authorization" in s.headers]
        assert len(reads) == 2  # an accepted write drops it


# -- 8. Airflow's address stays out of answers; its userinfo out of logs ------------------------------


async def test_error_bodies_say_airflow_without_its_address(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    airflow = StandIn({"/api/v2/dags/slow": (200, {}, 2.0)})
    async with airflow, front(airflow, database_url, airflow_timeout=0.3) as dagport:
        with caplog.at_level(logging.WARNING, logger="dagport.airflow"):
            slow = await dagport.get("/api/experimental/dags/slow/paused")
    assert slow.json()["error"] == "Airflow did not answer within 0.3 s"
    assert "127.0.0.1" not in slow.text
    assert airflow.url in caplog.text  # the log names it
    async with StandIn({}) as down:
        closed = down.url
    async with front(down, database_url, airflow_url=closed) as dagport:
        refused = await dagport.get("/api/experimental/dags/d/paused")
    assert (refused.status_code, refused.json()["error"]) == (503, "Airflow refused the connection")


async def test_an_airflow_url_with_credentials_is_refused_without_printing_them(database_url: str) -> None:
    """httpx sends a URL's ``user:password@`` as HTTP Basic on every call, in place of the header
    dagport sets: every passthrough caller, anonymous ones too, would have acted as that user."""
    async with StandIn({"/api/v2/dags/d": needs_bearer}) as airflow:
        url = airflow.url.replace("http://", "http://dagport:s3cret-pass@")
        with pytest.raises(ValidationError) as refused:
            Settings(
                database_url=database_url, backend="airflow", airflow_url=url, airflow_auth="passthrough"
            )
    (problem,) = refused.value.errors()
    assert str(problem["ctx"]["error"]) == (
        "DAGPORT_AIRFLOW_URL must not hold credentials (user:password@): set "
        "DAGPORT_AIRFLOW_USERNAME and DAGPORT_AIRFLOW_PASSWORD, or DAGPORT_AIRFLOW_TOKEN"
    )
    assert "s3cret-pass" not in str(problem["ctx"]["error"])


def backend_before(airflow: StandIn, database_url: str) -> AirflowBackend:
    """dagport's Airflow backend in front of the stand-in, with a static token."""
    settings = Settings(
        database_url=database_url, backend="airflow", airflow_url=airflow.url, airflow_token="a-static-token"
    )
    return AirflowBackend(settings, create_engine(settings), None)


async def test_start_up_names_airflow_when_it_is_too_old(database_url: str) -> None:
    async with StandIn({"/api/v2/version": (200, {"version": "2.11.0"}, 0.0)}) as airflow:
        backend = backend_before(airflow, database_url)
        with pytest.raises(AirflowUnusable) as refused:
            await backend.check()
        await backend.aclose()
    assert str(refused.value) == f"Airflow at {airflow.url} is 2.11.0; dagport fronts Airflow 3.0 or newer"


# -- Airflow's own transaction failed: a read or a PATCH is sent again, a POST is not ----------------

DATABASE_ERROR = (500, {"detail": {"reason": "Database error", "statement": "hidden"}}, 0.0)


def failing_first(times: int, then: Callable[[Seen], tuple[int, Any, float]]) -> Callable[[Seen], Any]:
    """Airflow's 500 "Database error" for the first ``times`` writes, then ``then``."""
    failed = [0]

    def route(seen: Seen) -> tuple[int, Any, float]:
        if seen.method != "GET" and failed[0] < times:
            failed[0] += 1
            return DATABASE_ERROR
        return then(seen)

    return route


async def test_a_patch_that_met_a_deadlock_in_airflow_is_sent_again(database_url: str) -> None:
    airflow = StandIn({"/api/v2/dags/d": failing_first(1, needs_bearer)})
    async with airflow, front(airflow, database_url) as dagport:
        paused = await dagport.get("/api/experimental/dags/d/paused/true")
    assert paused.status_code == 200, paused.text
    assert [s.method for s in airflow.seen] == ["PATCH", "PATCH"]


async def test_a_database_error_that_persists_is_a_502_after_the_retries(database_url: str) -> None:
    airflow = StandIn({"/api/v2/dags/d": failing_first(10, needs_bearer)})
    async with airflow, front(airflow, database_url, airflow_database_retries=2) as dagport:
        paused = await dagport.get("/api/experimental/dags/d/paused/true")
    assert paused.status_code == 502
    assert paused.json()["error"].endswith(": Database error")
    assert [s.method for s in airflow.seen] == ["PATCH"] * 3
    airflow = StandIn({"/api/v2/dags/d": failing_first(1, needs_bearer)})
    async with airflow, front(airflow, database_url, airflow_database_retries=0) as dagport:
        assert (await dagport.get("/api/experimental/dags/d/paused/true")).status_code == 502


async def test_a_post_that_met_a_database_error_is_not_sent_again(database_url: str) -> None:
    airflow = StandIn({"/api/v2/pools": failing_first(1, lambda seen: NOT_FOUND)})
    async with airflow, front(airflow, database_url) as dagport:
        created = await dagport.post("/api/experimental/pools", json={"name": "p", "slots": 1})
    assert created.status_code == 502
    assert [s.method for s in airflow.seen] == ["POST"]


# -- what Airflow or the request may do mid-call --------------------------------------------------------


async def test_a_failed_fan_out_stops_calling_airflow(database_url: str) -> None:
    """latest_runs over six DAGs, two calls at a time: the first DAG's call fails at once; the
    request answers 502 and the calls not yet made are never made."""

    def runs(seen: Seen) -> tuple[int, Any, float]:
        if seen.path.split("/")[4] == "dag00000":
            return 500, {"detail": "boom"}, 0.0
        return 200, {"dag_runs": [], "total_entries": 0}, 0.5

    routes: dict[str, Any] = {"/api/v2/dags": dag_listing(6)}
    routes.update({f"/api/v2/dags/dag{n:05d}/dagRuns": runs for n in range(6)})
    airflow = StandIn(routes)
    async with airflow, front(airflow, database_url, airflow_fanout=2) as dagport:
        failed = await dagport.get("/api/experimental/latest_runs")
        await asyncio.sleep(1.5)  # time for three more rounds of two, had they been left running
    assert failed.status_code == 502
    # the two in flight, and at most the one that took the failed call's slot as it failed
    assert len([path for path in airflow.requests if path.endswith("/dagRuns")]) <= 3


async def test_a_write_cancelled_in_flight_drops_the_cache(database_url: str) -> None:
    """A write sent whose answer never came (the request cancelled: a client gone, a shutdown) may
    have been done: later reads ask Airflow again."""

    def dag(seen: Seen) -> tuple[int, Any, float]:
        if seen.method == "PATCH":
            return 200, {"dag_id": "d", "is_paused": True}, 2.0
        return 200, {"dag_id": "d", "is_paused": False}, 0.0

    airflow = StandIn({"/api/v2/dags/d": dag})
    async with airflow, front(airflow, database_url, airflow_cache_seconds=60) as dagport:
        await dagport.get("/api/experimental/dags/d/paused")
        await dagport.get("/api/experimental/dags/d/paused")  # from the cache
        assert [s.method for s in airflow.seen] == ["GET"]
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(dagport.get("/api/experimental/dags/d/paused/true"), 0.5)
        await dagport.get("/api/experimental/dags/d/paused")
    assert [s.method for s in airflow.seen] == ["GET", "PATCH", "GET"]


async def test_an_answer_that_cannot_be_decoded_is_a_502(database_url: str) -> None:
    airflow = StandIn({"/api/v2/dags/d": (200, Raw(b"not gzip at all", {"content-encoding": "gzip"}), 0.0)})
    async with airflow, front(airflow, database_url) as dagport:
        answer = await dagport.get("/api/experimental/dags/d/paused")
    assert (answer.status_code, answer.json()["error"]) == (
        502,
        "Airflow's answer could not be read (DecodingError)",
    )


async def test_a_401_on_a_public_endpoint_is_not_blamed_on_dagport_s_credentials(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """No credentials go with /version: a proxy's 401 there is Airflow failing, not a refusal."""
    airflow = StandIn({"/api/v2/version": (401, {"detail": "Not authenticated"}, 0.0)})
    async with airflow:
        backend = backend_before(airflow, database_url)
        with (
            caplog.at_level(logging.ERROR, logger="dagport.airflow"),
            pytest.raises(UpstreamFailure) as failed,
        ):
            await backend.client.get_public(api.VERSION)
        await backend.aclose()
    assert str(failed.value) == "Airflow answered 401"
    assert "DAGPORT_AIRFLOW_USERNAME" not in caplog.text

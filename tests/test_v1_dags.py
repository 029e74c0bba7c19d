"""/api/v1's DAG operations (dags, tasks, dagSources, parseDagFile, dagStats, dagWarnings,
importErrors) beyond what the replay of Airflow 2.11's recording pins down (tests/test_v1_replay.py):
v1's forms of Airflow 3's values, dagport's file tokens, the calls each operation makes (against the
local stand-in, tests/airflow_standin.py), and the operations against the real Airflow 3.3.2 of the
``v1_airflow`` fixture in both credential modes. The tests that use that Airflow leave it as they
found it (the replay and the harness's state check run after them on the same deployment): they
read the reference DAGs, and what they pause they pause back."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.config import Settings
from app.db import migrate
from app.db.engine import create_engine
from app.db.repositories.secret_keys import SecretKeys
from app.errors import Invalid
from app.gateway.models.dags import DagDetails
from app.routers.v1.dag_sources import source_media_type
from app.schemas.v1 import dags as v1_dags
from app.schemas.v1.dags import dataset_expression, is_paused_of, owners, params, schedule_interval
from app.services.v1.context import V1Context
from app.services.v1.file_tokens import FileTokens
from tests.airflow_deployment import VIEWER, AirflowDeployment
from tests.airflow_standin import Seen, StandIn
from tests.v1_fixtures import ADMIN, FORBIDDEN, basic, dagport, database_fixture, problem
from tests.v1_state import V1_DAGS_FOLDER

TOKEN = "v1-dags-token-000001"
# The reference DAGs tagged "reference" (the replay deletes throwaway_dag, not one of them).
REFERENCE_TAGGED = ["dataset_consumer", "dataset_producer", "example_bash", "lineage_dag", "xcom_dag"]


BEARER = {"Authorization": f"Bearer {TOKEN}"}
# dagport's own token in front of the stand-in (service mode: dagport calls Airflow with its own token).
SERVICE = {"airflow_auth": "service", "airflow_token": "a-static-token", "api_tokens": TOKEN}


database_url = database_fixture("v1-dags")


# -- v1's forms of Airflow 3's values --------------------------------------------------------------


def test_schedule_interval_is_v1_s_object_made_from_airflow_3_s_summary() -> None:
    assert schedule_interval(None) is None
    assert schedule_interval("0 0 * * *") == {"__type": "CronExpression", "value": "0 0 * * *"}
    assert schedule_interval("@daily") == {"__type": "CronExpression", "value": "@daily"}
    assert schedule_interval("Asset") == {"__type": "CronExpression", "value": "Dataset"}
    assert schedule_interval("Asset or 0 4 * * *") == {
        "__type": "CronExpression",
        "value": "Dataset or 0 4 * * *",
    }
    for delta in (
        timedelta(minutes=5),
        timedelta(days=2, hours=3, microseconds=7),
        timedelta(days=-1, hours=23),
    ):
        assert schedule_interval(str(delta)) == {
            "__type": "TimeDelta",
            "days": delta.days,
            "seconds": delta.seconds,
            "microseconds": delta.microseconds,
        }
    assert schedule_interval("relativedelta(months=+1, days=-2, hour=+4)") == {
        "__type": "RelativeDelta",
        "years": 0, "months": 1, "days": -2, "leapdays": 0, "hours": 0, "minutes": 0, "seconds": 0,
        "microseconds": 0, "year": None, "month": None, "day": None, "hour": 4, "minute": None,
        "second": None, "microsecond": None,
    }  # fmt: skip


def test_owners_keep_the_leading_space_of_airflow_2_s_split() -> None:
    assert owners(["data-team", "loader", "ops"]) == ["data-team", " loader", " ops"]
    assert owners(["airflow"]) == ["airflow"]
    assert owners([]) == []


def test_asset_expressions_are_airflow_2_s_dataset_expressions() -> None:
    uri = "s3://dagport-ref/orders.csv"
    asset = {"asset": {"uri": uri, "name": uri, "group": "asset", "id": 1}}
    alias = {"alias": {"name": "orders-alias", "group": "asset"}}
    assert dataset_expression({"all": [asset, {"any": [alias, asset]}]}) == {
        "all": [uri, {"any": [{"alias": "orders-alias"}, uri]}]
    }
    assert dataset_expression(None) is None


def test_params_are_dumped_as_airflow_2_dumped_a_param() -> None:
    v2 = {"n": {"value": 5, "schema": {"type": "integer"}, "description": "how many", "source": "dag"}}
    assert params(v2) == {
        "n": {
            "__class": "airflow.models.param.Param",
            "description": "how many",
            "schema": {"type": "integer"},
            "value": 5,
        }
    }
    assert params(None) == {}


def test_details_show_the_dag_s_own_start_date_and_no_owners_as_airflow_2_11_did() -> None:
    inherited = DagDetails.model_validate(
        {
            "dag_id": "d",
            "start_date": "2016-01-01T00:00:00Z",
            "default_args": {"start_date": "2016-01-01T00:00:00Z"},
            "owners": ["a", "b"],
            "template_search_path": ["/templates", "/more"],
        }
    )
    detail = v1_dags.dag_detail(inherited, "token")
    assert (detail["start_date"], detail["owners"], detail["template_searchpath"]) == (
        None,
        [],
        "['/templates', '/more']",
    )
    own = DagDetails.model_validate({"dag_id": "d", "start_date": "2016-01-02T00:00:00Z", "default_args": {}})
    assert v1_dags.dag_detail(own, "token")["start_date"] == "2016-01-02T00:00:00+00:00"


@pytest.mark.parametrize(
    ("body", "mask", "refusal"),
    [
        ([], None, "[] is not of type 'object'"),
        ({"is_paused": "maybe"}, None, "'maybe' is not of type 'boolean' - 'is_paused'"),
        ({"is_paused": 1}, None, "1 is not of type 'boolean' - 'is_paused'"),
        ({"tags": [], "dag_id": "x"}, None, "Property is read-only - 'dag_id'"),
        ({"is_paused": True, "schedule_interval": None}, None, "Property is read-only - 'schedule_interval'"),
        ({"is_paused": True, "colour": "red"}, None, "{'colour': ['Unknown field.']}"),
        ({"is_paused": True}, ["description"], "Only `is_paused` field can be updated through the REST API"),
        (
            {"is_paused": True},
            ["is_paused", "tags"],
            "Only `is_paused` field can be updated through the REST API",
        ),
        ({}, None, "{'is_paused': ['Missing data for required field.']}"),
        ({}, ["is_paused"], "{'is_paused': ['Missing data for required field.']}"),
        ({"is_paused": None}, None, "None is not of type 'boolean' - 'is_paused'"),
    ],
)
def test_patch_bodies_are_refused_with_airflow_2_s_texts(
    body: Any, mask: list[str] | None, refusal: str
) -> None:
    with pytest.raises(Invalid) as refused:
        is_paused_of(body, mask)
    assert refused.value.message == refusal


def test_patch_bodies_give_is_paused() -> None:
    assert is_paused_of({"is_paused": False}, ["is_paused"]) is False
    assert is_paused_of({"is_paused": True}, None) is True


@pytest.mark.parametrize(
    ("accept", "answered"),
    [
        (None, "text/plain"),
        ("*/*", "text/plain"),
        ("application/json", "application/json"),
        ("text/plain", "text/plain"),
        ("application/json, text/plain", "text/plain"),  # a tie: the first offered, as Werkzeug chose
        ("text/plain;q=0.5, application/json", "application/json"),
        ("text/plain;q=0.1, */*", "application/json"),  # the most specific range gives the quality
        ("application/*", "application/json"),
        ("text/*", "text/plain"),
        ("application/json;charset=utf-8", None),  # parameters must match too, as in Werkzeug
        ("text/html", None),
        ("text/plain;q=0, text/*", None),
        ("", None),
    ],
)
def test_dag_sources_choose_by_accept_as_werkzeug_chose(accept: str | None, answered: str | None) -> None:
    assert source_media_type(accept) == answered


# -- file tokens -------------------------------------------------------------------------------------


def _tokens(database_url: str, engine: Any, secret_key: str = "") -> FileTokens:
    settings = Settings(database_url=database_url, secret_key=secret_key)
    return FileTokens(V1Context(None, settings, SecretKeys(engine, settings)))  # type: ignore[arg-type]  # no client needed


async def test_file_tokens_verify_on_every_worker_of_a_deployment_and_nowhere_else(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    engine = create_engine(Settings(database_url=database_url))
    other_url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('v1-dags-other') / 'dagport.db'}"
    other_engine = create_engine(Settings(database_url=other_url))
    await migrate.upgrade(other_engine)
    try:
        # Two workers of one deployment, first used at the same moment: one key, stored once.
        first, second = _tokens(database_url, engine), _tokens(database_url, engine)
        issued, again = await asyncio.gather(first.issue("example_bash"), second.issue("example_bash"))
        assert issued == again
        assert await second.dag_id(issued) == "example_bash"
        assert await first.dag_id(await first.issue("a.dag-with_odd.chars")) == "a.dag-with_odd.chars"
        # Another deployment (its own database) does not accept it; nor a token tampered with.
        assert await _tokens(other_url, other_engine).dag_id(issued) is None
        payload, signature = issued.split(".")
        forged = base64.urlsafe_b64encode(b"xcom_dag").rstrip(b"=").decode() + "." + signature
        for bad in (forged, payload, f"{payload}.", "not-a-token", "Ii90bXAv.LFqIt27z", f"{issued}x", "é.é"):
            assert await first.dag_id(bad) is None, bad
        # DAGPORT_SECRET_KEY: the same tokens whatever the database.
        keyed = await _tokens(database_url, engine, "k" * 32).issue("example_bash")
        assert keyed != issued
        assert await _tokens(other_url, other_engine, "k" * 32).dag_id(keyed) == "example_bash"
    finally:
        await engine.dispose()
        await other_engine.dispose()


# -- the calls each operation makes (the stand-in) --------------------------------------------------


def dag(dag_id: str, *, is_paused: bool = True, **fields: Any) -> dict[str, Any]:
    return {
        "dag_id": dag_id,
        "dag_display_name": dag_id,
        "is_paused": is_paused,
        "owners": ["airflow"],
        **fields,
    }


def listing(dags: list[dict[str, Any]], total: int | None = None) -> dict[str, Any]:
    return {"dags": dags, "total_entries": len(dags) if total is None else total}


def calls(airflow: StandIn) -> list[tuple[str, str, dict[str, list[str]]]]:
    return [(s.method, s.path, s.query) for s in airflow.seen]


async def test_patch_of_a_page_that_is_not_every_match_patches_only_its_dags(database_url: str) -> None:
    def dags_route(seen: Seen) -> tuple[int, Any, float]:
        if seen.method == "GET":
            return 200, listing([dag("b_dag"), dag("c_dag")], total=5), 0.0
        return 500, {"detail": "the whole match must not be patched"}, 0.0

    def one(seen: Seen) -> tuple[int, Any, float]:
        return 200, dag(seen.path.rsplit("/", 1)[1], is_paused=json.loads(seen.body)["is_paused"]), 0.0

    async with StandIn(
        {"/api/v2/dags": dags_route, "/api/v2/dags/b_dag": one, "/api/v2/dags/c_dag": one}
    ) as airflow:
        async with dagport(database_url, airflow.url, **SERVICE) as client:
            answer = await client.patch(
                "/api/v1/dags?dag_id_pattern=_dag&limit=2&offset=1&tags=x,y",
                headers=BEARER,
                json={"is_paused": False},
            )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [(d["dag_id"], d["is_paused"]) for d in body["dags"]] == [("b_dag", False), ("c_dag", False)]
    assert body["total_entries"] == 5
    made = calls(airflow)
    assert made[0] == (
        "GET",
        "/api/v2/dags",
        {
            "exclude_stale": ["true"], "tags": ["x", "y"], "tags_match_mode": ["any"], "dag_id_pattern": ["_dag"],
            "limit": ["2"], "offset": ["1"], "order_by": ["dag_id"],
        },
    )  # fmt: skip
    assert sorted(made[1:]) == [
        ("PATCH", "/api/v2/dags/b_dag", {"update_mask": ["is_paused"]}),
        ("PATCH", "/api/v2/dags/c_dag", {"update_mask": ["is_paused"]}),
    ]


async def test_patch_of_every_match_is_one_call_and_a_tilde_is_every_dag(database_url: str) -> None:
    def dags_route(seen: Seen) -> tuple[int, Any, float]:
        if seen.method == "GET":
            return 200, listing([dag("a"), dag("b")]), 0.0
        # Airflow 3 answers its page in no order: v1's is dag_id order.
        return 200, listing([dag("b", is_paused=False), dag("a", is_paused=False)]), 0.0

    async with StandIn({"/api/v2/dags": dags_route}) as airflow:
        async with dagport(database_url, airflow.url, **SERVICE) as client:
            answer = await client.patch(
                "/api/v1/dags?dag_id_pattern=~&update_mask=is_paused&only_active=false",
                headers=BEARER,
                json={"is_paused": False},
            )
    assert answer.status_code == 200, answer.text
    assert [(d["dag_id"], d["is_paused"]) for d in answer.json()["dags"]] == [("a", False), ("b", False)]
    assert calls(airflow) == [
        (
            "GET",
            "/api/v2/dags",
            {
                "exclude_stale": ["false"],
                "dag_id_pattern": ["%"],
                "limit": ["100"],
                "offset": ["0"],
                "order_by": ["dag_id"],
            },
        ),
        (
            "PATCH",
            "/api/v2/dags",
            {
                "exclude_stale": ["false"],
                "dag_id_pattern": ["%"],
                "update_mask": ["is_paused"],
                "limit": ["100"],
                "offset": ["0"],
            },
        ),
    ]
    assert json.loads(airflow.seen[1].body) == {"is_paused": False}


async def test_patch_of_no_dag_still_lets_airflow_refuse_the_caller(database_url: str) -> None:
    def dags_route(seen: Seen) -> tuple[int, Any, float]:
        if seen.method == "GET":
            return 200, listing([], total=3), 0.0
        return 200, listing([]), 0.0

    async with StandIn({"/api/v2/dags": dags_route}) as airflow:
        async with dagport(database_url, airflow.url, **SERVICE) as client:
            answer = await client.patch(
                "/api/v1/dags?dag_id_pattern=x&offset=10", headers=BEARER, json={"is_paused": True}
            )
    assert answer.json() == {"dags": [], "total_entries": 3}
    assert calls(airflow)[1] == (
        "PATCH",
        "/api/v2/dags",
        {
            "exclude_stale": ["true"],
            "dag_id_pattern": ["~~"],
            "update_mask": ["is_paused"],
            "limit": ["100"],
            "offset": ["0"],
        },
    )


async def test_patch_of_every_match_answers_every_dag_past_airflow_s_default_page(database_url: str) -> None:
    """Airflow 3 pauses every match but answers one page of them (50 without limit): the PATCH asks
    for the page the listing read, so no DAG is shown with its state from before."""
    names = [f"d{n:02}" for n in range(60)]

    def dags_route(seen: Seen) -> tuple[int, Any, float]:
        if seen.method == "GET":
            return 200, listing([dag(n) for n in names]), 0.0
        limit, offset = int(seen.query.get("limit", ["50"])[0]), int(seen.query.get("offset", ["0"])[0])
        patched = [dag(n, is_paused=False) for n in names]
        return 200, listing(patched[offset : offset + limit], total=len(names)), 0.0

    async with StandIn({"/api/v2/dags": dags_route}) as airflow:
        async with dagport(database_url, airflow.url, **SERVICE) as client:
            answer = await client.patch(
                "/api/v1/dags?dag_id_pattern=d", headers=BEARER, json={"is_paused": False}
            )
    assert answer.status_code == 200, answer.text
    assert [(d["dag_id"], d["is_paused"]) for d in answer.json()["dags"]] == [(n, False) for n in names]
    assert [s.method for s in airflow.seen] == ["GET", "PATCH"]


async def test_patch_of_a_page_leaves_the_dags_the_caller_may_not_edit(database_url: str) -> None:
    """As Airflow 2: the DAGs the caller may edit change, the others are shown as listed (200); a
    caller that may edit none of them is refused if Airflow refuses it any DAG PATCH."""
    may_patch_dags = {"answer": (200, listing([]), 0.0)}

    def dags_route(seen: Seen) -> tuple[int, Any, float]:
        if seen.method == "GET":
            return 200, listing([dag("b_dag"), dag("c_dag")], total=5), 0.0
        return may_patch_dags["answer"]

    def one(seen: Seen) -> tuple[int, Any, float]:
        if seen.path.endswith("/c_dag") or seen.headers["authorization"] == "Bearer a-viewer":
            return 403, {"detail": "Forbidden"}, 0.0
        return 200, dag(seen.path.rsplit("/", 1)[1], is_paused=False), 0.0

    url = "/api/v1/dags?dag_id_pattern=_dag&limit=2&offset=1"
    async with StandIn(
        {"/api/v2/dags": dags_route, "/api/v2/dags/b_dag": one, "/api/v2/dags/c_dag": one}
    ) as airflow:
        async with dagport(database_url, airflow.url) as client:  # passthrough: the caller's own rights
            some = await client.patch(
                url, headers={"Authorization": "Bearer an-editor"}, json={"is_paused": False}
            )
            some_calls = sorted(calls(airflow)[1:])
            airflow.seen.clear()
            none_of_these = await client.patch(
                url, headers={"Authorization": "Bearer a-viewer"}, json={"is_paused": False}
            )
            probe = calls(airflow)[-1]
            may_patch_dags["answer"] = (403, {"detail": "Forbidden"}, 0.0)
            refused = await client.patch(
                url, headers={"Authorization": "Bearer a-viewer"}, json={"is_paused": False}
            )
    assert some.status_code == 200, some.text
    assert [(d["dag_id"], d["is_paused"]) for d in some.json()["dags"]] == [("b_dag", False), ("c_dag", True)]
    assert some_calls == [
        ("PATCH", "/api/v2/dags/b_dag", {"update_mask": ["is_paused"]}),
        ("PATCH", "/api/v2/dags/c_dag", {"update_mask": ["is_paused"]}),
    ]
    assert [(d["dag_id"], d["is_paused"]) for d in none_of_these.json()["dags"]] == [
        ("b_dag", True),
        ("c_dag", True),
    ]
    assert probe == (
        "PATCH",
        "/api/v2/dags",
        {
            "exclude_stale": ["true"], "dag_id_pattern": ["~~"], "update_mask": ["is_paused"], "limit": ["2"],
            "offset": ["0"],
        },
    )  # fmt: skip
    assert (refused.status_code, refused.json()) == (403, FORBIDDEN)


async def test_a_list_page_is_one_call_with_v1_s_pattern_kept_literal(database_url: str) -> None:
    async with StandIn({"/api/v2/dags": (200, listing([dag("a")], total=7), 0.0)}) as airflow:
        async with dagport(database_url, airflow.url, **SERVICE) as client:
            for pattern in ("a%7Cb", "~"):
                answer = await client.get(
                    f"/api/v1/dags?dag_id_pattern={pattern}&limit=0&paused=true&order_by=-dag_id",
                    headers=BEARER,
                )
                assert answer.status_code == 200
            plain = await client.get("/api/v1/dags?dag_id_pattern=%25_dag&offset=3", headers=BEARER)
    assert plain.json()["total_entries"] == 7
    expected = {"limit": ["100"], "exclude_stale": ["true"], "order_by": ["-dag_id"], "paused": ["true"]}
    assert calls(airflow) == [
        ("GET", "/api/v2/dags", {**expected, "offset": ["0"], "dag_id_pattern": ["~~"]}),
        ("GET", "/api/v2/dags", {**expected, "offset": ["0"], "dag_id_pattern": ["~~"]}),
        (
            "GET",
            "/api/v2/dags",
            {
                "limit": ["100"],
                "offset": ["3"],
                "order_by": ["dag_id"],
                "exclude_stale": ["true"],
                "dag_id_pattern": ["%_dag"],
            },
        ),
    ]


async def test_order_by_drops_every_leading_dash_as_airflow_2_did(database_url: str) -> None:
    async with StandIn({"/api/v2/dags": (200, listing([dag("a")]), 0.0)}) as airflow:
        async with dagport(database_url, airflow.url, **SERVICE) as client:
            descending = await client.get("/api/v1/dags?order_by=--dag_id", headers=BEARER)
            unknown = await client.get("/api/v1/dags?order_by=--nope", headers=BEARER)
    assert descending.status_code == 200, descending.text
    assert [s.query["order_by"] for s in airflow.seen] == [["-dag_id"]]
    assert unknown.json() == problem(
        400,
        "Ordering with 'nope' is disallowed or the attribute does not exist on the model",
        "Bad Request",
        "BadRequest",
    )


async def test_delete_while_tasks_run_and_a_deleted_dag_in_v1_s_words(database_url: str) -> None:
    routes = {
        "/api/v2/dags/busy": (
            409,
            {"detail": "Task instances of dag with id: 'busy' are still running"},
            0.0,
        ),
        "/api/v2/dags/gone": (404, {"detail": "Dag with id: gone was not found"}, 0.0),
    }
    async with StandIn(routes) as airflow:
        async with dagport(database_url, airflow.url, **SERVICE) as client:
            busy = await client.delete("/api/v1/dags/busy", headers=BEARER)
            gone = await client.delete("/api/v1/dags/gone", headers=BEARER)
            tilde = await client.delete("/api/v1/dags/~", headers=BEARER)
    assert (busy.status_code, busy.json()) == (
        409,
        problem(409, "Task instances of dag with id: 'busy' are still running", "Conflict", "AlreadyExists"),
    )
    assert (gone.status_code, gone.json()) == (
        404,
        problem(404, None, "Dag with id: 'gone' not found", "NotFound"),
    )
    # v1 took ~ as a DAG id here: no such DAG, and Airflow is not asked about its wildcard.
    assert (tilde.status_code, tilde.json()["title"]) == (404, "Dag with id: '~' not found")
    assert [s.path for s in airflow.seen] == ["/api/v2/dags/busy", "/api/v2/dags/gone"]


async def test_dag_stats_asks_about_dags_without_runs_only_when_there_are_some(database_url: str) -> None:
    stats = {
        "dags": [
            {
                "dag_id": "b",
                "dag_display_name": "b",
                "stats": [{"state": "queued", "count": 2}, {"state": "failed", "count": 1}],
            }
        ],
        "total_entries": 1,
    }
    routes = {
        "/api/v2/dagStats": (200, stats, 0.0),
        "/api/v2/dags": (200, listing([dag("a"), dag("a_b"), dag("z")]), 0.0),
    }
    async with StandIn(routes) as airflow:
        async with dagport(database_url, airflow.url, **SERVICE) as client:
            only_runs = await client.get("/api/v1/dagStats?dag_ids=b", headers=BEARER)
            first_calls = len(airflow.seen)
            mixed = await client.get("/api/v1/dagStats?dag_ids=a,b,nope,a,x%7Cy", headers=BEARER)
    zero = [{"count": 0, "state": s} for s in ("queued", "running", "success", "failed")]
    b_stats = [
        {"count": 2, "state": "queued"}, {"count": 0, "state": "running"}, {"count": 0, "state": "success"},
        {"count": 1, "state": "failed"},
    ]  # fmt: skip
    assert only_runs.json() == {"dags": [{"dag_id": "b", "stats": b_stats}], "total_entries": 1}
    assert first_calls == 1
    assert mixed.json() == {
        "dags": [{"dag_id": "a", "stats": zero}, {"dag_id": "b", "stats": b_stats}],
        "total_entries": 2,
    }
    assert calls(airflow)[1:] == [
        ("GET", "/api/v2/dagStats", {"dag_ids": ["a", "b", "nope", "x|y"]}),
        (
            "GET",
            "/api/v2/dags",
            {
                "dag_id_pattern": ["a|nope"],
                "exclude_stale": ["false"],
                "order_by": ["dag_id"],
                "limit": ["100"],
                "offset": ["0"],
            },
        ),
    ]


# -- against a real Airflow 3.3.2 (the v1 recording's state) ------------------------------------------


@pytest.fixture
async def admin(v1_airflow: AirflowDeployment, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with dagport(database_url, v1_airflow.url) as client:
        client.headers.update(ADMIN)
        yield client


@pytest.fixture
async def viewer(v1_airflow: AirflowDeployment, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with dagport(database_url, v1_airflow.url) as client:
        client.headers.update(basic(*VIEWER))
        yield client


async def _paused(v1_airflow: AirflowDeployment) -> dict[str, bool]:
    dags = (await v1_airflow.api("GET", "/dags?limit=100&order_by=dag_id")).json()["dags"]
    return {d["dag_id"]: d["is_paused"] for d in dags}


@asynccontextmanager
async def pausing_back(v1_airflow: AirflowDeployment) -> AsyncIterator[None]:
    """Every reference DAG paused again afterwards, as the recording's state has them."""
    try:
        yield
    finally:
        answer = await v1_airflow.api("PATCH", "/dags?dag_id_pattern=~", json={"is_paused": True})
        assert answer.status_code == 200, answer.text
        assert set((await _paused(v1_airflow)).values()) == {True}


async def test_service_mode_serves_v1_with_dagport_s_tokens(
    v1_airflow: AirflowDeployment, database_url: str
) -> None:
    settings = {
        "airflow_auth": "service",
        "airflow_username": "admin",
        "airflow_password": "admin",
        "api_tokens": TOKEN,
    }
    async with dagport(database_url, v1_airflow.url, **settings) as client:
        bearer = await client.get("/api/v1/dags?fields=dag_id&tags=reference", headers=BEARER)
        as_basic = await client.get(
            "/api/v1/dags/simple_dag?fields=dag_id,is_paused", headers=basic("anyone", TOKEN)
        )
        refused = await client.get("/api/v1/dags", headers=ADMIN)  # Airflow's password is not a dagport token
    assert bearer.json() == {"dags": [{"dag_id": d} for d in REFERENCE_TAGGED], "total_entries": 5}
    assert as_basic.json() == {"dag_id": "simple_dag", "is_paused": True}
    assert (refused.status_code, refused.json()) == (403, FORBIDDEN)


async def test_a_dag_is_v1_s_dag(admin: httpx.AsyncClient) -> None:
    answer = await admin.get("/api/v1/dags/simple_dag")
    assert answer.status_code == 200
    got = answer.json()
    assert got.pop("last_parsed_time").endswith("+00:00")
    token = got.pop("file_token")
    assert got == {
        "dag_display_name": "simple_dag", "dag_id": "simple_dag", "default_view": "grid", "description": None,
        "fileloc": str(V1_DAGS_FOLDER / "simple_dag.py"), "has_import_errors": False,
        "has_task_concurrency_limits": False, "is_active": True, "is_paused": True, "is_subdag": False,
        "last_expired": None, "last_pickled": None, "max_active_runs": 16, "max_active_tasks": 16,
        "max_consecutive_failed_dag_runs": 0, "next_dagrun": None, "next_dagrun_create_after": None,
        "next_dagrun_data_interval_end": None, "next_dagrun_data_interval_start": None, "owners": ["airflow"],
        "pickle_id": None, "root_dag_id": None, "schedule_interval": None, "scheduler_lock": None, "tags": [],
        "timetable_description": "Never, external triggers only",
    }  # fmt: skip
    source = await admin.get(f"/api/v1/dagSources/{token}", headers={"Accept": "text/plain"})
    assert source.text == (V1_DAGS_FOLDER / "simple_dag.py").read_text()


async def test_details_with_fields_and_their_refusal(admin: httpx.AsyncClient) -> None:
    details = await admin.get(
        "/api/v1/dags/simple_dag/details?fields=start_date,owners,orientation,concurrency,params"
    )
    assert details.json() == {
        "concurrency": 16, "orientation": "LR", "owners": [], "params": {}, "start_date": "2016-01-01T00:00:00+00:00",
    }  # fmt: skip
    unknown = await admin.get("/api/v1/dags/simple_dag/details?fields=dag_id&fields=nope&fields=zz")
    assert (unknown.status_code, unknown.json()) == (
        400,
        problem(
            400,
            "Invalid fields for <DAGDetailSchema(many=False)>: OrderedSet(['nope', 'zz']).",
            "DAGDetailSchema init error",
            "BadRequest",
        ),
    )
    one = await admin.get("/api/v1/dags/simple_dag?fields=last_parsed")  # a details field only
    assert (one.status_code, one.json()["title"], one.json()["detail"]) == (
        400,
        "DAGSchema init error",
        "Invalid fields for <DAGSchema(many=False)>: OrderedSet(['last_parsed']).",
    )
    missing = await admin.get("/api/v1/dags/no_such_dag?fields=nope")  # the DAG is looked up first
    assert missing.json()["title"] == "DAG not found"


async def test_list_filters_as_v1_read_them(admin: httpx.AsyncClient) -> None:
    async def ids(query: str) -> tuple[list[str], int]:
        answer = await admin.get(f"/api/v1/dags?fields=dag_id&{query}")
        assert answer.status_code == 200, answer.text
        return [d["dag_id"] for d in answer.json()["dags"]], answer.json()["total_entries"]

    assert await ids("dag_id_pattern=DATASET") == (["dataset_consumer", "dataset_producer"], 2)
    assert await ids("dag_id_pattern=x_om") == (["xcom_dag"], 1)  # _ is any one character
    assert await ids("dag_id_pattern=ple%25dag") == (["simple_dag"], 1)  # % any characters
    assert await ids("dag_id_pattern=simple%7Cxcom") == ([], 0)  # | is a character, as in v1
    assert await ids("dag_id_pattern=~") == ([], 0)
    assert await ids("tags=lineage&tags=xcom&order_by=-dag_id") == (["xcom_dag", "lineage_dag"], 2)
    assert await ids("paused=false") == ([], 0)
    assert await ids("paused=true&tags=reference&limit=2&offset=1") == (
        ["dataset_producer", "example_bash"],
        5,
    )
    bad_order = await admin.get("/api/v1/dags?order_by=-tags")
    assert (
        bad_order.json()["detail"]
        == "Ordering with 'tags' is disallowed or the attribute does not exist on the model"
    )
    negative = await admin.get("/api/v1/dags?limit=-5")
    assert negative.json() == problem(400, None, "Page limit must be a positive integer", "BadRequest")
    not_bool = await admin.get("/api/v1/dags?only_active=maybe")
    assert not_bool.json()["detail"] == "Wrong type, expected 'boolean' for query parameter 'only_active'"


async def test_pause_and_unpause_one_dag(admin: httpx.AsyncClient, v1_airflow: AirflowDeployment) -> None:
    async with pausing_back(v1_airflow):
        unpaused = await admin.patch(
            "/api/v1/dags/simple_dag?update_mask=is_paused", json={"is_paused": False}
        )
        assert (unpaused.status_code, unpaused.json()["is_paused"]) == (200, False)
        assert (await _paused(v1_airflow))["simple_dag"] is False
        assert (await admin.get("/api/v1/dags/simple_dag?fields=is_paused")).json() == {"is_paused": False}
        paused = await admin.patch("/api/v1/dags/simple_dag", json={"is_paused": True})
        assert paused.json()["is_paused"] is True
        missing = await admin.patch("/api/v1/dags/no_such_dag", json={"is_paused": True})
        assert (missing.status_code, missing.json()) == (
            404,
            problem(404, None, "Dag with id: 'no_such_dag' not found", "NotFound"),
        )
        not_json = await admin.patch(
            "/api/v1/dags/simple_dag", content=b"is_paused=1", headers={"Content-Type": "text/plain"}
        )
        assert not_json.status_code == 415


async def test_patch_of_many_changes_the_page_only(
    admin: httpx.AsyncClient, v1_airflow: AirflowDeployment
) -> None:
    async with pausing_back(v1_airflow):
        page = await admin.patch(
            "/api/v1/dags?dag_id_pattern=_&tags=reference&limit=2&offset=1", json={"is_paused": False}
        )
        assert page.status_code == 200, page.text
        assert [(d["dag_id"], d["is_paused"]) for d in page.json()["dags"]] == [
            ("dataset_producer", False),
            ("example_bash", False),
        ]
        assert page.json()["total_entries"] == 5
        paused = await _paused(v1_airflow)
        assert [dag_id for dag_id, is_paused in paused.items() if not is_paused] == [
            "dataset_producer",
            "example_bash",
        ]
        every = await admin.patch(
            "/api/v1/dags?dag_id_pattern=~&update_mask=is_paused", json={"is_paused": True}
        )
        assert [(d["dag_id"], d["is_paused"]) for d in every.json()["dags"]] == [(d, True) for d in paused]
        assert set((await _paused(v1_airflow)).values()) == {True}


async def test_a_viewer_reads_but_cannot_write(
    viewer: httpx.AsyncClient, v1_airflow: AirflowDeployment
) -> None:
    assert (await viewer.get("/api/v1/dags/simple_dag/tasks/noop")).status_code == 200
    token = (await viewer.get("/api/v1/dags/simple_dag?fields=file_token")).json()["file_token"]
    for method, path, body in (
        ("PATCH", "/api/v1/dags/simple_dag", {"is_paused": False}),
        ("PATCH", "/api/v1/dags?dag_id_pattern=simple", {"is_paused": False}),
        ("PATCH", "/api/v1/dags?dag_id_pattern=no_such_dag", {"is_paused": False}),  # as v1: 403, not []
        ("PATCH", "/api/v1/dags?dag_id_pattern=_&limit=1", {"is_paused": False}),  # DAG by DAG: may edit none
        ("DELETE", "/api/v1/dags/simple_dag", None),
        ("PUT", f"/api/v1/parseDagFile/{token}", None),
    ):
        answer = await viewer.request(method, path, json=body)
        assert (answer.status_code, answer.json()) == (403, FORBIDDEN), (method, path)
    assert set((await _paused(v1_airflow)).values()) == {True}  # nothing changed


async def test_tasks_ordered_and_refused_as_v1_did(admin: httpx.AsyncClient) -> None:
    descending = await admin.get("/api/v1/dags/example_bash/tasks?order_by=-task_id")
    assert [t["task_id"] for t in descending.json()["tasks"]] == ["transform", "load", "extract"]
    by_retries = await admin.get("/api/v1/dags/example_bash/tasks?order_by=-retries")
    retries = [(t["task_id"], t["retries"]) for t in by_retries.json()["tasks"]]
    assert retries[0] == ("transform", 3.0) and sorted(retries[1:]) == [("extract", 2.0), ("load", 2.0)]
    for name in ("doc_md", "no_such_attr"):
        refused = await admin.get(f"/api/v1/dags/example_bash/tasks?order_by={name}")
        assert (refused.status_code, refused.json()["detail"]) == (
            400,
            f"'SerializedBaseOperator' object has no attribute '{name}'",
        )
    no_dag = await admin.get("/api/v1/dags/no_such_dag/tasks?order_by=no_such_attr")
    assert no_dag.json() == problem(404, None, "DAG not found", "NotFound")
    no_dag_task = await admin.get("/api/v1/dags/no_such_dag/tasks/extract")
    assert no_dag_task.json() == problem(404, None, "DAG not found", "NotFound")
    task = (await admin.get("/api/v1/dags/simple_dag/tasks/noop")).json()
    assert {k: task[k] for k in ("retries", "pool_slots", "priority_weight", "retry_exponential_backoff", "extra_links")} == {
        "retries": 0.0, "pool_slots": 1.0, "priority_weight": 1.0, "retry_exponential_backoff": False, "extra_links": [],
    }  # fmt: skip


async def test_dag_sources_by_accept_and_a_parse_asked_twice(admin: httpx.AsyncClient) -> None:
    token = (await admin.get("/api/v1/dags/warning_dag?fields=file_token")).json()["file_token"]
    text = (V1_DAGS_FOLDER / "warning_dag.py").read_text()
    as_json = await admin.get(f"/api/v1/dagSources/{token}", headers={"Accept": "application/json"})
    assert (as_json.headers["content-type"], as_json.text) == (
        "application/json",
        json.dumps({"content": text}),
    )
    del admin.headers["accept"]  # no Accept at all: plain text
    plain = await admin.get(f"/api/v1/dagSources/{token}")
    assert (plain.headers["content-type"].split(";")[0], plain.text) == ("text/plain", text)
    html = await admin.get(f"/api/v1/dagSources/{token}", headers={"Accept": "text/html"})
    assert (html.status_code, html.json()) == (
        406,
        problem(406, "Not Allowed Accept Header", "Not Acceptable", "NotAcceptable"),
    )
    # A parse of warning_dag.py (which the replay does not ask for): then again, while it waits.
    first = await admin.put(f"/api/v1/parseDagFile/{token}")
    second = await admin.put(f"/api/v1/parseDagFile/{token}")
    assert (first.status_code, first.headers["content-type"], first.text) == (
        201,
        "text/html; charset=utf-8",
        "",
    )
    assert (second.status_code, second.text) == (201, "Duplicate request")
    unknown = await admin.put("/api/v1/parseDagFile/bm9fc3VjaF9kYWc.AAAA")
    assert unknown.json() == problem(404, None, "File not found", "NotFound")


async def test_dag_stats_list_dags_without_runs_with_zeros(admin: httpx.AsyncClient) -> None:
    # DAGs whose runs the replay leaves alone: warning_dag has none, lineage_dag its finished one.
    answer = await admin.get("/api/v1/dagStats?dag_ids=warning_dag,lineage_dag,no_such_dag")
    zero = {"queued": 0, "running": 0, "success": 0, "failed": 0}
    assert [(d["dag_id"], {s["state"]: s["count"] for s in d["stats"]}) for d in answer.json()["dags"]] == [
        ("warning_dag", zero),
        ("lineage_dag", {**zero, "success": 1}),
    ]
    assert answer.json()["total_entries"] == 2


async def test_dag_warnings_and_import_errors_filtered_and_paged(admin: httpx.AsyncClient) -> None:
    warning = {
        "dag_id": "warning_dag",
        "message": "Dag 'warning_dag' references non-existent pools: ['nonexistent_pool']",
        "warning_type": "non-existent pool",
    }
    found = await admin.get("/api/v1/dagWarnings?dag_id=warning_dag&warning_type=non-existent%20pool")
    assert [{k: w[k] for k in warning} for w in found.json()["dag_warnings"]] == [warning]
    assert found.json()["dag_warnings"][0]["timestamp"].endswith("+00:00")
    for query in ("dag_id=simple_dag", "warning_type=asset%20conflict", "warning_type=no%20such%20type"):
        assert (await admin.get(f"/api/v1/dagWarnings?{query}")).json() == {
            "dag_warnings": [],
            "total_entries": 0,
        }
    bad = await admin.get("/api/v1/dagWarnings?order_by=nope")
    assert (
        bad.json()["detail"]
        == "Ordering with 'nope' is disallowed or the attribute does not exist on the model"
    )

    errors = await admin.get("/api/v1/importErrors?order_by=-timestamp&limit=1")
    assert [(e["import_error_id"], e["filename"]) for e in errors.json()["import_errors"]] == [
        (1, "broken_dag.py")
    ]
    assert (await admin.get("/api/v1/importErrors?offset=1")).json() == {
        "import_errors": [],
        "total_entries": 1,
    }
    padded = await admin.get("/api/v1/importErrors/0001")
    assert padded.json()["import_error_id"] == 1
    for route_404 in ("/api/v1/importErrors/-1", "/api/v1/importErrors/1.0"):
        answer = await admin.get(route_404)
        assert (answer.status_code, answer.json()["type"]) == (404, "about:blank")


async def test_the_v1_document_describes_these_operations(admin: httpx.AsyncClient) -> None:
    document = (await admin.get("/api/v1/openapi.json")).json()
    operations: dict[tuple[str, str], dict[str, Any]] = {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    expected_tags = {
        ("GET", "/dags"): "DAG", ("PATCH", "/dags"): "DAG", ("GET", "/dags/{dag_id}"): "DAG",
        ("PATCH", "/dags/{dag_id}"): "DAG", ("DELETE", "/dags/{dag_id}"): "DAG",
        ("GET", "/dags/{dag_id}/details"): "DAG", ("GET", "/dags/{dag_id}/tasks"): "DAG",
        ("GET", "/dags/{dag_id}/tasks/{task_id}"): "DAG", ("GET", "/dagSources/{file_token}"): "DAG",
        ("PUT", "/parseDagFile/{file_token}"): "DAG", ("GET", "/dagStats"): "DagStats",
        ("GET", "/dagWarnings"): "DagWarning", ("GET", "/importErrors"): "ImportError",
        ("GET", "/importErrors/{import_error_id}"): "ImportError",
    }  # fmt: skip
    for key, tag in expected_tags.items():
        operation = operations[key]
        assert operation["tags"] == [tag], key
        assert operation["summary"] and operation["description"], key
        assert "403" in operation["responses"], key
    required = {
        key: [
            p["name"]
            for p in operations[key].get("parameters", [])
            if p.get("required") and p["in"] == "query"
        ]
        for key in (("PATCH", "/dags"), ("GET", "/dagStats"), ("GET", "/dags"))
    }
    assert required == {
        ("PATCH", "/dags"): ["dag_id_pattern"],
        ("GET", "/dagStats"): ["dag_ids"],
        ("GET", "/dags"): [],
    }
    schemas = document["components"]["schemas"]
    assert {"DAG", "DAGDetail", "DAGCollection", "Task", "TaskCollection", "ImportError"} <= set(schemas)
    assert "schedule_interval" in schemas["DAG"]["properties"]

"""Replay Airflow 2.11's recorded answers against dagport, exchange by exchange.

``tests/data/airflow-2.11-transcripts.jsonl`` holds 152 request/response pairs recorded against
Apache Airflow 2.11.2, started from the reference DAGs in ``tests/data/dags``. After building the same starting state, every
request is sent to dagport in order and its answer is checked against Airflow's: the status code,
the JSON keys, the exact error message, and every value that is not volatile (clock, database ids).

Where docs/api.md deliberately differs, the exchange is listed in ``INTENDED`` with the rule it follows
and exactly what dagport answers instead. Those answers are asserted too: an intended difference
is not a free pass.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.routers.service import VERSION
from tests.conftest import DATA_DIR, FakeClock
from tests.helpers import build_reference_state, reference_definition

TRANSCRIPTS = [
    json.loads(line) for line in (DATA_DIR / "airflow-2.11-transcripts.jsonl").read_text().splitlines()
]

BY_NAME = {exchange["name"]: exchange for exchange in TRANSCRIPTS}

# Error bodies may carry these besides "error" (docs/api.md section 1).
OPTIONAL_ERROR_KEYS = {"detail", "request_id"}
TASK_INFO_KEYS = {
    "task_id", "dag_id", "operator", "owner", "email", "email_on_failure", "email_on_retry", "retries",
    "retry_delay", "retry_exponential_backoff", "max_retry_delay", "execution_timeout", "start_date",
    "end_date", "depends_on_past", "wait_for_downstream", "pool", "pool_slots", "queue", "priority_weight",
    "weight_rule", "trigger_rule", "params", "inlets", "outlets", "doc_md", "upstream_task_ids",
    "downstream_task_ids",
}  # fmt: skip
TASK_INSTANCE_KEYS = {
    "task_id", "dag_id", "run_id", "execution_date", "start_date", "end_date", "duration", "state",
    "try_number", "max_tries", "hostname", "unixname", "job_id", "pool", "pool_slots", "queue",
    "priority_weight", "operator", "queued_dttm", "pid", "executor_config", "updated_at",
}  # fmt: skip
QUEUED_AT = re.compile(r"queued_at: ([0-9-]+ [0-9:.]+\+00:00)")
NOW_RUN_PREFIX = "manual__2026-"  # runs dated "now" by the recording clock: their ids are volatile


@dataclass(frozen=True)
class Intended:
    """A deliberate difference from Airflow: the docs/api.md rule, and what dagport answers instead."""

    rule: str
    status: int
    error: str | None = None  # exact message, for an error answer
    body: Any = None  # exact body (volatile fields excepted), for a success answer
    creates_run: bool = False  # a run Airflow did not create (it appears in later listings)
    like: str | None = None  # check against the Airflow answer of this other exchange instead
    content_type: str = "application/json"


ENVELOPE = "errors are JSON {'error': ...}, not Airflow's problem+json (docs/api.md 1)"
ROUTE_404 = Intended(ENVELOPE, 404, error="Not Found")
METHOD_405 = Intended(ENVELOPE, 405, error="Method Not Allowed")
NOT_JSON = Intended(
    "a body that is not JSON is a JSON 400, not an HTML page (docs/api.md 1)",
    400,
    "Request body is not valid JSON",
)
NOT_OBJECT = Intended(
    "a JSON body that is not an object is 400, not a 500 (docs/api.md 1)",
    400,
    "Request body must be a JSON object",
)
DATE_EXAMPLE = "could not be identified as a date. Example date format: 2015-11-16T14:34:15+00:00"
LINEAGE_BODY = {
    "message": "Lineage for dag lineage_dag at 2016-11-16 00:00:00+00:00",
    "task_ids": {
        t["task_id"]: {"inlets": t["inlets"], "outlets": t["outlets"]}
        for t in reference_definition("lineage_dag")["tasks"]
    },
}
POOL_NO_DESCRIPTION = {"description": None, "include_deferred": False, "pool": "nodesc", "slots": 1}
POOL_EXTRA_KEY = {"description": "d", "include_deferred": False, "pool": "extra", "slots": 1}

INTENDED: dict[str, Intended] = {
    "info": Intended("/info reports dagport's version (docs/api.md 3)", 200, body={"version": VERSION}),
    "test_trailing_slash": Intended(
        "a trailing slash is the same route (docs/api.md 1)", 200, body={"status": "OK"}
    ),
    "test_post_method_not_allowed": METHOD_405,
    "unknown_endpoint": ROUTE_404,
    "trigger_no_body": Intended("an empty trigger body means {} (docs/api.md 1)", 200, creates_run=True),
    "trigger_conf_string": Intended(
        "conf may be a string holding a JSON object (docs/api.md 3.1, the README's curl example)",
        200,
        creates_run=True,
    ),
    "trigger_conf_null": Intended(
        "conf null means no conf (docs/api.md 3.1); this exchange's date was taken by trigger_conf_string",
        400,
        "A DAG Run already exists for DAG example_bash at 2016-11-02 00:00:00+00:00 "
        "with run id manual__2016-11-02T00:00:00+00:00",
    ),
    "trigger_microseconds_replace_true": Intended(
        "a JSON boolean replace_microseconds is accepted (docs/api.md 3.1)",
        200,
        body={"execution_date": "2016-11-23T11:34:15+00:00", "run_id": "manual__2016-11-23T11:34:15+00:00"},
        creates_run=True,
    ),
    "trigger_microseconds_replace_false": Intended(
        "a JSON boolean replace_microseconds is accepted (docs/api.md 3.1)",
        200,
        body={
            "execution_date": "2016-11-24T11:34:15.111111+00:00",
            "run_id": "manual__2016-11-24T11:34:15.111111+00:00",
        },
        creates_run=True,
    ),
    "trigger_date_as_number": Intended(
        "a JSON number is not a date: 400, not a 500 (docs/api.md 2)",
        400,
        f"Given execution date, 1479296055, {DATE_EXAMPLE}",
    ),
    "trigger_before_start_date": Intended(
        "a date before the DAG's start_date is 400, not a 500 (docs/api.md 3.1)",
        400,
        "The execution_date [2015-06-01T00:00:00+00:00] should be >= start_date [2016-01-01T00:00:00+00:00] "
        "from DAG's default_args",
    ),
    "trigger_malformed_json": NOT_JSON,
    "trigger_form_content_type": NOT_JSON,
    "trigger_json_null_body": NOT_OBJECT,
    "trigger_json_list_body": NOT_OBJECT,
    "trigger_trailing_slash": Intended(
        "a trailing slash is the same route (docs/api.md 1)", 200, creates_run=True
    ),
    "dag_runs_put_method_not_allowed": METHOD_405,
    "dag_runs_list_state_bogus": Intended(
        "an unknown state filter is 400, not a 500 (docs/api.md 3.2)",
        400,
        "Invalid state 'bogus'; expected one of: queued, running, success, failed",
    ),
    "paused_set_garbage": Intended(
        "/paused/<x> accepts only true/false (docs/api.md 3)",
        400,
        "paused must be 'true' or 'false', got 'garbage'",
    ),
    "paused_get_after_garbage": Intended(
        "the garbage value was refused, so the DAG stays paused", 200, body={"is_paused": True}
    ),
    "paused_get_after_True_capital": Intended(
        "'True' pauses: true/false are case-insensitive (docs/api.md 3)", 200, body={"is_paused": True}
    ),
    "paused_put_method_not_allowed": METHOD_405,
    "paused_unknown_dag_get": Intended(
        "an unknown dag on /paused is 404 (docs/api.md 3)", 404, "Dag id no_such_dag not found"
    ),
    "paused_unknown_dag_set": Intended(
        "an unknown dag on /paused is 404 (docs/api.md 3)", 404, "Dag id no_such_dag not found"
    ),
    "pool_create_slots_float": Intended(
        "a float slots is 400; Airflow truncated it (docs/api.md 3.4)", 400, "Bad value for `slots`: 2.9"
    ),
    "pool_create_slots_null": Intended(
        "a null slots is 400, not a 500 (docs/api.md 3.4)", 400, "Bad value for `slots`: None"
    ),
    "pool_create_missing_description": Intended(
        "description is optional (docs/api.md 3.4)", 200, body=POOL_NO_DESCRIPTION
    ),
    "pool_create_missing_slots": Intended(
        "a missing field is 400 naming it, not a 500 (docs/api.md 3.4)", 400, "Missing required field 'slots'"
    ),
    "pool_create_missing_name": Intended(
        "a missing field is 400 naming it, not a 500 (docs/api.md 3.4)", 400, "Missing required field 'name'"
    ),
    "pool_create_extra_field": Intended(
        "extra keys are ignored (docs/api.md 1, 3.4)", 200, body=POOL_EXTRA_KEY
    ),
    "pool_create_no_body": NOT_JSON,
    "pool_create_malformed_json": NOT_JSON,
    "pool_create_list_body": NOT_OBJECT,
    "pool_delete_float_slots": Intended(
        "pool_create_slots_float was refused, so there is no such pool",
        404,
        "Pool 'float_slots' doesn't exist",
    ),
    "pools_trailing_slash": Intended(
        "a trailing slash is the same route (docs/api.md 1)", 200, like="pools_list_final"
    ),
    "pools_put_method_not_allowed": METHOD_405,
    "lineage_ok_naive": Intended(
        "lineage entities are JSON objects and the body has a message (docs/api.md 3.5)",
        200,
        body=LINEAGE_BODY,
    ),
    "lineage_ok_encoded_offset": Intended(
        "lineage entities are JSON objects and the body has a message (docs/api.md 3.5)",
        200,
        body=LINEAGE_BODY,
    ),
    "lineage_run_without_lineage": Intended(
        "the lineage body has a message (docs/api.md 3.5)",
        200,
        body={"message": "Lineage for dag example_bash at 2016-11-16 11:34:15+00:00", "task_ids": {}},
    ),
    "dag_code_example_bash": Intended(
        "/code returns the definition as submitted, as text/plain (docs/api.md 3, 4.1)",
        200,
        body=(DATA_DIR / "dags" / "example_bash.json").read_text(),
        content_type="text/plain; charset=utf-8",
    ),
    "dag_paused_throwaway_after_delete": Intended(
        "an unknown dag on /paused is 404 (docs/api.md 3)", 404, "Dag id throwaway_dag not found"
    ),
    "dag_delete_get_method_not_allowed": Intended(
        "GET /dags/{id} exists (docs/api.md 4.1); the DAG was deleted",
        404,
        "Dag id throwaway_dag not found in DagModel",
    ),
}

# Differences in a success body's shape that docs/api.md defines, checked for every exchange of that kind.
KEY_RULES = {
    "task_info": "task info has a fixed key set, plus the operator's arguments (docs/api.md 3.3)",
    "task_instance": "task-instance info has a fixed key set, with execution_date (docs/api.md 3.3)",
    "listings": "listings include the runs and pools that intended differences created",
    "headers": "the deprecation headers of Airflow 2.x are not sent",
    "entities": "lineage entities in task info are str() of JSON objects, not Airflow's reprs (docs/api.md 3.5)",
}
ENTITY_KEYS = {"inlets", "outlets"}


def _recorded_time(exchange: dict[str, Any]) -> datetime | None:
    """When Airflow handled a trigger: its queued_at, so runs dated "now" match Airflow's exactly."""
    body = exchange["response_json"]
    match = QUEUED_AT.search(body.get("message", "")) if isinstance(body, dict) else None
    return datetime.fromisoformat(match.group(1)) if match else None


def _request(exchange: dict[str, Any]) -> tuple[bytes | None, dict[str, str]]:
    content_type = exchange["request_content_type"]
    body = exchange["request_body"]
    headers = {"Content-Type": content_type} if content_type else {}
    if body is None:
        # No body at all, except where the recorder sent the JSON literal null.
        return (b"null" if content_type == "application/json" else None), headers
    return (body if isinstance(body, str) else json.dumps(body)).encode(), headers


@dataclass
class Replay:
    created_runs: dict[str, set[str]] = field(default_factory=dict)  # dag_id -> run_ids only dagport made
    extra_pools: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    intended_seen: set[str] = field(default_factory=set)

    def fail(self, exchange: dict[str, Any], problem: str) -> None:
        self.failures.append(f"{exchange['name']}: {problem}")


def _same(expected: Any, actual: Any, volatile: set[str], path: str = "") -> list[str]:
    """Differences between two JSON values, skipping volatile paths and database ids."""
    if path in volatile or path.rsplit(".", 1)[-1] in ("id",):
        return []
    if isinstance(expected, dict) and isinstance(actual, dict):
        problems = []
        for key in expected.keys() & actual.keys():
            sub = f"{path}.{key}" if path else key
            problems += _same(expected[key], actual[key], volatile, sub)
        return problems
    return [] if expected == actual else [f"{path or 'body'}: Airflow {expected!r}, dagport {actual!r}"]


def _volatile(exchange: dict[str, Any]) -> set[str]:
    return {v.replace("[*].", "").replace("items[*].", "") for v in exchange["volatile"]}


def _check_error(replay: Replay, exchange: dict[str, Any], body: Any, message: str) -> None:
    if not isinstance(body, dict) or body.get("error") != message:
        replay.fail(exchange, f"error {body!r} is not {message!r}")
    elif not set(body) <= {"error"} | OPTIONAL_ERROR_KEYS:
        replay.fail(exchange, f"error body keys {sorted(body)}")


def _check_intended(
    replay: Replay, exchange: dict[str, Any], intended: Intended, response: Any, body: Any
) -> None:
    if intended.error is not None:
        _check_error(replay, exchange, body, intended.error)
    elif isinstance(intended.body, dict):
        subset = {k: body.get(k) for k in intended.body} if isinstance(body, dict) else body
        if subset != intended.body:
            replay.fail(exchange, f"body {body!r} is not {intended.body!r}")
    elif intended.body is not None and response.text != intended.body:
        replay.fail(exchange, "body differs from the intended text")
    if intended.creates_run:
        replay.created_runs.setdefault(exchange["path"].split("/")[4], set()).add(body["run_id"])
    if exchange["name"].startswith("pool_create") and intended.status == 200:
        replay.extra_pools.add(body["pool"])


def _check_run_list(replay: Replay, exchange: dict[str, Any], expected: list[Any], actual: list[Any]) -> None:
    dag_id = exchange["path"].split("/")[4]
    extra = {r["run_id"] for r in actual} - {r["run_id"] for r in expected}
    mine_only = {r for r in extra if not r.startswith(NOW_RUN_PREFIX)}
    allowed = replay.created_runs.get(dag_id, set())
    now_extra = len([r for r in extra if r.startswith(NOW_RUN_PREFIX)])
    now_missing = len([r for r in expected if r["run_id"].startswith(NOW_RUN_PREFIX)]) - len(
        [r for r in actual if r["run_id"].startswith(NOW_RUN_PREFIX)]
    )
    state_filter = "state=" in exchange["path"] and not exchange["path"].endswith("state=")
    if not state_filter and (mine_only - allowed or len(actual) != len(expected) + len(allowed)):
        replay.fail(
            exchange,
            f"runs {len(actual)} vs Airflow {len(expected)}; unexplained {sorted(mine_only - allowed)}",
        )
    if now_missing > 0 and now_extra == 0:
        replay.fail(exchange, "runs dated now are missing")
    by_run = {r["run_id"]: r for r in actual}
    for run in expected:
        if set(run) != set(actual[0]):
            replay.fail(exchange, f"run keys {sorted(actual[0])} vs {sorted(run)}")
        if run["run_id"].startswith(NOW_RUN_PREFIX):
            continue
        mine = by_run.get(run["run_id"])
        if mine is None:
            replay.fail(exchange, f"run {run['run_id']} missing")
        else:
            replay.failures += [f"{exchange['name']}: {p}" for p in _same(run, mine, set())]
    if [r["execution_date"] for r in actual] != sorted(r["execution_date"] for r in actual):
        replay.fail(exchange, "runs are not ordered by execution_date")


def _check_pool_list(
    replay: Replay, exchange: dict[str, Any], expected: list[Any], actual: list[Any]
) -> None:
    strip = [{k: v for k, v in p.items() if k != "id"} for p in expected if p["pool"] != "float_slots"]
    mine = [{k: v for k, v in p.items() if k != "id"} for p in actual if p["pool"] not in replay.extra_pools]
    key = lambda p: p["pool"]  # noqa: E731
    if sorted(strip, key=key) != sorted(mine, key=key):
        replay.fail(exchange, f"pools {mine!r} vs Airflow {strip!r}")
    if [p["id"] for p in actual] != sorted(p["id"] for p in actual):
        replay.fail(exchange, "pools are not ordered by id")


def _check_like_airflow(replay: Replay, exchange: dict[str, Any], response: Any, body: Any) -> None:
    expected = exchange["response_json"]
    if exchange["method"] == "HEAD":
        if response.content:
            replay.fail(exchange, "HEAD answered with a body")
        return
    if expected is None:
        replay.fail(exchange, "Airflow answered HTML here: this exchange needs an INTENDED entry")
        return
    if response.status_code >= 400:
        _check_error(replay, exchange, body, expected["error"])
        return
    volatile = _volatile(exchange)
    if isinstance(expected, list):
        if expected and "run_id" in expected[0]:
            _check_run_list(replay, exchange, expected, body)
        elif exchange["path"].endswith("/pools"):
            _check_pool_list(replay, exchange, expected, body)
        return
    if "/tasks/" in exchange["path"]:
        wanted = TASK_INSTANCE_KEYS if "/dag_runs/" in exchange["path"] else TASK_INFO_KEYS | {"bash_command"}
        if set(body) != wanted:
            replay.fail(exchange, f"keys {sorted(set(body) ^ wanted)} differ from docs/api.md 3.3")
        shared = {k: v for k, v in expected.items() if k in body and k not in ENTITY_KEYS}
        replay.failures += [f"{exchange['name']}: {p}" for p in _same(shared, body, volatile)]
        return
    if "items" in expected:
        mine = {i["dag_id"]: i for i in body["items"]}
        if [i["dag_id"] for i in body["items"]] != sorted(mine):
            replay.fail(exchange, "latest_runs is not ordered by dag_id")
        for item in expected["items"]:
            if item["dag_id"] not in mine:
                replay.fail(exchange, f"latest run of {item['dag_id']} missing")
            else:
                replay.failures += [
                    f"{exchange['name']}: {p}" for p in _same(item, mine[item["dag_id"]], volatile)
                ]
        if len(mine) != len(expected["items"]):
            replay.fail(exchange, f"{len(mine)} latest runs vs Airflow {len(expected['items'])}")
        return
    if set(body) != set(expected):
        replay.fail(exchange, f"keys {sorted(body)} vs Airflow {sorted(expected)}")
    replay.failures += [f"{exchange['name']}: {p}" for p in _same(expected, body, volatile)]


async def test_replay_airflow_transcripts(client, clock: FakeClock) -> None:
    # The reference run's lineage_dag run started at its execution date: run the setup at that time.
    clock.now = datetime(2016, 11, 16, tzinfo=UTC)
    await build_reference_state(client)
    clock.now = datetime(2026, 11, 24, 2, 49, 20, 109385, tzinfo=UTC)
    replay = Replay()
    assert len(TRANSCRIPTS) == 152

    for exchange in TRANSCRIPTS:
        clock.now = _recorded_time(exchange) or clock.advance(0.001)
        content, headers = _request(exchange)
        path = exchange["path"].removeprefix("/api/experimental")
        response = await client.request(exchange["method"], path, content=content, headers=headers)
        body = (
            response.json()
            if response.headers.get("content-type") == "application/json" and response.content
            else None
        )

        if "deprecation" in response.headers or "link" in response.headers:
            replay.fail(exchange, KEY_RULES["headers"])
        intended = INTENDED.get(exchange["name"])
        status = intended.status if intended else exchange["status"]
        content_type = intended.content_type if intended else exchange["content_type"]
        if response.status_code != status:
            replay.fail(exchange, f"status {response.status_code}, wanted {status}: {response.text[:200]}")
            continue
        if response.headers.get("content-type") != content_type:
            replay.fail(
                exchange, f"content-type {response.headers.get('content-type')}, wanted {content_type}"
            )
        if intended is not None:
            replay.intended_seen.add(exchange["name"])
            if intended.like is not None:
                exchange = BY_NAME[intended.like]
            elif intended.error is not None or intended.body is not None or intended.creates_run:
                _check_intended(replay, exchange, intended, response, body)
                continue
        _check_like_airflow(replay, exchange, response, body)

    assert replay.intended_seen == set(INTENDED), "every intended difference must name a recorded exchange"
    assert replay.failures == [], "\n".join(replay.failures)
    print(
        f"\nreplayed {len(TRANSCRIPTS)} exchanges; {len(INTENDED)} intended differences, {len(KEY_RULES)} key rules"
    )

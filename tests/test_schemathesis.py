"""Schema fuzzing: schemathesis drives every operation of dagport's own openapi.json, in-process.

Each test seeds the reference state (tests/data/dags, two pools, runs of lineage_dag and
example_bash at 2016-11-16T00:00:00+00:00), then schemathesis generates requests for one operation
from the document, valid and invalid ones, and runs every built-in check on each answer: no 5xx,
no status code the document does not list, no body that violates its documented schema, no
undocumented content type or header, credentials not ignored, invalid data rejected, valid data
accepted, 405 with a complete `Allow` for methods the document does not list. Path parameters are
often swapped for the ids of seeded objects, so requests reach existing DAGs, tasks, runs and
pools, not only 404s.

Nothing is excluded: every operation is fuzzed, `/metrics` (Prometheus text) and `/dags/{id}/code`
(text/plain) included, since the document declares those media types. The only relaxation is the
EXEMPTIONS table below: refusals the contract prescribes for requests the JSON Schema language
cannot tell from valid ones, each recognised by its exact message.

How it runs: schemathesis calls ASGI apps from one event-loop thread of its own, so the app under
test gets its own engine (opened in that thread, disposed by the app's lifespan at teardown) on the
database the `clean_db` fixture just emptied; the seeding goes through the suite's usual `client`.
Generation is deterministic (`derandomize`), so CI sees the same requests on every run.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure
from schemathesis.core.transport import Response
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.python import asgi

from app.config import Settings
from app.core.messages import CONF_NOT_AN_OBJECT as CONF_ERROR
from app.dates import InvalidDateError
from app.main import create_app
from tests.conftest import TOKEN, FakeClock
from tests.helpers import build_reference_state

AUTH = {"Authorization": f"Bearer {TOKEN}"}
SEEDED_DATE = "2016-11-16T00:00:00+00:00"
MAX_EXAMPLES = 50

# Identifiers of seeded objects, by path parameter name (RFC 3339 dates only: the documented form).
EXISTING = {
    "dag_id": ["example_bash", "lineage_dag", "simple_dag", "throwaway_dag"],
    "task_id": ["extract", "transform", "load", "produce", "consume"],
    "execution_date": [SEEDED_DATE, "2016-11-16T00:00:00Z", "2016-11-16T01:00:00+01:00"],
    "name": ["default_pool", "etl_pool", "reporting"],
    "paused": ["true", "false", "TRUE"],
}
DATE_FIELDS = ("execution_date", "execution_date_gte", "execution_date_lte")
RFC3339 = re.compile(r"(\d{4})-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)", re.IGNORECASE)
DATE_OPERATIONS = (
    "POST /api/experimental/dags/{dag_id}/dag_runs",
    "GET /api/experimental/dags/{dag_id}/dag_runs",
    "GET /api/experimental/dags/{dag_id}/dag_runs/{execution_date}",
    "PATCH /api/experimental/dags/{dag_id}/dag_runs/{execution_date}",
    "GET /api/experimental/dags/{dag_id}/dag_runs/{execution_date}/tasks/{task_id}",
    "PATCH /api/experimental/dags/{dag_id}/dag_runs/{execution_date}/tasks/{task_id}",
    "GET /api/experimental/lineage/{dag_id}/{execution_date}",
)
TRIGGER = "POST /api/experimental/dags/{dag_id}/dag_runs"
ALL_OPERATIONS = ("*",)


# -- what the contract refuses although the schema cannot say so -----------------------------------


def _sent(case: schemathesis.Case) -> dict[str, Any]:
    """Path, query and (object) body values as the app received them (path values arrive quoted)."""
    values = {key: unquote(v) if isinstance(v, str) else v for key, v in (case.path_parameters or {}).items()}
    values |= case.query or {}
    if isinstance(case.body, dict):
        values |= {f"body.{key}": value for key, value in case.body.items()}
    return values


def _date_out_of_range(case: schemathesis.Case, error: str) -> bool:
    """An RFC 3339 value on the first or last day of years 1-9999 whose instant leaves that range
    in UTC (`0001-01-01T00:00:00+01:00`): docs/api.md section 2 stores dates in UTC, so it is 400."""
    for name, value in _sent(case).items():
        if name.removeprefix("body.") in DATE_FIELDS and isinstance(value, str):
            match = RFC3339.fullmatch(value)
            if match and match[1] in ("0001", "9999") and error == str(InvalidDateError(value)):
                return True
    return False


def _integral_float(field: str, message: Callable[[Any], str]) -> Callable[[schemathesis.Case, str], bool]:
    """JSON Schema's `integer` admits `5.0`; docs/api.md 3.4 (and the worker's `pid`) refuse any float."""

    def applies(case: schemathesis.Case, error: str) -> bool:
        value = _sent(case).get(f"body.{field}")
        return isinstance(value, float) and error == message(value)

    return applies


EXEMPTIONS: list[tuple[tuple[str, ...], type[Failure], Callable[[schemathesis.Case, str], bool]]] = [
    # docs/api.md 3.2: an unknown DAG is 400 on this endpoint (Airflow's quirk, kept for compatibility).
    (
        ("GET /api/experimental/dags/{dag_id}/dag_runs",),
        RejectedPositiveData,
        lambda case, error: error == f"Dag id {_sent(case)['dag_id']} not found in DagModel",
    ),
    # docs/dag-definitions.md: the body is documented as an object; the definition's rules (dag_id equal
    # to the path's, known upstream ids, no cycle, field types...) belong to its validator, which
    # tests/test_properties.py fuzzes with valid and invalid definitions.
    (
        ("PUT /api/experimental/dags/{dag_id}",),
        RejectedPositiveData,
        lambda case, error: error.startswith("Invalid DAG definition: "),
    ),
    # docs/api.md 3.1: a second run at the same instant or with the same run_id, a date before the DAG's
    # start_date, and a `conf` string that does not hold a JSON object are 400 (Airflow's answers).
    (
        (TRIGGER,),
        RejectedPositiveData,
        lambda case, error: error.startswith(f"A DAG Run already exists for DAG {_sent(case)['dag_id']} at "),
    ),
    (
        (TRIGGER,),
        RejectedPositiveData,
        lambda case, error: error.startswith("The execution_date [") and "from DAG's default_args" in error,
    ),
    (
        (TRIGGER,),
        RejectedPositiveData,
        # Airflow's sentence (what is wrong with the string, not JSON or JSON but no object, is its detail)
        lambda case, error: error == CONF_ERROR and isinstance(_sent(case).get("body.conf"), str),
    ),
    (DATE_OPERATIONS, RejectedPositiveData, _date_out_of_range),
    (
        ("POST /api/experimental/pools",),
        RejectedPositiveData,
        _integral_float("slots", lambda value: f"Bad value for `slots`: {value}"),
    ),
    (
        ("PATCH /api/experimental/dags/{dag_id}/dag_runs/{execution_date}/tasks/{task_id}",),
        RejectedPositiveData,
        _integral_float("pid", lambda value: f"pid must be an integer, got {value!r}"),
    ),
    # Postgres text cannot hold U+0000, so a NUL anywhere in the URL or a body is refused up front on
    # both databases (app/middleware.py, app/routers/dependencies.py): JSON Schema cannot exclude it from every
    # string (nor from free-form objects such as conf or params).
    (
        ALL_OPERATIONS,
        RejectedPositiveData,
        lambda case, error: (
            error
            in (
                "Request URL contains a NUL character",
                "Request body contains a NUL character (\\u0000), which cannot be stored",
            )
        ),
    ),
]


def _keep_failure(context: object, failure: Failure, case: schemathesis.Case, response: Response) -> bool:
    """schemathesis' `filter_failure` hook: drop the failures EXEMPTIONS describe, keep all others."""
    error = response.json().get("error", "") if response.status_code == 400 else None
    return error is None or not any(
        (labels == ALL_OPERATIONS or case.operation.label in labels)
        and isinstance(failure, kind)
        and applies(case, error)
        for labels, kind, applies in EXEMPTIONS
    )


# -- the test -----------------------------------------------------------------------------------


def _point_at_seeded_objects(case: schemathesis.Case) -> None:
    """Replace about half of the path parameters that name a kind of seeded object by one of their
    ids (chosen from the generated value, so it is deterministic). Assigning the container makes
    schemathesis classify the case again: an invalid one may turn valid, and is then checked as such."""
    params = case.path_parameters or {}
    swapped = {}
    for key, value in params.items():
        ids = EXISTING.get(key)
        if ids and isinstance(value, str):
            pick = zlib.crc32(value.encode("utf-8", "surrogatepass")) % (2 * len(ids))
            if pick < len(ids):
                swapped[key] = ids[pick]
    if swapped:
        case.path_parameters = {**params, **swapped}


# The document is read from an app on a database it never opens (serving openapi.json needs none).
schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    create_app(Settings(database_url="sqlite+aiosqlite:///never-opened.db", api_tokens=TOKEN)),
    config=SchemathesisConfig.from_dict(
        # The test sends the valid token itself: no generated Authorization values (which it would
        # overwrite). Missing and wrong credentials are still sent, by the `ignored_auth` check.
        {"generation": {"deterministic": True, "with-security-parameters": False}}
    ),
)
schema.hook("filter_failure")(_keep_failure)


@pytest.fixture
async def seeded(client) -> None:
    await build_reference_state(client)
    response = await client.post("/dags/example_bash/dag_runs", json={"execution_date": SEEDED_DATE})
    assert response.status_code == 200, response.text


@pytest.fixture
def fuzzed_app(settings, clean_db, seeded):
    app = create_app(settings, clock=FakeClock())  # its own engine: see the module docstring
    yield app
    asgi.shutdown_lifespans()  # disposes that engine inside schemathesis' event loop


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # The fixtures are per test, not per example, on purpose: the examples share the seeded state.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_conforms_to_its_documentation(case: schemathesis.Case, fuzzed_app) -> None:
    _point_at_seeded_objects(case)
    case.call_and_validate(app=fuzzed_app, headers=AUTH)


# -- what the fuzzer found, pinned with exact answers ----------------------------------------------


def without_request_id(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert body.pop("request_id") == response.headers["x-request-id"]
    return body


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("OPTIONS", "/dags/example_bash", "DELETE, GET, HEAD, PUT"),
        ("POST", "/dags/example_bash", "DELETE, GET, HEAD, PUT"),
        ("OPTIONS", "/dags/example_bash/dag_runs", "GET, HEAD, POST"),
        ("PUT", "/dags/example_bash/dag_runs/2016-11-16", "GET, HEAD, PATCH"),
        ("DELETE", "/dags/example_bash/dag_runs/2016-11-16/tasks/extract", "GET, HEAD, PATCH"),
        ("PATCH", "/pools", "GET, HEAD, POST"),
        ("POST", "/pools/etl_pool", "DELETE, GET, HEAD"),
        ("POST", "/dags/example_bash/code", "GET, HEAD"),
    ],
)
async def test_a_405_allows_every_method_of_the_path_not_only_the_first_routes(
    client, method, path, allowed
) -> None:
    """RFC 9110: `Allow` lists the resource's methods; Starlette named only the first route's."""
    response = await client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    assert without_request_id(response) == {"error": "Method Not Allowed"}


@pytest.mark.parametrize(
    ("path", "name", "values"),
    [
        ("/dags?paused=true&paused=false", "paused", ["true", "false"]),
        ("/dags?tag=a&limit=5&tag=b", "tag", ["a", "b"]),
        ("/dags/example_bash/dag_runs?state=queued&state=running", "state", ["queued", "running"]),
        ("/dags/example_bash/dag_runs?limit=1&limit=1", "limit", ["1", "1"]),
    ],
)
async def test_a_repeated_query_parameter_is_a_400_not_its_last_value(client, path, name, values) -> None:
    response = await client.get(path)
    assert response.status_code == 400
    assert without_request_id(response) == {
        "error": f"Invalid value for query.{name}: given more than once",
        "detail": [{"loc": f"query.{name}", "msg": f"Expected one value, got {values!r}"}],
    }


async def test_the_text_backslash_u0000_is_not_a_nul_character(client) -> None:
    """`"a\\\\u0000b"` in JSON is the 7 characters a, \\, u, 0, 0, 0, 0, b: no NUL to refuse."""
    response = await client.post("/pools", content=b'{"name": "a\\\\u0000b", "slots": 1}')
    assert response.status_code == 200
    assert response.json() == {
        "description": None,
        "id": 2,
        "include_deferred": False,
        "pool": "a\\u0000b",
        "slots": 1,
    }

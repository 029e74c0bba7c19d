"""The OpenAPI document (docs/api.md sections 4 and 5): complete, valid, documented, and pinned by a snapshot.

Every operation has a tag, a summary and a description; every error response uses ``ErrorBody``;
every request body has examples, the examples match their schemas and the app accepts them.
``tests/data/openapi.json`` is the committed document: when the API changes on purpose, regenerate
it with ``DAGPORT_UPDATE_SNAPSHOT=1 .venv/bin/pytest tests/test_openapi.py`` and review the diff.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from app.config import Settings
from app.main import API_PREFIX, TAGS, create_app
from tests.conftest import DATA_DIR, TOKEN, FakeClock
from tests.helpers import load_reference_dags

SNAPSHOT = DATA_DIR / "openapi.json"
REGENERATE = "DAGPORT_UPDATE_SNAPSHOT=1 .venv/bin/pytest tests/test_openapi.py"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
ERROR_BODY_REF = "#/components/schemas/ErrorBody"

# docs/api.md sections 3, 4 and 5: every route, under its full path. Nothing else (no /docs, /redoc).
EXPECTED_OPERATIONS = {
    ("GET", "/api/experimental/test"),
    ("GET", "/api/experimental/info"),
    ("POST", "/api/experimental/dags/{dag_id}/dag_runs"),
    ("GET", "/api/experimental/dags/{dag_id}/dag_runs"),
    ("GET", "/api/experimental/dags/{dag_id}/dag_runs/{execution_date}"),
    ("PATCH", "/api/experimental/dags/{dag_id}/dag_runs/{execution_date}"),
    ("GET", "/api/experimental/dags/{dag_id}/tasks/{task_id}"),
    ("GET", "/api/experimental/dags/{dag_id}/dag_runs/{execution_date}/tasks/{task_id}"),
    ("PATCH", "/api/experimental/dags/{dag_id}/dag_runs/{execution_date}/tasks/{task_id}"),
    ("GET", "/api/experimental/dags/{dag_id}/paused/{paused}"),
    ("GET", "/api/experimental/dags/{dag_id}/paused"),
    ("GET", "/api/experimental/latest_runs"),
    ("GET", "/api/experimental/pools"),
    ("POST", "/api/experimental/pools"),
    ("GET", "/api/experimental/pools/{name}"),
    ("DELETE", "/api/experimental/pools/{name}"),
    ("GET", "/api/experimental/lineage/{dag_id}/{execution_date}"),
    ("GET", "/api/experimental/dags/{dag_id}/code"),
    ("DELETE", "/api/experimental/dags/{dag_id}"),
    ("DELETE", "/api/experimental/dags/{dag_id}/delete_dag"),
    ("PUT", "/api/experimental/dags/{dag_id}"),
    ("GET", "/api/experimental/dags"),
    ("GET", "/api/experimental/dags/{dag_id}"),
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/metrics"),
}
# docs/api.md section 4: the dagport additions, tagged `extensions`.
EXTENSIONS = {
    ("PUT", "/api/experimental/dags/{dag_id}"),
    ("GET", "/api/experimental/dags"),
    ("GET", "/api/experimental/dags/{dag_id}"),
    ("PATCH", "/api/experimental/dags/{dag_id}/dag_runs/{execution_date}"),
    ("PATCH", "/api/experimental/dags/{dag_id}/dag_runs/{execution_date}/tasks/{task_id}"),
}
SEED_CURL_EXAMPLE = {"conf": '{"key":"value"}'}


def build_app(tmp: Path, **overrides: Any) -> Any:
    """An app whose engine never connects: the document and /openapi.json need no database."""
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp / 'unused.db'}", api_tokens=TOKEN, **overrides
    )
    return create_app(settings)


@cache
def _schema() -> dict[str, Any]:
    return build_app(Path("/nonexistent")).openapi()


@pytest.fixture
def schema() -> dict[str, Any]:
    """A deep copy: no test can change what the next one sees."""
    return copy.deepcopy(_schema())


def operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method.upper(), path, operation


def error_responses(operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """4xx and 5xx responses, less FastAPI's 422 (see test_no_operation_documents_fastapis_422)."""
    return {code: r for code, r in operation["responses"].items() if code[0] in "45" and code != "422"}


def request_examples(operation: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(media type, example name, value) of every example of the operation's request body."""
    for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
        if "example" in content:
            yield media_type, "example", content["example"]
        for name, example in content.get("examples", {}).items():
            yield media_type, name, example["value"]


def schema_problems(schema: dict[str, Any], subschema: dict[str, Any], value: Any) -> list[str]:
    """JSON Schema (2020-12, as OpenAPI 3.1 uses) errors of ``value``; ``$ref``s point into the document."""
    document = {**schema, "x-subject": subschema}
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:openapi", resource)
    validator = Draft202012Validator({"$ref": "urn:openapi#/x-subject"}, registry=registry)
    return [error.message for error in validator.iter_errors(value)]


def normalized(schema: dict[str, Any]) -> dict[str, Any]:
    """The document without its version number (a release must not need a new snapshot)."""
    out = copy.deepcopy(schema)
    out["info"]["version"] = "<version>"
    return out


# -- the document as a whole --------------------------------------------------------------------


def test_the_document_matches_the_committed_snapshot(schema: dict[str, Any]) -> None:
    current = normalized(schema)
    if os.environ.get("DAGPORT_UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(json.dumps(current, indent=2, ensure_ascii=False) + "\n")
    assert SNAPSHOT.exists(), f"{SNAPSHOT} is missing; create it with: {REGENERATE}"
    committed = json.loads(SNAPSHOT.read_text())
    assert committed == current, (
        f"the OpenAPI document changed; if that is intended, regenerate the snapshot with: {REGENERATE}"
    )


def test_the_document_is_valid_openapi_3_1(schema: dict[str, Any]) -> None:
    assert schema["openapi"].startswith("3.1.")
    validate_openapi(schema)  # raises, naming the problem


def test_every_route_is_listed_under_its_full_path_and_nothing_else(schema: dict[str, Any]) -> None:
    listed = {(method, path) for method, path, _ in operations(schema)}
    assert listed == EXPECTED_OPERATIONS


def test_every_reference_resolves(schema: dict[str, Any]) -> None:
    def refs(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    defined = {f"#/components/schemas/{name}" for name in schema["components"]["schemas"]}
    assert set(refs(schema)) - defined == set()


def test_operation_ids_are_unique(schema: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(schema)]
    assert len(ids) == len(set(ids))


# -- each operation ------------------------------------------------------------------------------


def test_every_operation_has_a_declared_tag_a_summary_and_a_description(schema: dict[str, Any]) -> None:
    declared = {tag["name"] for tag in TAGS}
    assert [tag["name"] for tag in schema["tags"]] == [tag["name"] for tag in TAGS]
    problems = []
    for method, path, operation in operations(schema):
        if not operation.get("tags") or not set(operation["tags"]) <= declared:
            problems.append(f"{method} {path}: tags {operation.get('tags')}")
        if not operation.get("summary", "").strip():
            problems.append(f"{method} {path}: no summary")
        if len(operation.get("description", "").strip()) < 20:
            problems.append(f"{method} {path}: no description")
    assert problems == []


def test_extensions_and_only_they_are_tagged_extensions(schema: dict[str, Any]) -> None:
    tagged = {(method, path) for method, path, op in operations(schema) if "extensions" in op["tags"]}
    assert tagged == EXTENSIONS


def test_api_operations_need_credentials_and_operations_endpoints_do_not(schema: dict[str, Any]) -> None:
    problems = []
    for method, path, operation in operations(schema):
        security = operation.get("security")
        if path.startswith(API_PREFIX) and security != [{"bearer": []}, {"basic": []}]:
            problems.append(f"{method} {path}: security {security}")
        if not path.startswith(API_PREFIX) and security is not None:
            problems.append(f"{method} {path}: needs no credentials, says {security}")
    assert problems == []
    assert set(schema["components"]["securitySchemes"]) == {"bearer", "basic"}


def test_api_operations_document_401_and_503(schema: dict[str, Any]) -> None:
    problems = [
        f"{method} {path}: {sorted(error_responses(operation))}"
        for method, path, operation in operations(schema)
        if path.startswith(API_PREFIX) and not {"401", "503"} <= set(error_responses(operation))
    ]
    assert problems == []


def test_every_error_response_is_described_and_uses_the_error_body(schema: dict[str, Any]) -> None:
    problems = []
    for method, path, operation in operations(schema):
        for code, response in error_responses(operation).items():
            body = response.get("content", {}).get("application/json", {}).get("schema", {})
            if body.get("$ref") != ERROR_BODY_REF or not response.get("description", "").strip():
                problems.append(f"{method} {path} {code}: {response}")
    assert problems == []


def test_path_parameters_document_their_errors(schema: dict[str, Any]) -> None:
    """A bad execution_date or paused value is 400; an unknown DAG, task, run or pool is 404
    (except the run listing, where an unknown DAG is 400, as in Airflow)."""
    problems = []
    for method, path, operation in operations(schema):
        codes = set(error_responses(operation))
        if "{execution_date}" in path or "{paused}" in path or path.endswith("/pools/{name}"):
            if "400" not in codes:
                problems.append(f"{method} {path}: no 400")
        lookup = method != "PUT" and any(p in path for p in ("{dag_id}", "{name}"))
        if lookup and path != "/api/experimental/dags/{dag_id}/dag_runs" and "404" not in codes:
            problems.append(f"{method} {path}: no 404")
        if method == "PUT" and "404" in codes:
            problems.append(f"{method} {path}: PUT creates, it has no 404")
    assert problems == []


def test_operations_with_a_body_document_it_with_examples_and_its_errors(schema: dict[str, Any]) -> None:
    problems = []
    bodies = 0
    for method, path, operation in operations(schema):
        if method in ("POST", "PUT", "PATCH"):
            bodies += 1
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                problems.append(f"{method} {path}: no JSON request body")
            for media_type, entry in content.items():
                if "example" not in entry and not entry.get("examples"):
                    problems.append(f"{method} {path}: no example for {media_type}")
            if not {"400", "413"} <= set(error_responses(operation)):
                problems.append(f"{method} {path}: 400 and 413 not both documented")
    assert problems == []
    assert bodies == 5


def test_the_trigger_examples_include_the_seed_curl_example(schema: dict[str, Any]) -> None:
    trigger = schema["paths"]["/api/experimental/dags/{dag_id}/dag_runs"]["post"]
    examples = {name: value for _, name, value in request_examples(trigger)}
    assert examples["seed_curl"] == SEED_CURL_EXAMPLE
    assert examples["now"] == {}
    assert trigger["requestBody"]["required"] is False  # an empty body means {}


def test_no_operation_documents_fastapis_422(schema: dict[str, Any]) -> None:
    documented = [f"{method} {path}" for method, path, op in operations(schema) if "422" in op["responses"]]
    assert documented == []
    assert {"HTTPValidationError", "ValidationError"} & set(schema["components"]["schemas"]) == set()


# -- examples against their schemas --------------------------------------------------------------


def test_json_request_examples_match_their_schemas_except_string_conf(schema: dict[str, Any]) -> None:
    problems = []
    for method, path, operation in operations(schema):
        content = operation.get("requestBody", {}).get("content", {})
        body_schema = content.get("application/json", {}).get("schema")
        for media_type, name, value in request_examples(operation):
            if media_type != "application/json" or value == SEED_CURL_EXAMPLE:
                continue
            for problem in schema_problems(schema, body_schema, value):
                problems.append(f"{method} {path} example {name}: {problem}")
    assert problems == []


def test_the_seed_curl_example_matches_the_trigger_schema(schema: dict[str, Any]) -> None:
    trigger_schema = {"$ref": "#/components/schemas/TriggerRequest"}
    assert schema_problems(schema, trigger_schema, SEED_CURL_EXAMPLE) == []
    assert schema_problems(schema, trigger_schema, {"replace_microseconds": "false"}) == []


def test_yaml_request_examples_are_yaml_mappings(schema: dict[str, Any]) -> None:
    put = schema["paths"]["/api/experimental/dags/{dag_id}"]["put"]
    yaml_examples = [value for media, _, value in request_examples(put) if media == "application/yaml"]
    json_example = put["requestBody"]["content"]["application/json"]["example"]
    assert [yaml.safe_load(value) for value in yaml_examples] == [json_example]


# -- served over HTTP ----------------------------------------------------------------------------


async def test_openapi_json_is_served_without_credentials(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as anon:
        response = await anon.get("/openapi.json")
    assert response.status_code == 200
    assert response.json() == app.openapi()
    assert "servers" not in response.json()


async def test_openapi_json_under_a_root_path_names_it_as_the_server(tmp_path: Path) -> None:
    """Behind a proxy at /dagport, "Try it out" must call /dagport/api/experimental/...."""
    app = build_app(tmp_path, root_path="/dagport")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as anon:
        response = await anon.get("/dagport/openapi.json")
    assert response.status_code == 200
    assert response.json()["servers"] == [{"url": "/dagport"}]
    assert response.json()["paths"].keys() == app.openapi()["paths"].keys()


# -- the documented examples work --------------------------------------------------------------------


def examples_of(schema: dict[str, Any], method: str, path: str) -> list[tuple[str, str, Any]]:
    return list(request_examples(schema["paths"][path][method.lower()]))


async def test_the_trigger_examples_are_accepted(
    client: httpx.AsyncClient, clock: FakeClock, schema: dict[str, Any]
) -> None:
    await load_reference_dags(client)
    answers = {}
    for _, name, value in examples_of(schema, "POST", "/api/experimental/dags/{dag_id}/dag_runs"):
        clock.advance(1)  # each run "now" gets its own second
        response = await client.post("/dags/simple_dag/dag_runs", json=value)
        assert response.status_code == 200, (name, response.text)
        answers[name] = response.json()["run_id"]
    assert answers == {
        "now": "manual__2026-11-24T02:49:30+00:00",
        "with_conf": "manual__2026-11-24T02:49:31+00:00",
        "seed_curl": "manual__2026-11-24T02:49:32+00:00",
        "dated": "my_run",
    }


async def test_the_pool_examples_are_accepted(client: httpx.AsyncClient, schema: dict[str, Any]) -> None:
    created = []
    for _, _, value in examples_of(schema, "POST", "/api/experimental/pools"):
        response = await client.post("/pools", json=value)
        assert response.status_code == 200, response.text
        created.append(response.json())
    assert created == [
        {"id": 2, "pool": "etl_pool", "slots": 4, "description": "ETL pool", "include_deferred": False},
        {"id": 3, "pool": "unbounded", "slots": -1, "description": None, "include_deferred": False},
    ]


async def test_the_dag_definition_examples_are_accepted(
    client: httpx.AsyncClient, schema: dict[str, Any]
) -> None:
    statuses = []
    for media_type, _, value in examples_of(schema, "PUT", "/api/experimental/dags/{dag_id}"):
        body = value if isinstance(value, str) else json.dumps(value)
        response = await client.put("/dags/hello", content=body, headers={"Content-Type": media_type})
        statuses.append((media_type, response.status_code, response.json()["tasks"]))
    assert statuses == [
        ("application/json", 201, ["say", "done"]),
        ("application/yaml", 200, ["say", "done"]),
    ]


async def test_the_run_state_examples_are_accepted(client: httpx.AsyncClient, schema: dict[str, Any]) -> None:
    await load_reference_dags(client)
    date = "2016-11-16T00:00:00+00:00"
    assert (await client.post("/dags/simple_dag/dag_runs", json={"execution_date": date})).status_code == 200
    states = []
    path = "/api/experimental/dags/{dag_id}/dag_runs/{execution_date}"
    for _, name, value in examples_of(schema, "PATCH", path):
        response = await client.patch(f"/dags/simple_dag/dag_runs/{date}", json=value)
        assert response.status_code == 200, (name, response.text)
        states.append(response.json()["state"])
    assert states == ["success", "failed", "queued"]


async def test_the_task_instance_examples_are_accepted(
    client: httpx.AsyncClient, schema: dict[str, Any]
) -> None:
    await load_reference_dags(client)
    date = "2016-11-16T00:00:00+00:00"
    assert (await client.post("/dags/lineage_dag/dag_runs", json={"execution_date": date})).status_code == 200
    states = []
    path = "/api/experimental/dags/{dag_id}/dag_runs/{execution_date}/tasks/{task_id}"
    for _, name, value in examples_of(schema, "PATCH", path):
        response = await client.patch(f"/dags/lineage_dag/dag_runs/{date}/tasks/produce", json=value)
        assert response.status_code == 200, (name, response.text)
        states.append((response.json()["state"], response.json()["hostname"]))
    assert states == [("running", "worker-1"), ("success", "worker-1"), ("success", "worker-1")]

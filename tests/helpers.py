"""Helpers shared by the router tests: loading definitions and building the reference state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import REFERENCE_DAGS_DIR, client_for  # noqa: F401 (re-exported for the tests)

REFERENCE_DAGS = ("example_bash", "lineage_dag", "simple_dag", "throwaway_dag")

DEFAULT_POOL = {
    "description": "Default pool",
    "id": 1,
    "include_deferred": False,
    "pool": "default_pool",
    "slots": 128,
}


def unreachable_database_url(backend: str) -> str:
    """A database URL of the backend that cannot be opened: nothing listens on port 1, and SQLite
    cannot create a file in a missing directory."""
    return (
        "postgresql://postgres@127.0.0.1:1/nowhere"
        if backend == "postgresql"
        else "sqlite:////nonexistent/dir/x.db"
    )


def date_error(value: object) -> str:
    """docs/api.md section 2's 400 text, written out (not taken from the app) so a change to it fails."""
    return (
        f"Given execution date, {value}, could not be identified as a date. "
        "Example date format: 2015-11-16T14:34:15+00:00"
    )


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The error body without its request_id (checked against the X-Request-ID header)."""
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body.pop("request_id") == response.headers["x-request-id"]
    return body


def reference_definition(dag_id: str) -> dict[str, Any]:
    return json.loads((REFERENCE_DAGS_DIR / f"{dag_id}.json").read_text())


async def put_dag(client: httpx.AsyncClient, definition: dict[str, Any] | str | Path) -> dict[str, Any]:
    if isinstance(definition, Path):
        body = definition.read_text()  # noqa: ASYNC240 (a small fixture file)
        dag_id = json.loads(body)["dag_id"]
    elif isinstance(definition, str):
        body, dag_id = definition, json.loads(definition)["dag_id"]
    else:
        body, dag_id = json.dumps(definition), definition["dag_id"]
    response = await client.put(f"/dags/{dag_id}", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code in (200, 201), response.text
    return response.json()


async def load_reference_dags(client: httpx.AsyncClient) -> None:
    for dag_id in REFERENCE_DAGS:
        await put_dag(client, REFERENCE_DAGS_DIR / f"{dag_id}.json")


async def build_reference_state(client: httpx.AsyncClient) -> None:
    """The state the recorded transcripts start from: the reference DAGs of tests/data/dags, two
    pools, and lineage_dag's run of 2016-11-16 with both task instances run to success."""
    await load_reference_dags(client)
    for name, slots, description in (("etl_pool", 4, "ETL pool"), ("reporting", 2, "Reporting pool")):
        response = await client.post(
            "/pools", json={"name": name, "slots": slots, "description": description}
        )
        assert response.status_code == 200, response.text
    response = await client.post(
        "/dags/lineage_dag/dag_runs", json={"execution_date": "2016-11-16T00:00:00+00:00"}
    )
    assert response.status_code == 200, response.text
    for task_id in ("produce", "consume"):
        for state in ("running", "success"):
            response = await client.patch(
                f"/dags/lineage_dag/dag_runs/2016-11-16T00:00:00+00:00/tasks/{task_id}",
                json={"state": state, "hostname": "vm", "pid": 8629, "unixname": "root"},
            )
            assert response.status_code == 200, response.text

"""v1's pools, variables, connections, config, event logs, plugins, providers, users and roles
(docs/api-v1.md, "Pools, variables, connections, ..."): what the replay of Airflow 2.11's recording
(tests/test_v1_replay.py) does not pin down.

Against the real Airflow 3.3.2 of the ``v1_airflow`` fixture, through dagport in passthrough mode
(the recording's users) and in service mode (dagport's token): each test makes and removes objects
of its own (names starting ``adm_``), so it holds whether the replay ran before it or not. Against
the local stand-in (tests/airflow_standin.py), what that Airflow cannot be made to do: an Airflow
that exposes its configuration, allows testing connections, or has the FAB auth manager; and the
exact calls dagport makes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.airflow_deployment import AirflowDeployment
from tests.airflow_standin import Seen, StandIn
from tests.v1_fixtures import (
    ADMIN,
    HOST,
    ROUTE_NOT_FOUND,
    VIEWER,
    bad_request,
    dagport,
    database_fixture,
    problem,
)

TOKEN = "v1-admin-tests-token-0001"
NOT_EXPOSED = (
    "Your Airflow administrator chose not to expose the configuration, most likely for security reasons."
)
TEST_DISABLED = (
    "Testing connections is disabled in Airflow configuration. Contact your deployment admin to enable it."
)
FAB_NOT_SERVED = (
    "dagport forwards /users, /roles and /permissions to the FAB auth manager's API (/auth/fab/v1), "
    "which the Airflow it fronts does not serve: its auth manager is not the FAB auth manager"
)
SERVICE_MODE_WRITE = (
    "dagport changes users and roles in passthrough mode only (DAGPORT_AIRFLOW_AUTH=passthrough), where "
    "Airflow checks the caller's own rights: in service mode every change would be made with dagport's "
    "service account"
)
USER_AND_ROLE_CHANGES = (
    ("POST", "/users", {"username": "adm_user", "roles": [{"name": "Admin"}]}),
    ("PATCH", "/users/admin", {"first_name": "x"}),
    ("DELETE", "/users/admin", None),
    ("POST", "/roles", {"name": "adm_role", "actions": []}),
    ("PATCH", "/roles/Admin", {"name": "Admin", "actions": []}),
    ("DELETE", "/roles/Admin", None),
)


def pool(
    name: str, slots: int, description: str | None = None, include_deferred: bool = False
) -> dict[str, Any]:
    """A pool no task uses, as v1 answers it."""
    return {
        "deferred_slots": 0,
        "description": description,
        "include_deferred": include_deferred,
        "name": name,
        "occupied_slots": 0,
        "open_slots": slots,
        "queued_slots": 0,
        "running_slots": 0,
        "scheduled_slots": 0,
        "slots": slots,
    }


database_url = database_fixture("v1-admin")


def front(
    url: str, database_url: str, headers: dict[str, str], **overrides: Any
) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    """dagport in front of the Airflow at ``url`` (service mode unless ``overrides`` say otherwise),
    with dagport's token; the client's base is ``/api/v1``."""
    settings = {"airflow_auth": "service", "api_tokens": TOKEN, **overrides}
    return dagport(database_url, url, base_url=HOST + "/api/v1", headers=headers, **settings)


@pytest.fixture(scope="module")
async def v1(v1_airflow: AirflowDeployment, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Passthrough, as admin (a request may send other credentials)."""
    async with front(v1_airflow.url, database_url, ADMIN, airflow_auth="passthrough") as client:
        yield client


@pytest.fixture(scope="module")
async def service(v1_airflow: AirflowDeployment, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Service mode: dagport's token; dagport calls Airflow as admin."""
    async with front(
        v1_airflow.url,
        database_url,
        {"Authorization": f"Bearer {TOKEN}"},
        airflow_username="admin",
        airflow_password="admin",
    ) as client:
        yield client


# -- the OpenAPI document ---------------------------------------------------------------------------


async def test_the_openapi_document_lists_the_operations_with_airflow_2s_tags(v1: httpx.AsyncClient) -> None:
    answer = await v1.get("/openapi.json")
    assert answer.status_code == 200
    paths = answer.json()["paths"]
    operations = {
        (path, method): (spec["tags"], spec["summary"], bool(spec.get("description")))
        for path, methods in paths.items()
        for method, spec in methods.items()
        if path.startswith(("/pools", "/variables", "/connections", "/config", "/eventLogs"))
        or path in ("/plugins", "/providers", "/users", "/users/{username}", "/roles", "/roles/{role_name}")
        or path == "/permissions"
    }
    assert {key: value[0] for key, value in operations.items()} == {
        ("/pools", "get"): ["Pool"],
        ("/pools", "post"): ["Pool"],
        ("/pools/{pool_name}", "get"): ["Pool"],
        ("/pools/{pool_name}", "patch"): ["Pool"],
        ("/pools/{pool_name}", "delete"): ["Pool"],
        ("/variables", "get"): ["Variable"],
        ("/variables", "post"): ["Variable"],
        ("/variables/{variable_key}", "get"): ["Variable"],
        ("/variables/{variable_key}", "patch"): ["Variable"],
        ("/variables/{variable_key}", "delete"): ["Variable"],
        ("/connections", "get"): ["Connection"],
        ("/connections", "post"): ["Connection"],
        ("/connections/test", "post"): ["Connection"],
        ("/connections/{connection_id}", "get"): ["Connection"],
        ("/connections/{connection_id}", "patch"): ["Connection"],
        ("/connections/{connection_id}", "delete"): ["Connection"],
        ("/config", "get"): ["Config"],
        ("/config/section/{section}/option/{option}", "get"): ["Config"],
        ("/eventLogs", "get"): ["EventLog"],
        ("/eventLogs/{event_log_id}", "get"): ["EventLog"],
        ("/plugins", "get"): ["Plugin"],
        ("/providers", "get"): ["Provider"],
        ("/users", "get"): ["User"],
        ("/users", "post"): ["User"],
        ("/users/{username}", "get"): ["User"],
        ("/users/{username}", "patch"): ["User"],
        ("/users/{username}", "delete"): ["User"],
        ("/roles", "get"): ["Role"],
        ("/roles", "post"): ["Role"],
        ("/roles/{role_name}", "get"): ["Role"],
        ("/roles/{role_name}", "patch"): ["Role"],
        ("/roles/{role_name}", "delete"): ["Role"],
        ("/permissions", "get"): ["Permission"],
    }
    assert all(summary and described for _, summary, described in operations.values())
    documented = [p["name"] for p in paths["/eventLogs"]["get"]["parameters"]]
    assert documented == [
        "limit", "offset", "order_by", "dag_id", "task_id", "run_id", "map_index", "try_number", "event",
        "owner", "before", "after", "included_events", "excluded_events",
    ]  # fmt: skip
    assert set(paths["/pools/{pool_name}"]["patch"]["responses"]) >= {"200", "400", "403", "404", "409"}


# -- pools ------------------------------------------------------------------------------------------


async def test_a_pool_is_created_changed_renamed_and_deleted(v1: httpx.AsyncClient) -> None:
    created = await v1.post("/pools", json={"name": "adm_pool", "slots": 3, "description": "mine"})
    assert (created.status_code, created.json()) == (200, pool("adm_pool", 3, "mine"))
    masked = await v1.patch(
        "/pools/adm_pool?update_mask=slots, include_deferred", json={"slots": 5, "include_deferred": True}
    )
    assert (masked.status_code, masked.json()) == (200, pool("adm_pool", 5, "mine", True))
    # Without a mask include_deferred is false unless given, description kept unless given.
    full = await v1.patch("/pools/adm_pool", json={"name": "adm_pool", "slots": 6})
    assert (full.status_code, full.json()) == (200, pool("adm_pool", 6, "mine"))
    renamed = await v1.patch("/pools/adm_pool?update_mask=name", json={"name": "adm_pool_renamed"})
    assert (renamed.status_code, renamed.json()) == (200, pool("adm_pool_renamed", 6, "mine"))
    old = await v1.get("/pools/adm_pool")
    assert (old.status_code, old.json()) == (
        404,
        problem(404, "Pool with name:'adm_pool' not found", "Not Found", "NotFound"),
    )
    assert (await v1.get("/pools/adm_pool_renamed")).json() == pool("adm_pool_renamed", 6, "mine")
    deleted = await v1.delete("/pools/adm_pool_renamed")
    assert (deleted.status_code, deleted.content, deleted.headers["content-type"]) == (
        204,
        b"",
        "text/html; charset=utf-8",
    )
    again = await v1.delete("/pools/adm_pool_renamed")
    assert again.json() == problem(
        404, "Pool with name:'adm_pool_renamed' not found", "Not Found", "NotFound"
    )


async def test_a_rename_onto_an_existing_pool_is_a_conflict_and_changes_nothing(
    v1: httpx.AsyncClient,
) -> None:
    assert (await v1.post("/pools", json={"name": "adm_clash", "slots": 2})).status_code == 200
    try:
        answer = await v1.patch("/pools/adm_clash", json={"name": "etl_pool", "slots": 9})
        assert (answer.status_code, answer.json()) == (
            409,
            problem(409, "Pool: etl_pool already exists", "Conflict", "AlreadyExists"),
        )
        assert (await v1.get("/pools/adm_clash")).json() == pool("adm_clash", 2)
        assert (await v1.get("/pools/etl_pool")).json()["slots"] == 4
    finally:
        await v1.delete("/pools/adm_clash")


async def test_pool_updates_refused_as_airflow_2_refused_them_or_meant_to(v1: httpx.AsyncClient) -> None:
    assert (await v1.post("/pools", json={"name": "adm_refusals", "slots": 1})).status_code == 200
    try:
        cases = {
            # Airflow 2.11's own refusals
            "/pools/adm_refusals?update_mask=color": ({"slots": 1}, "Invalid field: color in update mask"),
            "/pools/adm_refusals": ({"slots": 1}, "Missing required property(ies): ['name']"),
            "/pools/default_pool": ({"slots": 1}, "Default Pool's name can't be modified"),
            # where it failed (500): a read-only field, and a field the body lacks
            "/pools/adm_refusals?update_mask=open_slots": (
                {"slots": 1},
                "Invalid field: open_slots in update mask",
            ),
            "/pools/adm_refusals?update_mask=description": (
                {"slots": 1},
                "Missing required property(ies): ['description']",
            ),
        }
        for path, (body, detail) in cases.items():
            answer = await v1.patch(path, json=body)
            assert (answer.status_code, answer.json()) == (400, bad_request(detail)), path
        missing = await v1.patch(
            "/pools/adm_no_such_pool", json={"name": "adm_no_such_pool", "slots": 1, "color": 1}
        )
        assert missing.json() == problem(
            404, "Pool with name:'adm_no_such_pool' not found", "Not Found", "NotFound"
        )
        assert (await v1.get("/pools/adm_refusals")).json() == pool("adm_refusals", 1)
    finally:
        await v1.delete("/pools/adm_refusals")


async def test_default_pools_slots_change_but_not_its_name_nor_its_existence(v1: httpx.AsyncClient) -> None:
    try:
        answer = await v1.patch("/pools/default_pool?update_mask=slots", json={"slots": 64})
        assert (answer.status_code, answer.json()) == (200, pool("default_pool", 64, "Default pool"))
        # Airflow 3 changes only the slots of default_pool (Airflow 2 also took a description).
        described = await v1.patch(
            "/pools/default_pool", json={"name": "default_pool", "slots": 64, "description": "x"}
        )
        assert described.json() == bad_request(
            "Only slots and included_deferred can be modified on Default Pool"
        )
        deleted = await v1.delete("/pools/default_pool")
        assert (deleted.status_code, deleted.json()) == (400, bad_request("Default Pool can't be deleted"))
    finally:
        await v1.patch("/pools/default_pool?update_mask=slots", json={"slots": 128})
    assert (await v1.get("/pools/default_pool")).json() == pool("default_pool", 128, "Default pool")


async def test_pool_bodies_are_checked_as_connexion_and_marshmallow_checked_them(
    v1: httpx.AsyncClient,
) -> None:
    cases = [
        ([], "[] is not of type 'object'"),
        ({"name": "adm_x", "slots": True}, "True is not of type 'integer' - 'slots'"),
        ({"name": "adm_x", "slots": 1.0}, "1.0 is not of type 'integer' - 'slots'"),
        ({"name": None, "slots": 1}, "None is not of type 'string' - 'name'"),
        ({"name": "adm_x", "slots": 1, "open_slots": 1}, "Property is read-only - 'open_slots'"),
        (
            {"name": "adm_x", "slots": 1, "include_deferred": None},
            "None is not of type 'boolean' - 'include_deferred'",
        ),
        ({"name": "adm_x", "color": "red"}, "Missing required property(ies): ['slots']"),
        ({"name": "x" * 257, "slots": 1}, "{'name': ['Longer than maximum length 256.']}"),
        ({"name": "adm_x", "slots": 1, "b": 1, "a": 2}, "{'b': ['Unknown field.'], 'a': ['Unknown field.']}"),
        # Airflow 3 knows no pool below -1 (unlimited); Airflow 2 stored one
        ({"name": "adm_x", "slots": -5}, "Input should be greater than or equal to -1 - 'slots'"),
    ]
    for body, detail in cases:
        answer = await v1.post("/pools", json=body)
        assert (answer.status_code, answer.json()) == (400, bad_request(detail)), body
    assert (await v1.get("/pools/adm_x")).status_code == 404


async def test_an_unlimited_pool_is_created_and_listed(v1: httpx.AsyncClient) -> None:
    created = await v1.post("/pools", json={"name": "adm_unlimited", "slots": -1})
    try:
        assert (created.status_code, created.json()) == (200, pool("adm_unlimited", -1))
        listed = await v1.get("/pools?order_by=-id&limit=1")
        assert (listed.status_code, listed.json()["pools"]) == (200, [pool("adm_unlimited", -1)])
    finally:
        await v1.delete("/pools/adm_unlimited")


async def test_pools_ordered_by_slots_which_airflow_3_cannot_order_by(v1: httpx.AsyncClient) -> None:
    for name, slots in (("adm_order_b", 7), ("adm_order_a", 900), ("adm_order_c", 3)):
        assert (await v1.post("/pools", json={"name": name, "slots": slots})).status_code == 200
    try:
        everything = (await v1.get("/pools")).json()
        ascending = (await v1.get("/pools?order_by=slots")).json()
        descending = (await v1.get("/pools?order_by=-slots&limit=2&offset=0")).json()
        by_name = (await v1.get("/pools?order_by=-name")).json()
    finally:
        for name in ("adm_order_a", "adm_order_b", "adm_order_c"):
            await v1.delete(f"/pools/{name}")
    assert ascending["total_entries"] == everything["total_entries"] == len(everything["pools"])
    slots = [p["slots"] for p in ascending["pools"]]
    assert slots == sorted(slots)
    assert [p["name"] for p in ascending["pools"] if p["name"].startswith("adm_order")] == [
        "adm_order_c", "adm_order_b", "adm_order_a",
    ]  # fmt: skip
    assert [p["name"] for p in descending["pools"]] == ["adm_order_a", "default_pool"]
    names = [p["name"] for p in by_name["pools"]]
    assert names == sorted(names, reverse=True)
    unknown = await v1.get("/pools?order_by=occupied_slots")
    assert unknown.json() == bad_request(
        "Ordering with 'occupied_slots' is disallowed or the attribute does not exist on the model"
    )


async def test_a_viewer_may_read_pools_but_not_change_them(v1: httpx.AsyncClient) -> None:
    assert (await v1.post("/pools", json={"name": "adm_viewed", "slots": 2})).status_code == 200
    try:
        read = await v1.get("/pools/adm_viewed", headers=VIEWER)
        assert (read.status_code, read.json()) == (200, pool("adm_viewed", 2))
        forbidden = problem(403, None, "Forbidden", "PermissionDenied")
        renamed = await v1.patch(
            "/pools/adm_viewed", json={"name": "adm_viewed_2", "slots": 2}, headers=VIEWER
        )
        assert (renamed.status_code, renamed.json()) == (403, forbidden)
        deleted = await v1.delete("/pools/adm_viewed", headers=VIEWER)
        assert (deleted.status_code, deleted.json()) == (403, forbidden)
        assert (await v1.get("/pools/adm_viewed")).json() == pool("adm_viewed", 2)
        assert (await v1.get("/pools/adm_viewed_2")).status_code == 404
    finally:
        await v1.delete("/pools/adm_viewed")


async def test_service_mode_answers_with_dagports_token(service: httpx.AsyncClient) -> None:
    answer = await service.get("/pools/default_pool")
    assert (answer.status_code, answer.json()) == (200, pool("default_pool", 128, "Default pool"))
    refused = await service.get("/pools/default_pool", headers={"Authorization": "Bearer not-a-token"})
    assert (refused.status_code, refused.json()) == (403, problem(403, None, "Forbidden", "PermissionDenied"))


# -- variables --------------------------------------------------------------------------------------


async def test_a_variable_is_created_overwritten_changed_and_deleted(v1: httpx.AsyncClient) -> None:
    created = await v1.post("/variables", json={"key": "adm_var", "value": "one", "description": "first"})
    assert (created.status_code, created.json()) == (
        200,
        {"description": "first", "key": "adm_var", "value": "one"},
    )
    # An existing key is overwritten, its description too (Airflow 2's Variable.set); the answer
    # echoes the body.
    again = await v1.post("/variables", json={"key": "adm_var", "value": "two"})
    assert (again.status_code, again.json()) == (200, {"key": "adm_var", "value": "two"})
    assert (await v1.get("/variables/adm_var")).json() == {
        "description": None,
        "key": "adm_var",
        "value": "two",
    }
    described = await v1.patch(
        "/variables/adm_var?update_mask=description",
        json={"key": "adm_var", "value": "ignored", "description": "d"},
    )
    assert described.json() == {"description": "d", "key": "adm_var", "value": "two"}
    # Airflow 2's masks know the value as `val`; `value` is refused with Airflow 2's words.
    refused = await v1.patch(
        "/variables/adm_var?update_mask=value", json={"key": "adm_var", "value": "three"}
    )
    assert (refused.status_code, refused.json()) == (
        400,
        bad_request("'value' is unknown or cannot be updated."),
    )
    valued = await v1.patch("/variables/adm_var?update_mask=val", json={"key": "adm_var", "value": "three"})
    assert valued.json() == {"description": "d", "key": "adm_var", "value": "three"}
    whole = await v1.patch("/variables/adm_var", json={"key": "adm_var", "value": "four"})
    assert whole.json() == {"description": "d", "key": "adm_var", "value": "four"}
    # A body-less DELETE sent with a JSON content type (airflow-python-sdk, cornflow) deletes.
    deleted = await v1.delete("/variables/adm_var", headers={"Content-Type": "application/json"})
    assert (deleted.status_code, deleted.content, deleted.headers["content-type"]) == (
        204,
        b"",
        "text/html; charset=utf-8",
    )
    gone = await v1.delete("/variables/adm_var")
    assert (gone.status_code, gone.json()) == (404, problem(404, None, "Variable not found", "NotFound"))


async def test_variable_refusals_in_airflow_2s_order(v1: httpx.AsyncClient) -> None:
    schema = "Invalid Variable schema"
    cases = [
        ("POST", "/variables", {"key": "adm_v", "value": 5}, bad_request("5 is not of type 'string' - 'value'")),
        ("POST", "/variables", {"key": "adm_v", "value": "v", "description": None},
         bad_request("{'description': ['Field may not be null.']}", schema)),
        ("POST", "/variables", {"value": "v", "other": 1},
         bad_request("{'key': ['Missing data for required field.'], 'other': ['Unknown field.']}", schema)),
        ("PATCH", "/variables/adm_v", {"key": "adm_w", "value": "v"},
         bad_request("key from request body doesn't match uri parameter", "Invalid post body")),
        # the variable is missing before the mask is wrong
        ("PATCH", "/variables/adm_v?update_mask=value", {"key": "adm_v", "value": "v"},
         problem(404, "Variable does not exist", "Variable not found", "NotFound")),
        ("PATCH", "/variables/adm_v", {"key": "adm_v", "value": "v"},
         problem(404, "Variable does not exist", "Variable not found", "NotFound")),
    ]  # fmt: skip
    for method, path, body, expected in cases:
        answer = await v1.request(method, path, json=body)
        assert (answer.status_code, answer.json()) == (expected["status"], expected), (method, path, body)
    assert (await v1.get("/variables/adm_v")).status_code == 404


async def test_a_key_may_hold_a_slash_and_a_json_value_comes_back_as_airflow_3_writes_it(
    v1: httpx.AsyncClient,
) -> None:
    created = await v1.post("/variables", json={"key": "adm/slashed", "value": '{"a":1,"b":[true]}'})
    assert created.json() == {"key": "adm/slashed", "value": '{"a":1,"b":[true]}'}
    try:
        read = await v1.get("/variables/adm/slashed")
        assert read.json() == {"description": None, "key": "adm/slashed", "value": '{"a": 1, "b": [true]}'}
        listed = await v1.get("/variables?order_by=-id&limit=1")
        assert listed.json()["variables"] == [read.json()]
    finally:
        assert (await v1.delete("/variables/adm/slashed")).status_code == 204
    empty = await v1.get("/variables/")
    assert (empty.status_code, empty.json()["detail"], empty.json()["type"]) == (
        404,
        ROUTE_NOT_FOUND,
        "about:blank",
    )


async def test_a_sensitive_variable_is_answered_in_clear_only_where_dagport_knows_its_value(
    v1: httpx.AsyncClient,
) -> None:
    created = await v1.post("/variables", json={"key": "adm_secret", "value": "s3cr3t"})
    try:
        assert created.json() == {"key": "adm_secret", "value": "s3cr3t"}
        changed = await v1.patch("/variables/adm_secret", json={"key": "adm_secret", "value": "n3w"})
        assert changed.json() == {"description": None, "key": "adm_secret", "value": "n3w"}
        # Airflow 3 hides it from reads.
        assert (await v1.get("/variables/adm_secret")).json() == {
            "description": None,
            "key": "adm_secret",
            "value": "***",
        }
    finally:
        await v1.delete("/variables/adm_secret")


async def test_a_viewer_may_not_read_variables(v1: httpx.AsyncClient) -> None:
    forbidden = problem(403, None, "Forbidden", "PermissionDenied")
    listed = await v1.get("/variables", headers=VIEWER)
    assert (listed.status_code, listed.json()) == (403, forbidden)
    written = await v1.post("/variables", json={"key": "adm_viewer", "value": "v"}, headers=VIEWER)
    assert (written.status_code, written.json()) == (403, forbidden)
    assert (await v1.get("/variables/adm_viewer")).status_code == 404


# -- connections ------------------------------------------------------------------------------------


def connection(connection_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "conn_type": "http", "connection_id": connection_id, "description": None, "extra": None, "host": None,
        "login": None, "port": None, "schema": None, **fields,
    }  # fmt: skip


async def test_a_connection_is_created_changed_and_deleted(v1: httpx.AsyncClient) -> None:
    body = {
        "connection_id": "adm_conn",
        "conn_type": "http",
        "password": "pw",
        "extra": '{"password": "x", "a": 1}',
    }
    created = await v1.post("/connections", json=body)
    # Airflow 3 hides the sensitive values of extra, as Airflow 2 did; no password is ever answered.
    expected = connection("adm_conn", extra='{"password": "***", "a": 1}')
    assert (created.status_code, created.json()) == (200, expected)
    try:
        duplicate = await v1.post("/connections", json={"connection_id": "adm_conn", "conn_type": "ftp"})
        assert duplicate.json() == problem(
            409, "Connection already exist. ID: adm_conn", "Conflict", "AlreadyExists"
        )
        # A partial body (no conn_type): the connection keeps its type.
        hosted = await v1.patch("/connections/adm_conn", json={"host": "h.example", "port": 81})
        assert hosted.json() == {**expected, "host": "h.example", "port": 81}
        masked = await v1.patch(
            "/connections/adm_conn?update_mask=schema,login",
            json={"schema": "s", "login": "l", "host": "ignored"},
        )
        assert masked.json() == {**expected, "host": "h.example", "port": 81, "schema": "s", "login": "l"}
        listed = await v1.get("/connections?order_by=-id&limit=1")
        assert listed.json()["connections"] == [{k: v for k, v in masked.json().items() if k != "extra"}]
        refusals = {
            "/connections/adm_conn?update_mask=connection_id": (
                {"host": "x"},
                "'connection_id' is unknown or cannot be updated.",
            ),
            "/connections/adm_conn?update_mask=port": (
                {"host": "x"},
                "'port' is unknown or cannot be updated.",
            ),
            "/connections/adm_conn": ({"connection_id": "adm_other"}, "The connection_id cannot be updated."),
        }
        for path, (patch, detail) in refusals.items():
            answer = await v1.patch(path, json=patch)
            assert (answer.status_code, answer.json()) == (400, bad_request(detail)), path
    finally:
        deleted = await v1.delete("/connections/adm_conn")
    assert (deleted.status_code, deleted.content, deleted.headers["content-type"]) == (
        204,
        b"",
        "application/json",
    )
    missing = await v1.get("/connections/adm_conn")
    assert missing.json() == problem(
        404, "The Connection with connection_id: `adm_conn` was not found", "Connection not found", "NotFound"
    )


async def test_connection_bodies_are_checked_as_airflow_2_checked_them(v1: httpx.AsyncClient) -> None:
    cases = [
        ({"connection_id": "adm_c", "conn_type": "http", "port": "80"}, "'80' is not of type 'integer' - 'port'"),
        ({"connection_id": "adm_c", "conn_type": "http", "password": None}, "None is not of type 'string' - 'password'"),
        ({"foo": 1}, "{'connection_id': ['Missing data for required field.'], 'conn_type': "
                     "['Missing data for required field.'], 'foo': ['Unknown field.']}"),
        ({"connection_id": "a" * 201, "conn_type": "http"}, "The key has to be less than 200 characters"),
        ({"connection_id": "a" * 251, "conn_type": "http"}, "{'connection_id': ['Longer than maximum length 250.']}"),
        # Airflow 3 keeps only a JSON object in extra
        ({"connection_id": "adm_c", "conn_type": "http", "extra": "not json"},
         "Value error, The `extra` field must be a valid JSON object (e.g., {'key': 'value'}), but encountered "
         "non-JSON in `extra` field - 'extra'"),
    ]  # fmt: skip
    for body, detail in cases:
        answer = await v1.post("/connections", json=body)
        assert (answer.status_code, answer.json()) == (400, bad_request(detail)), body
    assert (await v1.get("/connections/adm_c")).status_code == 404


async def test_testing_a_connection_is_refused_while_airflow_disables_it(
    v1: httpx.AsyncClient, service: httpx.AsyncClient
) -> None:
    disabled = problem(403, TEST_DISABLED, "Forbidden", "PermissionDenied")
    for client in (v1, service):
        answer = await client.post("/connections/test", json={"connection_id": "adm_t", "conn_type": "http"})
        assert (answer.status_code, answer.headers["content-type"], answer.json()) == (
            403, "application/problem+json", disabled,
        )  # fmt: skip
    viewer = await v1.post(
        "/connections/test", json={"connection_id": "adm_t", "conn_type": "http"}, headers=VIEWER
    )
    assert viewer.json() == problem(403, None, "Forbidden", "PermissionDenied")


# -- config, plugins, providers -------------------------------------------------------------------


async def test_the_configuration_is_refused_while_airflow_does_not_expose_it(
    v1: httpx.AsyncClient, service: httpx.AsyncClient
) -> None:
    not_exposed = problem(403, NOT_EXPOSED, "Forbidden", "PermissionDenied")
    for client, path, headers in (
        (v1, "/config", {}),
        (v1, "/config?section=core", {"Accept": "application/json"}),
        (v1, "/config/section/core/option/parallelism", {"Accept": "text/plain"}),
        (v1, "/config", VIEWER),  # Airflow 3 lets a viewer read the configuration, where exposed
        (service, "/config", {}),
        (service, "/config/section/core/option/parallelism", {}),
    ):
        answer = await client.get(path, headers=headers)
        assert (answer.status_code, answer.json()) == (403, not_exposed), (path, headers)
    unacceptable = await v1.get("/config", headers={"Accept": "text/html"})
    assert (unacceptable.status_code, unacceptable.json()) == (
        406, problem(406, "Only application/json or text/plain is supported", "Not Acceptable", "NotAcceptable"),
    )  # fmt: skip


async def test_plugins_and_providers_are_airflow_3s(
    v1: httpx.AsyncClient, v1_airflow: AirflowDeployment
) -> None:
    plugins = await v1.get("/plugins?limit=0")
    assert (plugins.status_code, plugins.json()) == (200, {"plugins": [], "total_entries": 0})
    providers = (await v1.get("/providers")).json()
    airflow3 = (await v1_airflow.api("GET", "/providers")).json()["providers"]
    assert providers == {
        "providers": [
            {"description": p["description"], "package_name": p["package_name"], "version": p["version"]}
            for p in airflow3
        ],
        "total_entries": len(airflow3),
    }
    assert "apache-airflow-providers-standard" in [p["package_name"] for p in providers["providers"]]


# -- event logs -------------------------------------------------------------------------------------


async def test_event_logs_are_filtered_and_ordered_by_airflow_3(v1: httpx.AsyncClient) -> None:
    assert (await v1.post("/variables", json={"key": "adm_logged", "value": "v"})).status_code == 200
    assert (await v1.delete("/variables/adm_logged")).status_code == 204
    latest = (
        await v1.get(
            "/eventLogs?owner=admin&included_events=post_variable,delete_variable&order_by=-event_log_id&limit=2"
        )
    ).json()
    deleted, posted = latest["event_logs"]
    assert (posted["event"], deleted["event"]) == ("post_variable", "delete_variable")
    assert json.loads(posted["extra"])["key"] == "adm_logged"
    assert deleted["event_log_id"] > posted["event_log_id"]
    for row in (posted, deleted):
        assert set(row) == {
            "dag_id", "event", "event_log_id", "execution_date", "extra", "map_index", "owner", "run_id",
            "task_id", "try_number", "when",
        }  # fmt: skip
        assert (row["dag_id"], row["execution_date"], row["owner"]) == (None, None, "admin")
        assert row["when"].endswith("+00:00")
        one = await v1.get(f"/eventLogs/{row['event_log_id']}")
        assert (one.status_code, one.json()) == (200, row)
    excluded = (
        await v1.get(f"/eventLogs?excluded_events=delete_variable&after={posted['when'].replace('+', '%2B')}")
    ).json()
    assert "delete_variable" not in [r["event"] for r in excluded["event_logs"]]
    everything = (await v1.get("/eventLogs?limit=1")).json()["total_entries"]
    # As Airflow 2 read them, an empty or 0 filter filters nothing.
    assert (await v1.get("/eventLogs?limit=1&map_index=0&try_number=0&dag_id=")).json()[
        "total_entries"
    ] == everything
    # A task's rows carry its run's logical date as execution_date.
    task_rows = (
        await v1.get("/eventLogs?dag_id=xcom_dag&task_id=push&event=success&order_by=execution_date")
    ).json()
    assert [
        (r["run_id"], r["execution_date"], r["map_index"], r["try_number"]) for r in task_rows["event_logs"]
    ] == [("manual__2016-11-16T00:00:00+00:00", "2016-11-16T00:00:00+00:00", -1, 1)]
    capped = (await v1.get("/eventLogs?limit=150")).json()
    assert len(capped["event_logs"]) == min(100, capped["total_entries"])


async def test_event_log_refusals(v1: httpx.AsyncClient) -> None:
    assert (await v1.get("/eventLogs?order_by=bogus")).json() == bad_request(
        "Ordering with 'bogus' is disallowed or the attribute does not exist on the model"
    )
    assert (await v1.get("/eventLogs?limit=-1")).json() == bad_request(
        None, "Page limit must be a positive integer"
    )
    assert (await v1.get("/eventLogs?map_index=x")).json() == bad_request(
        "Wrong type, expected 'integer' for query parameter 'map_index'"
    )
    assert (
        (await v1.get("/eventLogs?before=2016-01-01"))
        .json()["detail"]
        .startswith("'2016-01-01' is not a 'date-time'")
    )
    missing = await v1.get("/eventLogs/0")
    assert (missing.status_code, missing.json()) == (
        404,
        problem(404, None, "Event Log not found", "NotFound"),
    )
    for path in ("/eventLogs/abc", "/eventLogs/-1"):
        routed = await v1.get(path)
        assert (routed.status_code, routed.json()["detail"], routed.json()["type"]) == (
            404,
            ROUTE_NOT_FOUND,
            "about:blank",
        )


# -- users, roles and permissions ----------------------------------------------------------------------


async def test_users_and_roles_are_not_served_without_the_fab_auth_manager(v1: httpx.AsyncClient) -> None:
    not_served = problem(404, FAB_NOT_SERVED, "Not Found", "NotFound")
    for method, path, body in (
        ("GET", "/users", None),
        ("GET", "/users/admin", None),
        ("POST", "/users", {"username": "adm_user"}),
        ("PATCH", "/users/admin", {"first_name": "x"}),
        ("DELETE", "/users/admin", None),
        ("GET", "/roles", None),
        ("GET", "/roles/Admin", None),
        ("DELETE", "/roles/Admin", None),
        ("GET", "/permissions", None),
    ):
        answer = await v1.request(method, path, json=body)
        assert (answer.status_code, answer.json()) == (404, not_served), (method, path)


async def test_users_and_roles_change_in_passthrough_mode_only(service: httpx.AsyncClient) -> None:
    """dagport's service account would make the change, whoever asked: refused before Airflow is
    called (and before the body is read); reads are still forwarded."""
    refused = problem(403, SERVICE_MODE_WRITE, "Forbidden", "PermissionDenied")
    for method, path, body in (*USER_AND_ROLE_CHANGES, ("PATCH", "/users/admin", None)):
        answer = await service.request(method, path, json=body)
        assert (answer.status_code, answer.headers["content-type"], answer.json()) == (
            403, "application/problem+json", refused,
        ), (method, path)  # fmt: skip
    not_json = await service.post("/users", content=b"x", headers={"Content-Type": "text/plain"})
    assert (not_json.status_code, not_json.json()) == (403, refused)
    read = await service.get("/users")
    assert (read.status_code, read.json()) == (404, problem(404, FAB_NOT_SERVED, "Not Found", "NotFound"))


# -- against the stand-in: exact calls, and what the test Airflow cannot be made to do -------------------


def jwt() -> str:
    claims = base64.urlsafe_b64encode(b'{"exp": 4102444800}').decode().rstrip("=")
    return f"eyJhbGciOiJIUzI1NiJ9.{claims}.signature"


def collection(key: str, items: list[Any], total: int | None = None) -> tuple[int, Any, float]:
    return 200, {key: items, "total_entries": len(items) if total is None else total}, 0.0


@asynccontextmanager
async def standin_front(
    airflow: StandIn, database_url: str, headers: dict[str, str] | None = None, **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    settings = {"airflow_token": "a-static-token", **overrides}
    async with front(
        airflow.url, database_url, headers or {"Authorization": f"Bearer {TOKEN}"}, **settings
    ) as c:
        yield c


def calls(airflow: StandIn) -> list[tuple[str, str, dict[str, list[str]]]]:
    return [(s.method, s.path, s.query) for s in airflow.seen if s.path != "/auth/token"]


async def test_a_listing_page_is_one_call_with_v1s_parameters_in_airflow_3s_names(database_url: str) -> None:
    airflow = StandIn(
        {
            "/api/v2/pools": collection("pools", []),
            "/api/v2/variables": collection("variables", []),
            "/api/v2/connections": collection("connections", []),
            "/api/v2/eventLogs": collection("event_logs", []),
            "/api/v2/plugins": collection("plugins", []),
        }
    )
    async with airflow, standin_front(airflow, database_url) as v1:
        for path in (
            "/pools?limit=500&offset=3&order_by=-name",
            "/variables?order_by=value",
            "/connections?limit=0&order_by=connection_id",
            "/eventLogs?dag_id=d&map_index=0&try_number=2&included_events=a,b&excluded_events=c"
            "&before=2017-01-01T02:00:00%2B02:00&order_by=-execution_date",
            "/eventLogs?order_by=when&dag_id=&owner=o",
            "/plugins?limit=5&offset=1",
        ):
            assert (await v1.get(path)).status_code == 200, path
    assert calls(airflow) == [
        ("GET", "/api/v2/pools", {"limit": ["100"], "offset": ["3"], "order_by": ["-name"]}),
        ("GET", "/api/v2/variables", {"limit": ["100"], "offset": ["0"], "order_by": ["_val"]}),
        ("GET", "/api/v2/connections", {"limit": ["100"], "offset": ["0"], "order_by": ["connection_id"]}),
        ("GET", "/api/v2/eventLogs", {
            "dag_id": ["d"], "try_number": ["2"], "included_events": ["a", "b"], "excluded_events": ["c"],
            "before": ["2017-01-01T02:00:00+02:00"], "limit": ["100"], "offset": ["0"], "order_by": ["-logical_date"],
        }),
        ("GET", "/api/v2/eventLogs", {"owner": ["o"], "limit": ["100"], "offset": ["0"], "order_by": ["dttm"]}),
        ("GET", "/api/v2/plugins", {"limit": ["5"], "offset": ["1"]}),
    ]  # fmt: skip


async def test_pools_by_slots_read_every_page(database_url: str) -> None:
    pools = [
        {"name": f"p{i:03}", "slots": (i * 37) % 101, "description": None, "include_deferred": False}
        for i in range(150)
    ]

    def page(seen: Seen) -> tuple[int, Any, float]:
        offset, limit = int(seen.query["offset"][0]), int(seen.query["limit"][0])
        return collection("pools", pools[offset : offset + min(limit, 100)], len(pools))

    airflow = StandIn({"/api/v2/pools": page})
    async with airflow, standin_front(airflow, database_url) as v1:
        answer = (await v1.get("/pools?order_by=-slots&limit=3&offset=1")).json()
    expected = sorted(pools, key=lambda p: p["slots"], reverse=True)[1:4]
    assert [(p["name"], p["slots"]) for p in answer["pools"]] == [(p["name"], p["slots"]) for p in expected]
    assert answer["total_entries"] == 150
    assert [(s.path, s.query["offset"], s.query["order_by"]) for s in airflow.seen] == [
        ("/api/v2/pools", ["0"], ["id"]), ("/api/v2/pools", ["100"], ["id"]),
    ]  # fmt: skip


async def test_a_rename_whose_delete_fails_leaves_the_old_pool_only(database_url: str) -> None:
    old_pool = {"name": "old", "slots": 3, "description": None, "include_deferred": False}
    delete: dict[str, Any] = {}  # each case's answer to the old pool's DELETE, and whether it acted

    def old(seen: Seen) -> tuple[int, Any, float]:
        if seen.method == "DELETE":
            delete["gone"] = delete["acts"]
            reply: tuple[int, Any, float] = delete["answer"]
            return reply
        return (404, {"detail": "gone"}, 0.0) if delete.get("gone") else (200, old_pool, 0.0)

    airflow = StandIn(
        {
            "/api/v2/pools/old": old,
            "/api/v2/pools": (201, {**old_pool, "name": "new"}, 0.0),
            "/api/v2/pools/new": (204, None, 0.0),
        }
    )
    async with airflow, standin_front(airflow, database_url) as v1:
        delete.update(answer=(409, {"detail": "Pool old has running task instances"}, 0.0), acts=False)
        refused = await v1.patch("/pools/old?update_mask=name", json={"name": "new"})
        refused_calls = calls(airflow)
        airflow.seen.clear()
        # A 5xx: the delete's outcome is unknown. The old pool gone after all: the new one stays.
        delete.update(answer=(500, {"detail": "boom"}, 0.0), acts=True)
        failed = await v1.patch("/pools/old", json={"name": "new", "slots": 3})
    assert (refused.status_code, refused.json()) == (
        409,
        problem(409, "Pool old has running task instances", "Conflict", "AlreadyExists"),
    )
    assert refused_calls == [
        ("GET", "/api/v2/pools/old", {}),
        ("POST", "/api/v2/pools", {}),
        ("DELETE", "/api/v2/pools/old", {}),
        ("GET", "/api/v2/pools/old", {}),
        ("DELETE", "/api/v2/pools/new", {}),  # not both pools: the new one deleted again
    ]
    assert failed.status_code == 502
    assert [(m, p) for m, p, _ in calls(airflow)] == [
        ("GET", "/api/v2/pools/old"),
        ("POST", "/api/v2/pools"),
        ("DELETE", "/api/v2/pools/old"),
        ("GET", "/api/v2/pools/old"),
    ]


async def test_a_refused_body_reaches_no_airflow(database_url: str) -> None:
    airflow = StandIn({})
    async with airflow, standin_front(airflow, database_url) as v1:
        answers = [
            await v1.post("/pools", json={"name": "p", "slots": "x"}),
            await v1.post("/variables", json={"key": "k"}),
            await v1.post("/connections", json={"connection_id": "bad id!", "conn_type": "http"}),
            await v1.patch("/variables/k?update_mask=key", json={"key": "k", "value": "v", "extra": 1}),
            await v1.delete("/pools/default_pool"),
        ]
    assert [(a.status_code, a.json()["detail"]) for a in answers] == [
        (400, "'x' is not of type 'integer' - 'slots'"),
        (400, "{'value': ['Missing data for required field.']}"),
        (
            400,
            "The key 'bad id!' has to be made of alphanumeric characters, dashes, dots and underscores exclusively",
        ),
        (400, "{'extra': ['Unknown field.']}"),
        (400, "Default Pool can't be deleted"),
    ]
    assert airflow.seen == []


async def test_an_exposed_configuration_is_written_as_airflow_2_wrote_it(database_url: str) -> None:
    config = {
        "sections": [
            {
                "name": "core",
                "options": [
                    {"key": "parallelism", "value": "32"},
                    {"key": "fernet_key", "value": "< hidden >"},
                ],
            },
            {"name": "api", "options": [{"key": "expose_config", "value": ["True", "env var"]}]},
        ]
    }

    def answer(seen: Seen) -> tuple[int, Any, float]:
        if seen.query.get("section") == ["nope"]:
            return 404, {"detail": "Section nope not found."}, 0.0
        return 200, config, 0.0

    airflow = StandIn(
        {
            "/api/v2/config": answer,
            "/api/v2/config/section/core/option/parallelism": (
                200,
                {"sections": config["sections"][:1]},
                0.0,
            ),
            "/api/v2/config/section/core/option/nope": (
                404,
                {"detail": "Option [core/nope] not found."},
                0.0,
            ),
        }
    )
    as_dict = {
        "sections": [
            {
                "name": "core",
                "options": [
                    {"key": "parallelism", "value": "32"},
                    {"key": "fernet_key", "value": "< hidden >"},
                ],
            },
            {"name": "api", "options": [{"key": "expose_config", "value": "True"}]},
        ]
    }
    async with airflow, standin_front(airflow, database_url) as v1:
        as_json = await v1.get("/config", headers={"Accept": "application/json"})
        as_text = await v1.get("/config", headers={"Accept": "*/*"})
        tie = await v1.get("/config", headers={"Accept": "application/json, text/plain"})
        preferred = await v1.get("/config", headers={"Accept": "text/plain;q=0.5, application/*"})
        missing = await v1.get("/config?section=nope", headers={"Accept": "application/json"})
        option = await v1.get(
            "/config/section/core/option/parallelism", headers={"Accept": "application/json"}
        )
        no_option = await v1.get("/config/section/core/option/nope", headers={"Accept": "application/json"})
    assert (as_json.status_code, as_json.headers["content-type"], as_json.text) == (
        200,
        "application/json",
        json.dumps(as_dict, indent=4),
    )
    assert as_json.headers["cache-control"] == "no-store"
    text = "[core]\nparallelism = 32\nfernet_key = < hidden >\n\n[api]\nexpose_config = True\n"
    assert (as_text.status_code, as_text.headers["content-type"], as_text.text) == (
        200,
        "text/plain; charset=utf-8",
        text,
    )
    assert (tie.text, preferred.headers["content-type"]) == (text, "application/json")
    assert missing.json() == problem(404, "section=nope not found.", "section not found.", "NotFound")
    assert option.text == json.dumps({"sections": as_dict["sections"][:1]}, indent=4)
    assert no_option.json() == problem(
        404, "The option [core/nope] is not found in config.", "Config not found.", "NotFound"
    )
    assert {s.headers["accept"] for s in airflow.seen} == {"application/json"}  # whatever the caller took


async def test_a_403_of_another_reason_is_still_a_refusal(database_url: str) -> None:
    airflow = StandIn(
        {
            "/auth/token": (201, {"access_token": jwt()}, 0.0),
            "/api/v2/config": (403, {"detail": "Forbidden"}, 0.0),
            "/api/v2/connections/test": (403, {"detail": "Forbidden"}, 0.0),
        }
    )
    async with airflow:
        async with standin_front(
            airflow, database_url, ADMIN, airflow_auth="passthrough", airflow_token=""
        ) as v1:
            config = await v1.get("/config")
            tested = await v1.post("/connections/test", json={"connection_id": "c", "conn_type": "http"})
        async with standin_front(airflow, database_url) as service:
            refused = await service.get("/config")
    assert [(a.status_code, a.json()) for a in (config, tested)] == [
        (403, problem(403, None, "Forbidden", "PermissionDenied"))
    ] * 2
    assert (refused.status_code, refused.json()["detail"]) == (502, "Airflow refused dagport's credentials")


async def test_a_connection_is_tested_where_airflow_allows_it(database_url: str) -> None:
    airflow = StandIn(
        {
            "/api/v2/connections/test": (
                200,
                {"status": True, "message": "Connection successfully tested"},
                0.0,
            )
        }
    )
    async with airflow, standin_front(airflow, database_url) as v1:
        answer = await v1.post(
            "/connections/test", json={"connection_id": "c", "conn_type": "http", "host": "h"}
        )
    assert (answer.status_code, answer.json()) == (
        200,
        {"message": "Connection successfully tested", "status": True},
    )
    assert [json.loads(s.body) for s in airflow.seen] == [
        {"connection_id": "c", "conn_type": "http", "host": "h"}
    ]


async def test_users_roles_and_permissions_go_to_the_fab_auth_manager(database_url: str) -> None:
    fab_user = {
        "username": "ada", "email": "ada@example.com", "first_name": "Ada", "last_name": "L", "roles": [{"name": "Admin"}],
        "active": True, "last_login": "2026-12-07T16:37:47.170462Z", "login_count": 3, "fail_login_count": 1,
        "created_on": "2026-12-01T00:00:00", "changed_on": None,
    }  # fmt: skip
    v1_user = {
        "active": True, "changed_on": None, "created_on": "2026-12-01T00:00:00", "email": "ada@example.com",
        "failed_login_count": 1, "first_name": "Ada", "last_login": "2026-12-07T16:37:47.170462+00:00",
        "last_name": "L", "login_count": 3, "roles": [{"name": "Admin"}], "username": "ada",
    }  # fmt: skip
    role = {"name": "Ops", "actions": [{"action": {"name": "can_read"}, "resource": {"name": "DAGs"}}]}

    def user(seen: Seen) -> tuple[int, Any, float]:
        if seen.method == "DELETE":
            return 204, None, 0.0
        return 200, fab_user, 0.0

    airflow = StandIn(
        {
            "/auth/token": (201, {"access_token": jwt()}, 0.0),
            "/auth/fab/v1/users": collection("users", [fab_user], 7),
            "/auth/fab/v1/users/ada": user,
            "/auth/fab/v1/users/bob": (404, {"detail": "The User with username `bob` was not found"}, 0.0),
            "/auth/fab/v1/roles": collection("roles", [role]),
            "/auth/fab/v1/roles/Ops": (200, role, 0.0),
            "/auth/fab/v1/permissions": collection("actions", [{"name": "can_read"}]),
        }
    )
    async with airflow:
        async with standin_front(airflow, database_url) as service:  # reads only in service mode
            users = await service.get("/users?limit=2&order_by=-username")
            one = await service.get("/users/ada")
            missing = await service.get("/users/bob")
            refused = [await service.request(m, p, json=b) for m, p, b in USER_AND_ROLE_CHANGES]
            roles = await service.get("/roles")
            actions = await service.get("/permissions")
        async with standin_front(
            airflow, database_url, ADMIN, airflow_auth="passthrough", airflow_token=""
        ) as v1:
            patched = await v1.patch("/users/ada?update_mask=first_name,roles", json={"first_name": "Ada"})
            deleted = await v1.delete("/users/ada")
            ops = await v1.patch("/roles/Ops", json=role)
    assert (users.status_code, users.json()) == (200, {"total_entries": 7, "users": [v1_user]})
    assert (one.json(), patched.json()) == (v1_user, v1_user)
    assert missing.json() == problem(
        404, "The User with username `bob` was not found", "Not Found", "NotFound"
    )
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert roles.json() == {"roles": [role], "total_entries": 1}
    assert ops.json() == role
    assert actions.json() == {"actions": [{"name": "can_read"}], "total_entries": 1}
    assert [(a.status_code, a.json()["detail"]) for a in refused] == [(403, SERVICE_MODE_WRITE)] * 6
    assert calls(airflow) == [
        ("GET", "/auth/fab/v1/users", {"limit": ["2"], "offset": ["0"], "order_by": ["-username"]}),
        ("GET", "/auth/fab/v1/users/ada", {}),
        ("GET", "/auth/fab/v1/users/bob", {}),
        ("GET", "/auth/fab/v1/roles", {"limit": ["100"], "offset": ["0"]}),
        ("GET", "/auth/fab/v1/permissions", {"limit": ["100"], "offset": ["0"]}),
        ("PATCH", "/auth/fab/v1/users/ada", {"update_mask": ["first_name,roles"]}),
        ("DELETE", "/auth/fab/v1/users/ada", {}),
        ("PATCH", "/auth/fab/v1/roles/Ops", {}),
    ]

"""Protocol conventions (docs/api.md 1): JSON errors for unknown routes and methods, trailing slashes, HEAD,
X-Request-ID, the body size limit, 400 (never 422) validation errors, and no HTML anywhere."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.conftest import TOKEN
from tests.helpers import DEFAULT_POOL, build_reference_state, error_of

API = "/api/experimental"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@asynccontextmanager
async def client_for(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An authenticated client rooted at the host, for apps built with non-default settings."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://dagport.test", headers=AUTH) as c:
        yield c


# --- unknown routes and methods ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/no_such_route", "/dags/x/y/z/w", "/pools/a/b"])
async def test_unknown_route_is_json_404(client, path):
    response = await client.get(path)
    assert response.status_code == 404
    assert error_of(response) == {"error": "Not Found"}


async def test_unknown_route_outside_the_prefix_is_json_404(anon):
    response = await anon.get("/nothing/here")
    assert response.status_code == 404
    assert error_of(response) == {"error": "Not Found"}


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "/pools"), ("PATCH", "/pools/default_pool"), ("POST", "/dags/d/paused/true"), ("POST", "/test")],
)
async def test_wrong_method_is_json_405(client, method, path):
    response = await client.request(method, path, json={})
    assert response.status_code == 405
    assert error_of(response) == {"error": "Method Not Allowed"}


# --- trailing slash ----------------------------------------------------------------------------------


async def test_trailing_slash_on_get_is_the_same_route(client):
    response = await client.get("/pools/")
    assert response.status_code == 200
    assert response.json() == [DEFAULT_POOL]


async def test_trailing_slash_on_get_with_path_parameter(client):
    response = await client.get("/pools/default_pool/")
    assert response.status_code == 200
    assert response.json() == DEFAULT_POOL


async def test_trailing_slash_on_post_is_the_same_route_without_redirect(client):
    response = await client.post("/pools/", json={"name": "slashed", "slots": 2})
    assert response.status_code == 200
    assert response.json() == {
        "description": None,
        "id": 2,
        "include_deferred": False,
        "pool": "slashed",
        "slots": 2,
    }
    assert (await client.get("/pools/slashed")).status_code == 200


async def test_trailing_slash_on_delete(client):
    await client.post("/pools", json={"name": "slashed", "slots": 2})
    response = await client.delete("/pools/slashed/")
    assert response.status_code == 200
    assert response.json()["pool"] == "slashed"


async def test_trailing_slash_on_the_seed_lineage_url(client):
    await build_reference_state(client)
    response = await client.get("/lineage/lineage_dag/2016-11-16T00:00:00+00:00/")
    assert response.status_code == 200
    assert response.json()["message"] == "Lineage for dag lineage_dag at 2016-11-16 00:00:00+00:00"


# --- HEAD --------------------------------------------------------------------------------------------


async def assert_head_matches_get(client: httpx.AsyncClient, path: str, status: int) -> None:
    headers = {"X-Request-ID": "head-check"}
    got = await client.get(path, headers=headers)
    head = await client.head(path, headers=headers)
    assert got.status_code == status, got.text
    assert head.status_code == status
    assert dict(head.headers) == dict(got.headers)
    assert head.content == b""
    assert got.content != b""


async def test_head_on_test_route(client):
    await assert_head_matches_get(client, "/test", 200)


async def test_head_on_a_404(client):
    await assert_head_matches_get(client, "/pools/no_such_pool", 404)


async def test_head_on_an_unknown_route(client):
    await assert_head_matches_get(client, "/no_such_route", 404)


async def test_head_on_a_401(anon):
    await assert_head_matches_get(anon, f"{API}/test", 401)


@pytest.mark.parametrize(
    "path",
    [
        "/info",
        "/pools",
        "/pools/etl_pool",
        "/dags",
        "/dags/example_bash",
        "/dags/example_bash/code",
        "/dags/example_bash/paused",
        "/dags/lineage_dag/dag_runs",
        "/dags/lineage_dag/dag_runs/2016-11-16T00:00:00+00:00",
        "/dags/example_bash/tasks/extract",
        "/dags/lineage_dag/dag_runs/2016-11-16T00:00:00+00:00/tasks/produce",
        "/latest_runs",
        "/lineage/lineage_dag/2016-11-16T00:00:00+00:00",
    ],
)
async def test_head_on_every_get_route(client, path):
    await build_reference_state(client)
    await assert_head_matches_get(client, path, 200)


@pytest.mark.parametrize("path", ["/health", "/ready"])
async def test_head_on_operations_routes(anon, path):
    await assert_head_matches_get(anon, path, 200)


@pytest.mark.parametrize("value", ["true", "false"])
async def test_head_on_the_pause_route_answers_as_get_but_never_writes(client, value):
    await build_reference_state(client)
    before = (await client.get("/dags/example_bash/paused")).json()["is_paused"]
    target = "false" if before else "true"  # the state a GET would switch to
    head = await client.head(f"/dags/example_bash/paused/{target}")
    assert (head.status_code, head.content) == (200, b"")
    assert (await client.get("/dags/example_bash/paused")).json() == {"is_paused": before}
    assert (await client.head(f"/dags/example_bash/paused/{value}")).status_code == 200
    assert (await client.get("/dags/example_bash/paused")).json() == {"is_paused": before}


@pytest.mark.parametrize(
    ("path", "status"), [("/dags/example_bash/paused/maybe", 400), ("/dags/no_such_dag/paused/true", 404)]
)
async def test_head_on_the_pause_route_refuses_what_get_refuses(client, path, status):
    await build_reference_state(client)
    await assert_head_matches_get(client, path, status)


async def test_head_on_a_route_without_get_is_405(client):
    response = await client.head("/dags/x/delete_dag")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/json"
    assert response.content == b""


# --- X-Request-ID ------------------------------------------------------------------------------------


async def test_request_id_is_echoed(client):
    response = await client.get("/test", headers={"X-Request-ID": "my-request-42"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "my-request-42"


async def test_request_id_is_generated_when_absent(client):
    first = await client.get("/test")
    second = await client.get("/test")
    assert first.headers["x-request-id"]
    assert second.headers["x-request-id"]
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_request_id_is_in_error_bodies(client):
    response = await client.get("/pools/no_such_pool", headers={"X-Request-ID": "trace-me"})
    assert response.status_code == 404
    assert response.headers["x-request-id"] == "trace-me"
    assert response.json() == {"error": "Pool 'no_such_pool' doesn't exist", "request_id": "trace-me"}


async def test_generated_request_id_is_in_error_bodies(client):
    response = await client.get("/no_such_route")
    assert response.json() == {"error": "Not Found", "request_id": response.headers["x-request-id"]}


async def test_request_id_is_on_operations_routes(anon):
    response = await anon.get("/health", headers={"X-Request-ID": "probe-1"})
    assert response.headers["x-request-id"] == "probe-1"


# --- security headers --------------------------------------------------------------------------------

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
NOTHING_LOADS = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


@pytest.mark.parametrize(
    "path",
    [
        f"{API}/test",
        f"{API}/dags/example_bash/code",
        f"{API}/no_such_route",
        f"{API}/pools/no_such_pool",
        "/health",
        "/metrics",
        "/openapi.json",
        "/static/swagger-ui/swagger-ui-bundle.js",
    ],
)
async def test_every_response_carries_the_security_headers(client, anon, path):
    await build_reference_state(client)
    for response in (await anon.get(path, headers=AUTH), await anon.get(path)):
        assert {k: response.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS, path
        assert response.headers.get_list("content-security-policy") == [NOTHING_LOADS]


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
async def test_the_docs_pages_carry_their_own_policy(anon, path):
    response = await anon.get(path)
    assert {k: response.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS
    [policy] = response.headers.get_list("content-security-policy")
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    inline = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    hashes = [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in inline]
    assert directives["script-src"].split() == ["'self'", *hashes]
    assert "'unsafe-inline'" not in directives["script-src"]


# --- body size limit ---------------------------------------------------------------------------------


def padded_pool(size: int) -> bytes:
    """A valid pool body of exactly ``size`` bytes."""
    body = json.dumps({"name": "big", "slots": 1, "description": ""}).encode()
    return body[:-2] + b"x" * (size - len(body)) + body[-2:]


async def test_body_over_the_limit_with_content_length_is_413(app_factory):
    async with client_for(app_factory(max_body_bytes=100)) as c:
        response = await c.post(f"{API}/pools", content=padded_pool(101))
    assert response.status_code == 413
    assert error_of(response) == {"error": "Request body is larger than 100 bytes"}


async def test_body_at_the_limit_is_accepted(app_factory):
    async with client_for(app_factory(max_body_bytes=100)) as c:
        response = await c.post(f"{API}/pools", content=padded_pool(100))
    assert response.status_code == 200
    assert response.json()["pool"] == "big"


async def test_streamed_body_over_the_limit_is_413(app_factory):
    async def chunks() -> AsyncIterator[bytes]:
        body = padded_pool(150)
        yield body[:60]
        yield body[60:120]
        yield body[120:]

    async with client_for(app_factory(max_body_bytes=100)) as c:
        response = await c.post(f"{API}/pools", content=chunks())
        assert response.status_code == 413
        assert error_of(response) == {"error": "Request body is larger than 100 bytes"}
        assert (await c.get(f"{API}/pools/big")).status_code == 404


async def test_streamed_body_under_the_limit_is_accepted(app_factory):
    async def chunks() -> AsyncIterator[bytes]:
        body = padded_pool(90)
        yield body[:45]
        yield body[45:]

    async with client_for(app_factory(max_body_bytes=100)) as c:
        response = await c.post(f"{API}/pools", content=chunks())
    assert response.status_code == 200
    assert response.json()["pool"] == "big"


async def test_default_limit_allows_ordinary_bodies(client):
    response = await client.post("/pools", content=padded_pool(10_000))
    assert response.status_code == 200


# --- validation: 400, never 422 ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "loc", "msg"),
    [
        (
            "/dags?limit=abc",
            "query.limit",
            "Input should be a valid integer, unable to parse string as an integer, got 'abc'",
        ),
        ("/dags?offset=-1", "query.offset", "Input should be greater than or equal to 0, got '-1'"),
        (
            "/dags?paused=perhaps",
            "query.paused",
            "Input should be a valid boolean, unable to interpret input, got 'perhaps'",
        ),
    ],
)
async def test_query_validation_error_is_400_with_detail(client, path, loc, msg):
    response = await client.get(path)
    assert response.status_code == 400
    assert error_of(response) == {
        "error": f"Invalid value for {loc}: {msg}",
        "detail": [{"loc": loc, "msg": msg}],
    }


async def test_run_listing_limit_out_of_range_is_400_with_detail(client):
    await build_reference_state(client)
    response = await client.get("/dags/lineage_dag/dag_runs", params={"limit": 0})
    assert response.status_code == 400
    msg = "Input should be greater than or equal to 1, got '0'"
    assert error_of(response) == {
        "error": f"Invalid value for query.limit: {msg}",
        "detail": [{"loc": "query.limit", "msg": msg}],
    }


async def test_body_validation_error_is_400_with_detail(client):
    response = await client.post("/pools", json={"name": "p", "slots": "many"})
    assert response.status_code == 400
    message = "Bad value for `slots`: many"
    assert error_of(response) == {"error": message, "detail": [{"loc": "body.slots", "msg": message}]}


# --- no HTML anywhere --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", f"{API}/test", {}, 401),
        ("GET", f"{API}/test", {"Authorization": "Bearer wrong"}, 401),
        ("GET", f"{API}/nope", AUTH, 404),
        ("GET", "/", {}, 404),
        ("GET", "/api", {}, 404),
        ("PUT", f"{API}/pools", AUTH, 405),
        ("DELETE", f"{API}/test", AUTH, 405),
        ("GET", f"{API}/dags?limit=0", AUTH, 400),
        ("GET", f"{API}/dags/no_such_dag", AUTH, 404),
        ("GET", f"{API}/dags/no_such_dag/paused", AUTH, 404),
        ("GET", f"{API}/dags/no_such_dag/dag_runs/foo", AUTH, 400),
        ("POST", f"{API}/pools", AUTH, 400),
        ("DELETE", f"{API}/pools/default_pool", AUTH, 400),
    ],
)
async def test_every_error_is_json(anon, method, path, headers, status):
    response = await anon.request(method, path, headers={**headers, "Accept": "text/html"})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    assert "<html" not in response.text.lower()

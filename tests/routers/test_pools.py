"""Pools (docs/api.md 3.4) in dagport's store: the body's validation with its exact errors, the ids
the store gives, concurrent creates. What every backend shares is in tests/conformance/test_pools.py."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import DEFAULT_POOL, error_of


def pool(id: int, name: str, slots: int, description: str | None = None, include_deferred: bool = False):
    return {
        "description": description,
        "id": id,
        "include_deferred": include_deferred,
        "pool": name,
        "slots": slots,
    }


async def create(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post("/pools", json=body)
    assert response.status_code == 200, response.text
    return response.json()


# --- GET /pools, GET /pools/{name} ------------------------------------------------------------------


async def test_list_pools_holds_only_default_pool_at_first(client):
    response = await client.get("/pools")
    assert response.status_code == 200
    assert response.json() == [DEFAULT_POOL]


# --- POST /pools: creation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slots", "shown"),
    [(None, "None"), (2.9, "2.9"), (1.0, "1.0"), (True, "True"), (False, "False"), ("x", "x"), (-2, "-2"),
     ("-2", "-2"), ("2.5", "2.5"), ([1], "[1]"),
     # a string follows ^(-1|[0-9]{1,9})$ exactly: Python's int() read all of these
     (" 5 ", " 5 "), ("\u0665", "\u0665"), ("1_000", "1_000"), ("+5", "+5"), ("5\n", "5\n"), ("-0", "-0"),
     ("1234567890", "1234567890")],
)  # fmt: skip
async def test_create_pool_with_bad_slots_is_400(client, slots, shown):
    response = await client.post("/pools", json={"name": "bad_slots", "slots": slots, "description": "bad"})
    assert response.status_code == 400
    message = f"Bad value for `slots`: {shown}"
    assert error_of(response) == {"error": message, "detail": [{"loc": "body.slots", "msg": message}]}
    assert (await client.get("/pools/bad_slots")).status_code == 404


@pytest.mark.parametrize("slots", ["0", "-1", "007", "999999999"])
async def test_a_string_of_the_slots_pattern_is_its_number(client, slots):
    assert await create(client, name="s", slots=slots) == pool(2, "s", int(slots))


async def test_a_json_integer_beyond_nine_digits_stays_valid(client):
    assert await create(client, name="big", slots=2**31 - 1) == pool(2, "big", 2**31 - 1)


@pytest.mark.parametrize(
    "name", ["a\nb", "a\rb", "tab\t", "del\x7f", "c1\x85", "\u202eloop_etl", "iso\u2066late", "\u2069"]
)
async def test_a_pool_name_with_control_or_bidi_characters_is_400(client, name):
    response = await client.post("/pools", json={"name": name, "slots": 1})
    message = f"Pool name must not contain control characters or bidirectional overrides, got {name!r}"
    assert response.status_code == 400
    assert error_of(response) == {"error": message, "detail": [{"loc": "body.name", "msg": message}]}
    assert len((await client.get("/pools")).json()) == 1


@pytest.mark.parametrize("name", ["", "   "])
async def test_create_pool_with_blank_name_is_400(client, name):
    response = await client.post("/pools", json={"name": name, "slots": 1, "description": "d"})
    assert response.status_code == 400
    message = "Pool name shouldn't be empty"
    assert error_of(response) == {"error": message, "detail": [{"loc": "body.name", "msg": message}]}


async def test_create_pool_with_name_over_256_characters_is_400(client):
    response = await client.post("/pools", json={"name": "p" * 257, "slots": 1, "description": "d"})
    assert response.status_code == 400
    message = "Pool name can't be more than 256 characters"
    assert error_of(response) == {"error": message, "detail": [{"loc": "body.name", "msg": message}]}


async def test_create_pool_with_name_of_256_characters(client):
    assert await create(client, name="p" * 256, slots=1) == pool(2, "p" * 256, 1)


@pytest.mark.parametrize(("name", "shown"), [(5, "5"), (None, "None"), (["a"], "['a']")])
async def test_create_pool_with_non_string_name_is_400(client, name, shown):
    response = await client.post("/pools", json={"name": name, "slots": 1})
    assert response.status_code == 400
    message = f"Pool name must be a string, got {shown}"
    assert error_of(response) == {"error": message, "detail": [{"loc": "body.name", "msg": message}]}


@pytest.mark.parametrize(
    ("body", "field"),
    [({"slots": 1, "description": "d"}, "name"), ({"name": "noslots", "description": "d"}, "slots")],
)
async def test_create_pool_without_required_field_is_400(client, body, field):
    response = await client.post("/pools", json=body)
    assert response.status_code == 400
    message = f"Missing required field '{field}'"
    assert error_of(response) == {"error": message, "detail": [{"loc": f"body.{field}", "msg": message}]}


async def test_create_pool_ignores_extra_keys(client):
    body = {"name": "extra", "slots": 1, "description": "d", "x": 1, "id": 99, "pool": "other"}
    assert await create(client, **body) == pool(2, "extra", 1, "d")


async def test_create_pool_without_description_gets_null_and_include_deferred_false(client):
    assert await create(client, name="nodesc", slots=1) == pool(2, "nodesc", 1, None, False)


async def test_create_pool_with_null_description(client):
    assert await create(client, name="null_desc", slots=1, description=None) == pool(2, "null_desc", 1)


async def test_create_pool_with_include_deferred(client):
    created = await create(client, name="deferred", slots=3, include_deferred=True)
    assert created == pool(2, "deferred", 3, None, True)


async def test_create_pool_with_non_boolean_include_deferred_is_400(client):
    response = await client.post("/pools", json={"name": "p", "slots": 1, "include_deferred": "yes"})
    assert response.status_code == 400
    message = "include_deferred must be true or false, got 'yes'"
    assert error_of(response) == {
        "error": message,
        "detail": [{"loc": "body.include_deferred", "msg": message}],
    }


# --- POST /pools: update of an existing name ---------------------------------------------------------


async def test_update_does_not_consume_ids(client):
    await create(client, name="first", slots=1)
    await create(client, name="first", slots=2)
    assert await create(client, name="second", slots=1) == pool(3, "second", 1)


# --- POST /pools: the body ---------------------------------------------------------------------------


async def test_create_pool_accepts_text_plain_body(client):
    response = await client.post(
        "/pools",
        content=b'{"name": "plain_pool", "slots": 3, "description": "via text/plain"}',
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 200
    assert response.json() == pool(2, "plain_pool", 3, "via text/plain")


async def test_create_pool_accepts_form_content_type(client):
    response = await client.post(
        "/pools",
        content=b'{"name": "form_pool", "slots": 3}',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert response.json() == pool(2, "form_pool", 3)


async def test_create_pool_with_malformed_json_is_400(client):
    response = await client.post("/pools", content=b"{bad", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert error_of(response) == {"error": "Request body is not valid JSON"}


@pytest.mark.parametrize(
    "slots", ["1" + "0" * 4999, "-1" + "0" * 400, "1e400"], ids=["5000-digits", "minus-401-digits", "1e400"]
)
async def test_create_pool_with_a_number_too_large_to_read_is_400(client, slots):
    """An integer over Python's 4,300 digits, or any number beyond a double's range."""
    response = await client.post("/pools", content=f'{{"name": "big", "slots": {slots}}}'.encode())
    assert response.status_code == 400
    assert error_of(response) == {
        "error": "Request body holds a number too large to read (line 1, column 26)"
    }
    assert (await client.get("/pools")).json() == [DEFAULT_POOL]


@pytest.mark.parametrize("body", [b'["new_pool", 1, "d"]', b"null", b'"text"', b"42"])
async def test_create_pool_with_non_object_body_is_400(client, body):
    response = await client.post("/pools", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert error_of(response) == {"error": "Request body must be a JSON object"}


async def test_create_pool_with_empty_body_is_400(client):
    response = await client.post("/pools")
    assert response.status_code == 400
    assert error_of(response) == {"error": "Request body is not valid JSON"}
    assert (await client.get("/pools")).json() == [DEFAULT_POOL]


# --- DELETE /pools/{name} ----------------------------------------------------------------------------


# --- concurrency -------------------------------------------------------------------------------------


async def test_concurrent_creates_of_one_name_leave_one_row(client, clean_db: AsyncEngine):
    responses = await asyncio.gather(
        *(client.post("/pools", json={"name": "race", "slots": 3, "description": "r"}) for _ in range(20))
    )
    assert [r.status_code for r in responses] == [200] * 20, [
        r.text for r in responses if r.status_code != 200
    ]
    ids = {r.json()["id"] for r in responses}  # one row; a losing INSERT may have burned a sequence value
    assert len(ids) == 1
    assert (await client.get("/pools")).json() == [DEFAULT_POOL, pool(ids.pop(), "race", 3, "r")]
    async with clean_db.connect() as conn:
        count = await conn.scalar(text("SELECT count(*) FROM slot_pool WHERE pool = 'race'"))
    assert count == 1

"""Pools (docs/api.md 3.4), in every world. Each test names its pools after itself: in front of
Airflow, the pools of every test stay.

The body's validation (names, slots, types) is answered before any backend is asked:
tests/routers/test_pools.py has it, with concurrent creates and the ids dagport's store gives.
"""

from __future__ import annotations

import httpx
import pytest

from app.core import messages
from tests.conformance.support import error_of

DEFAULT = {"pool": "default_pool", "slots": 128, "description": "Default pool", "include_deferred": False}


def without_id(pool: dict) -> dict:
    assert isinstance(pool.pop("id"), int)
    return pool


@pytest.fixture
def name(number: int) -> str:
    return f"conformance_pool_{number}"


async def create(api: httpx.AsyncClient, **body) -> dict:
    response = await api.post("/pools", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_default_pool_always_exists_and_lists_first(api):
    listed = (await api.get("/pools")).json()
    assert without_id(dict(listed[0])) == DEFAULT
    assert without_id((await api.get("/pools/default_pool")).json()) == DEFAULT


async def test_a_created_pool_is_listed_and_read_by_name(api, name):
    pool = await create(api, name=name, slots=4, description="ETL jobs")
    assert without_id(dict(pool)) == {
        "pool": name,
        "slots": 4,
        "description": "ETL jobs",
        "include_deferred": False,
    }
    assert (await api.get(f"/pools/{name}")).json() == pool
    listed = (await api.get("/pools")).json()
    assert pool in listed
    assert [p["id"] for p in listed] == sorted(p["id"] for p in listed)


@pytest.mark.parametrize(
    ("slots", "stored"), [("7", 7), (0, 0), (-1, -1)], ids=["string", "zero", "unlimited"]
)
async def test_slots_an_integer_or_a_string_of_one(api, name, slots, stored):
    assert (await create(api, name=name, slots=slots))["slots"] == stored


async def test_posting_an_existing_name_updates_what_was_sent_and_keeps_the_rest(api, name):
    created = await create(api, name=name, slots=4, description="kept", include_deferred=True)
    updated = await create(api, name=name, slots=5)
    assert updated == {**created, "slots": 5}  # the same id: an update, not a new pool
    assert (await create(api, name=name, slots=5, description=None))["description"] is None
    assert (await create(api, name=name, slots=5, include_deferred=False))["include_deferred"] is False
    assert (await create(api, name=name, slots=6, description="again"))["description"] == "again"


async def test_default_pool_s_slots_can_change(api):
    try:
        assert (await create(api, name="default_pool", slots=64))["slots"] == 64
        assert (await api.get("/pools/default_pool")).json()["slots"] == 64
    finally:
        await create(api, name="default_pool", slots=128)


async def test_a_deleted_pool_is_answered_and_gone(api, name):
    pool = await create(api, name=name, slots=2)
    response = await api.delete(f"/pools/{name}")
    assert (response.status_code, response.json()) == (200, pool)
    for method in ("GET", "DELETE"):
        answer = await api.request(method, f"/pools/{name}")
        assert (answer.status_code, error_of(answer)) == (404, {"error": messages.pool_not_found(name)})


async def test_default_pool_cannot_be_deleted(api):
    response = await api.delete("/pools/default_pool")
    assert (response.status_code, error_of(response)) == (400, {"error": messages.DEFAULT_POOL_UNDELETABLE})
    assert (await api.get("/pools/default_pool")).status_code == 200


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_a_blank_name_in_the_path_is_400(api, method):
    response = await api.request(method, "/pools/%20%20")
    assert (response.status_code, error_of(response)) == (400, {"error": messages.POOL_NAME_EMPTY})

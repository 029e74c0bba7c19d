"""Run listings served from the cache while their DAG's runs are unchanged (app/listing_cache.py;
the stamps it relies on: tests/test_run_stamps.py).

The API tests run on Postgres and on SQLite: a listing asked again is the same bytes, and asked
after any change to the DAG's runs (through the API, by SQL, through another worker) shows it.
"""

from __future__ import annotations

import asyncio
import itertools

import httpx
import pytest
from sqlalchemy import delete, update

from app.db.models import dag_run
from app.listing_cache import ENTRY_OVERHEAD, ListingCache
from tests.conftest import REFERENCE_DAGS_DIR
from tests.helpers import client_for, put_dag

# -- ListingCache ----------------------------------------------------------------------------------


def test_a_body_is_served_only_under_the_stamp_it_was_stored_with() -> None:
    cache = ListingCache(10_000)
    assert cache.get("k", 1) is None
    cache.put("k", 1, b"[1]")
    assert cache.get("k", 1) == b"[1]"
    assert cache.get("k", 2) is None
    assert cache.get("other", 1) is None
    cache.put("k", 2, b"[1,2]")
    assert cache.get("k", 1) is None
    assert cache.get("k", 2) == b"[1,2]"
    assert (cache.hits, cache.misses, len(cache)) == (2, 4, 1)
    assert cache.size == len(b"[1,2]") + ENTRY_OVERHEAD


def test_the_least_recently_used_bodies_go_first_past_the_bound() -> None:
    body = b"x" * 1000
    cache = ListingCache(3 * (len(body) + ENTRY_OVERHEAD))
    for key in "abc":
        cache.put(key, 1, body)
    assert cache.get("a", 1) == body  # a is now the most recently used
    cache.put("d", 1, body)
    assert [k for k in "abcd" if cache.get(k, 1) is not None] == ["a", "c", "d"]
    assert cache.size == 3 * (len(body) + ENTRY_OVERHEAD)


def test_a_body_larger_than_the_bound_is_not_kept_and_drops_its_old_entry() -> None:
    cache = ListingCache(2000)
    cache.put("k", 1, b"small")
    cache.put("k", 2, b"x" * 2000)
    assert cache.get("k", 1) is None
    assert cache.get("k", 2) is None
    assert (len(cache), cache.size) == (0, 0)


def test_a_zero_bound_is_off() -> None:
    assert not ListingCache(0).enabled
    assert ListingCache(1).enabled


# -- listings through the API ----------------------------------------------------------------------

URL = "/dags/example_bash/dag_runs"


async def load(client: httpx.AsyncClient, *days: int) -> None:
    await put_dag(client, REFERENCE_DAGS_DIR / "example_bash.json")
    for day in days:
        response = await client.post(URL, json={"execution_date": f"2016-11-{day:02d}"})
        assert response.status_code == 200, response.text


def listed(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.text
    return [(item["execution_date"][:10], item["state"]) for item in response.json()]


async def test_a_listing_asked_again_is_the_same_bytes_from_the_cache(app, client):
    await load(client, 3, 1, 2)
    cache: ListingCache = app.state.listing_cache
    first = await client.get(URL)
    assert (cache.hits, cache.misses, len(cache)) == (0, 1, 1)
    again = await client.get(URL)
    assert (cache.hits, cache.misses) == (1, 1)
    assert again.content == first.content
    for header in ("content-type", "content-length"):
        assert again.headers[header] == first.headers[header]
    assert listed(again) == [("2016-11-01", "queued"), ("2016-11-02", "queued"), ("2016-11-03", "queued")]


async def test_each_query_is_its_own_entry_and_equal_instants_share_one(app, client):
    await load(client, 1, 2, 3, 4)
    queries = {
        "": 4,
        "?limit=2": 2,
        "?limit=2&offset=1": 2,
        "?state=queued": 4,
        "?state=running": 0,
        "?execution_date_gte=2016-11-03": 2,
        "?execution_date_lte=2016-11-02T00:00:00%2B00:00": 2,
    }
    for _ in range(2):
        for query, count in queries.items():
            assert len(listed(await client.get(URL + query))) == count, query
    cache: ListingCache = app.state.listing_cache
    assert (cache.hits, cache.misses) == (len(queries), len(queries))
    # The same instant written with another offset is the same listing.
    assert len(listed(await client.get(URL + "?execution_date_gte=2016-11-03T02:00:00%2B02:00"))) == 2
    assert cache.hits == len(queries) + 1


async def test_the_listing_follows_every_change_through_the_api(client):
    await load(client, 1, 2)
    assert listed(await client.get(URL)) == [("2016-11-01", "queued"), ("2016-11-02", "queued")]
    await load(client, 3)
    assert listed(await client.get(URL))[-1] == ("2016-11-03", "queued")
    response = await client.patch(f"{URL}/2016-11-02T00:00:00+00:00", json={"state": "failed"})
    assert response.status_code == 200, response.text
    assert listed(await client.get(URL))[1] == ("2016-11-02", "failed")
    response = await client.patch(f"{URL}/2016-11-01T00:00:00+00:00/tasks/extract", json={"state": "running"})
    assert response.status_code == 200, response.text
    assert listed(await client.get(URL))[0] == ("2016-11-01", "running")
    assert (await client.delete("/dags/example_bash")).status_code == 200
    assert (await client.get(URL)).status_code == 400
    await load(client, 5)
    assert listed(await client.get(URL)) == [("2016-11-05", "queued")]


async def test_the_listing_follows_changes_made_with_sql(client, clean_db):
    await load(client, 1, 2)
    assert len(listed(await client.get(URL))) == 2
    async with clean_db.begin() as conn:
        await conn.execute(update(dag_run).values(state="success"))
    assert listed(await client.get(URL)) == [("2016-11-01", "success"), ("2016-11-02", "success")]
    async with clean_db.begin() as conn:
        await conn.execute(delete(dag_run).where(dag_run.c.run_id.like("%11-01%")))
    assert listed(await client.get(URL)) == [("2016-11-02", "success")]


async def test_a_change_made_through_another_worker_is_seen_at_once(app, app_factory, client):
    await load(client, 1)
    other = app_factory()  # a second worker: its own cache, the same database
    async with client_for(other) as other_client:
        assert len(listed(await client.get(URL))) == 1
        assert len(listed(await other_client.get(URL))) == 1
        response = await other_client.post(URL, json={"execution_date": "2016-11-02"})
        assert response.status_code == 200
        assert len(listed(await client.get(URL))) == 2
        assert app.state.listing_cache.misses == 2


async def test_with_the_cache_off_listings_are_rendered_every_time(app_factory):
    app = app_factory(listing_cache_mb=0)
    async with client_for(app) as client:
        await load(client, 1)
        for _ in range(2):
            assert len(listed(await client.get(URL))) == 1
        assert (await client.get("/dags/absent/dag_runs")).status_code == 400
    cache: ListingCache = app.state.listing_cache
    assert (cache.hits, cache.misses, len(cache)) == (0, 0, 0)


async def test_listings_read_while_runs_are_triggered_end_with_every_run(client):
    """Listings and triggers interleaved: whatever was cached meanwhile, the last listing is exact."""
    await load(client)

    async def reader() -> None:
        for _ in range(10):
            assert (await client.get(URL)).status_code == 200

    days = range(1, 21)
    triggers = [client.post(URL, json={"execution_date": f"2016-11-{day:02d}"}) for day in days]
    results = await asyncio.gather(*triggers, *(reader() for _ in range(4)))
    assert [r.status_code for r in results[: len(days)]] == [200] * len(days)
    assert [d for d, _ in listed(await client.get(URL))] == [f"2016-11-{day:02d}" for day in days]


async def test_the_cache_reports_to_metrics(anon, client):
    await load(client, 1)
    for _ in range(3):
        await client.get(URL)
    text_ = (await anon.get("/metrics")).text
    assert 'dagport_listing_cache_lookups_total{result="hit"} 2.0' in text_
    assert 'dagport_listing_cache_lookups_total{result="miss"} 1.0' in text_
    assert "dagport_listing_cache_bytes " in text_


# -- latest_runs (cached under the sum of every DAG's stamp) ---------------------------------------


def latest(response: httpx.Response) -> dict[str, tuple[str, str]]:
    assert response.status_code == 200, response.text
    return {i["dag_id"]: (i["execution_date"][:10], i["start_date"][:10]) for i in response.json()["items"]}


async def test_latest_runs_asked_again_is_the_same_bytes_from_the_cache(app, client):
    await load(client, 1, 3)
    first = await client.get("/latest_runs")
    again = await client.get("/latest_runs")
    assert again.content == first.content
    assert again.headers["content-length"] == first.headers["content-length"]
    cache: ListingCache = app.state.listing_cache
    assert (cache.hits, cache.misses) == (1, 1)
    assert latest(again) == {"example_bash": ("2016-11-03", "")}


async def test_latest_runs_follow_every_change_to_any_dags_runs(app, app_factory, client, clean_db):
    await load(client, 1)
    await put_dag(client, REFERENCE_DAGS_DIR / "simple_dag.json")
    assert latest(await client.get("/latest_runs")) == {"example_bash": ("2016-11-01", "")}
    response = await client.post("/dags/simple_dag/dag_runs", json={"execution_date": "2016-11-05"})
    assert response.status_code == 200
    assert latest(await client.get("/latest_runs")) == {
        "example_bash": ("2016-11-01", ""),
        "simple_dag": ("2016-11-05", ""),
    }
    # The latest run starting (a task instance reports running) shows its start_date.
    response = await client.patch(f"{URL}/2016-11-01T00:00:00+00:00/tasks/extract", json={"state": "running"})
    assert response.status_code == 200, response.text
    assert latest(await client.get("/latest_runs"))["example_bash"] == ("2016-11-01", "2026-11-24")
    # By SQL, and through another worker.
    async with clean_db.begin() as conn:
        await conn.execute(delete(dag_run).where(dag_run.c.dag_id == "simple_dag"))
    assert latest(await client.get("/latest_runs")) == {"example_bash": ("2016-11-01", "2026-11-24")}
    async with client_for(app_factory()) as other:
        assert (await other.post(URL, json={"execution_date": "2016-11-09"})).status_code == 200
    assert latest(await client.get("/latest_runs")) == {"example_bash": ("2016-11-09", "")}
    assert (await client.delete("/dags/example_bash")).status_code == 200
    assert latest(await client.get("/latest_runs")) == {}
    assert app.state.listing_cache.hits == 0


# -- what the cached statements read ---------------------------------------------------------------


def read_columns(stmt) -> set:
    """Every table column a statement reads, through its subqueries."""
    from sqlalchemy import Column, Table
    from sqlalchemy.sql import visitors

    return {e for e in visitors.iterate(stmt) if isinstance(e, Column) and isinstance(e.table, Table)}


@pytest.mark.parametrize("filters", list(itertools.product([False, True], repeat=4)))
def test_a_cached_run_listing_reads_only_what_the_runs_stamp_covers(filters) -> None:
    """A body is kept while the DAG's stamp is unchanged: every column its statement reads must be
    one whose change moves the stamp (migration 0007), or the cache could serve a stale body."""
    from app.db.repositories.dag_runs import list_runs_statement
    from app.db.repositories.listings import STAMP_COVERED_COLUMNS

    columns = read_columns(list_runs_statement(*filters, rendered=True))
    assert columns and columns <= STAMP_COVERED_COLUMNS, columns - STAMP_COVERED_COLUMNS


def test_cached_latest_runs_reads_only_what_the_stamps_cover() -> None:
    from app.db.repositories.listings import LATEST_RUNS, STAMP_COVERED_COLUMNS

    columns = read_columns(LATEST_RUNS)
    assert columns and columns <= STAMP_COVERED_COLUMNS, columns - STAMP_COVERED_COLUMNS


def test_the_covered_columns_of_dag_are_the_ones_dag_run_triggers_maintain() -> None:
    """Of the dag table, only the latest-run pointer (kept by triggers on dag_run, in the same
    transaction) and the key are covered; a change to any other dag column moves no stamp."""
    from app.db.models import dag
    from app.db.repositories.listings import STAMP_COVERED_COLUMNS

    assert {c.name for c in STAMP_COVERED_COLUMNS if c.table is dag} == {
        "dag_id",
        "latest_run_id",
        "latest_execution_date_iso",
        "latest_start_date_iso",
    }

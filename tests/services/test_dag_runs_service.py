"""DagRunService's rules over a test double of the backend interface (no database).

The double is a second implementation of ``app.core.ports``: a dict of runs per DAG, its run port,
and (when ``versioned``) the optional pre-rendered, versioned listings. That the service works over
it unchanged, with the listings and without them, is what lets another backend be added without
touching a rule or a router.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from app.core.results import (
    ListedRun,
    RenderedRun,
    Run,
    RunFilter,
    RunLookup,
    RunsVersion,
    TriggerOutcome,
    rendered_runs,
)
from app.core.trigger import TriggerPlan, may_start
from app.errors import Conflict, Invalid, NotFound
from app.listing_cache import ENTRY_OVERHEAD, ListingCache
from app.services.dag_runs import DagRunService
from app.services.listings import ListingStream

NOW = datetime(2026, 11, 24, 2, 49, 29, 97350, tzinfo=UTC)


class MemoryStore:
    """The run port DagRunService uses for triggers, lookups and listings, and its listings."""

    def __init__(self, dags: dict[str, datetime | None], *, versioned: bool = True) -> None:
        self.start_dates = dags
        self.runs_by_dag: dict[str, list[Run]] = {dag_id: [] for dag_id in dags}
        self.versions: dict[str, int] = {}
        self.versioned = versioned
        self.listings_read = 0
        self.chunks_read = 0

    @property
    def runs(self) -> MemoryStore:
        return self

    @property
    def listings(self) -> MemoryStore | None:
        return self if self.versioned else None

    # -- RunPort -------------------------------------------------------------------------------------

    async def trigger(self, *, plan: TriggerPlan) -> TriggerOutcome:
        if plan.dag_id not in self.start_dates:
            return TriggerOutcome(dag_exists=False, dag_start_date=None, run=None)
        start = self.start_dates[plan.dag_id]
        runs = self.runs_by_dag[plan.dag_id]
        clash = any(r.run_id == plan.run_id or r.execution_date == plan.execution_date for r in runs)
        if not may_start(start, plan.execution_date) or clash:
            return TriggerOutcome(dag_exists=True, dag_start_date=start, run=None)
        run = Run(
            plan.dag_id, plan.run_id, plan.execution_date, plan.state, plan.start_date, None, plan.now, True
        )
        runs.append(run)
        self.versions[plan.dag_id] = self.versions.get(plan.dag_id, 0) + 1
        return TriggerOutcome(dag_exists=True, dag_start_date=start, run=run)

    async def find(self, *, dag_id: str, execution_date: datetime) -> RunLookup:
        if dag_id not in self.runs_by_dag:
            return RunLookup(dag_exists=False, run=None)
        return RunLookup(
            True, next((r for r in self.runs_by_dag[dag_id] if r.execution_date == execution_date), None)
        )

    async def list(self, *, dag_id: str, filters: RunFilter) -> list[ListedRun] | None:
        self.listings_read += 1
        if dag_id not in self.runs_by_dag:
            return None
        numbered = sorted(enumerate(self.runs_by_dag[dag_id], start=1), key=lambda n: n[1].execution_date)
        numbered = numbered[filters.offset :]
        numbered = numbered if filters.limit is None else numbered[: filters.limit]
        return [ListedRun(i, r.run_id, r.execution_date, r.state, r.start_date) for i, r in numbered]

    # -- VersionedListings ------------------------------------------------------------------------------

    async def runs_version(self, *, dag_id: str) -> RunsVersion:
        return RunsVersion(dag_id in self.runs_by_dag, self.versions.get(dag_id))

    async def rendered_runs(self, *, dag_id: str, filters: RunFilter) -> list[RenderedRun] | None:
        listed = await self.list(dag_id=dag_id, filters=filters)
        return None if listed is None else rendered_runs(listed)

    async def stream_rendered_runs(self, *, dag_id: str, filters: RunFilter, chunk_rows: int):
        listed = await self.rendered_runs(dag_id=dag_id, filters=filters) or []
        for start in range(0, len(listed), chunk_rows):
            self.chunks_read += 1
            yield listed[start : start + chunk_rows]


class MemoryBackend:
    capabilities = frozenset()
    settable_task_instance_states = ()

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.commits = 0
        self.open_units = 0

    async def ping(self) -> bool:
        return True

    @asynccontextmanager
    async def reading(self):
        self.open_units += 1
        try:
            yield self.store
        finally:
            self.open_units -= 1

    @asynccontextmanager
    async def writing(self):
        saved = {dag_id: list(runs) for dag_id, runs in self.store.runs_by_dag.items()}
        try:
            yield self.store
        except BaseException:
            self.store.runs_by_dag = saved  # nothing half-written
            raise
        self.commits += 1


def service_over(
    store: MemoryStore, cache_bytes: int = 0, chunk_rows: int = 1000
) -> tuple[DagRunService, MemoryBackend]:
    backend = MemoryBackend(store)
    service = DagRunService(
        backend,
        default_tz=UTC,
        triggered_run_state="queued",
        clock=lambda: NOW,
        listing_cache=ListingCache(cache_bytes),
        run_links=lambda dag_ids, dates, run_ids: [""] * len(dag_ids),
        chunk_rows=chunk_rows,
    )
    return service, backend


async def test_a_trigger_dates_the_run_now_without_microseconds_and_names_it() -> None:
    service, backend = service_over(MemoryStore({"d": None}))
    run = await service.trigger("d", run_id=None, conf=None, execution_date=None, replace_microseconds=None)
    assert (run.execution_date, run.run_id, backend.commits) == (
        NOW.replace(microsecond=0),
        "manual__2026-11-24T02:49:29+00:00",
        1,
    )
    assert run.message == (
        "Created <DagRun d @ 2026-11-24 02:49:29+00:00: manual__2026-11-24T02:49:29+00:00, state:queued, "
        "queued_at: 2026-11-24 02:49:29.097350+00:00. externally triggered: True>"
    )


async def test_trigger_refusals_in_api_md_words() -> None:
    store = MemoryStore({"d": datetime(2020, 1, 1, tzinfo=UTC)})
    service, backend = service_over(store)
    with pytest.raises(NotFound, match=r"^Dag id nope not found in DagModel$"):
        await service.trigger("nope", run_id=None, conf=None, execution_date=None, replace_microseconds=None)
    with pytest.raises(
        Invalid, match=r"^The execution_date \[2019-01-01T00:00:00\+00:00\] should be >= start_date"
    ):
        await service.trigger(
            "d", run_id=None, conf=None, execution_date="2019-01-01", replace_microseconds=None
        )
    await service.trigger(
        "d", run_id="r", conf={"a": 1}, execution_date="2021-01-01", replace_microseconds=None
    )
    with pytest.raises(
        Conflict, match=r"^A DAG Run already exists for DAG d at 2021-02-01 00:00:00\+00:00 with run id r$"
    ):
        await service.trigger(
            "d", run_id="r", conf=None, execution_date="2021-02-01", replace_microseconds=None
        )
    assert [r.run_id for r in store.runs_by_dag["d"]] == ["r"] and backend.commits == 1


async def test_a_lookup_names_the_dag_before_the_run() -> None:
    service, _ = service_over(MemoryStore({"d": None}))
    when = datetime(2021, 1, 1, tzinfo=UTC)
    with pytest.raises(NotFound, match=r"^Dag id x not found in DagModel$"):
        await service.get_run("x", when)
    with pytest.raises(NotFound, match=r"^Dag Run for date 2021-01-01 00:00:00\+00:00 not found in dag d$"):
        await service.get_run("d", when)


async def test_a_listing_is_rendered_again_only_when_the_backend_version_moves() -> None:
    store = MemoryStore({"d": None})
    service, _ = service_over(store, cache_bytes=1 << 20)
    render = lambda rows: repr([r.run_id for r in rows]).encode()  # noqa: E731
    list_runs = lambda: service.list_runs(  # noqa: E731
        "d", state=None, limit=None, offset=0, execution_date_gte=None, execution_date_lte=None, render=render
    )
    await service.trigger("d", run_id="a", conf=None, execution_date="2021-01-01", replace_microseconds=None)
    assert await list_runs() == b"['a']"
    assert await list_runs() == b"['a']"
    assert store.listings_read == 1
    store.runs_by_dag["d"][0] = replace(
        store.runs_by_dag["d"][0], run_id="changed"
    )  # unseen: the version did not move
    assert await list_runs() == b"['a']"
    await service.trigger("d", run_id="b", conf=None, execution_date="2021-01-02", replace_microseconds=None)
    assert await list_runs() == b"['changed', 'b']"
    with pytest.raises(
        Invalid, match=r"^Invalid state 'nope'; expected one of: queued, running, success, failed$"
    ):
        await service.list_runs(
            "d",
            state="nope",
            limit=None,
            offset=0,
            execution_date_gte=None,
            execution_date_lte=None,
            render=render,
        )
    with pytest.raises(Invalid, match=r"^Dag id x not found in DagModel$"):
        await service.list_runs(
            "x",
            state=None,
            limit=None,
            offset=0,
            execution_date_gte=None,
            execution_date_lte=None,
            render=render,
        )


# -- listings read in chunks -------------------------------------------------------------------------


def json_render(rows: list[RenderedRun]) -> bytes:
    return orjson.dumps([{"id": r.id, "run_id": r.run_id} for r in rows])


async def store_with_runs(count: int) -> MemoryStore:
    store = MemoryStore({"d": None, "empty": None})
    service, _ = service_over(store)
    for day in range(count):
        date = (datetime(2021, 1, 1, tzinfo=UTC) + timedelta(days=day)).isoformat()
        await service.trigger(
            "d", run_id=f"r{day}", conf=None, execution_date=date, replace_microseconds=None
        )
    return store


def listing(service: DagRunService, dag_id: str = "d", limit: int | None = None):
    return service.list_runs(
        dag_id,
        state=None,
        limit=limit,
        offset=0,
        execution_date_gte=None,
        execution_date_lte=None,
        render=json_render,
    )


async def drained(stream: ListingStream) -> list[bytes]:
    return [piece async for piece in stream]


async def test_a_listing_longer_than_four_chunks_is_streamed_in_pieces_that_make_the_same_bytes() -> None:
    store = await store_with_runs(10)
    service, backend = service_over(store, chunk_rows=2)
    whole = json_render(await store.rendered_runs(dag_id="d", filters=RunFilter()))
    stream = await listing(service)
    assert isinstance(stream, ListingStream)
    assert (backend.open_units, store.chunks_read) == (1, 2)  # two chunks read before the first piece
    pieces = await drained(stream)
    assert len(pieces) == 6 and b"".join(pieces) == whole  # five chunks, then the closing bracket
    assert (backend.open_units, store.chunks_read) == (0, 5)
    assert orjson.loads(whole) == [{"id": i + 1, "run_id": f"r{i}"} for i in range(10)]


async def test_a_listing_of_up_to_four_chunks_is_read_at_once_and_its_unit_of_work_is_left() -> None:
    store = await store_with_runs(8)
    service, backend = service_over(store, chunk_rows=2)
    body = await listing(service)
    assert body == json_render(await store.rendered_runs(dag_id="d", filters=RunFilter()))
    assert (await listing(service, "empty"), backend.open_units, store.chunks_read) == (b"[]", 0, 0)
    await service.trigger("d", run_id="r9", conf=None, execution_date="2022-01-01", replace_microseconds=None)
    assert isinstance(await listing(service, limit=8), bytes) and store.chunks_read == 0
    assert isinstance(await listing(service, limit=9), ListingStream)
    assert isinstance(await listing(service), ListingStream)


async def test_an_unknown_dag_is_invalid_before_any_piece_with_the_cache_on_or_off() -> None:
    store = await store_with_runs(3)
    for cache_bytes in (0, 1 << 20):
        service, backend = service_over(store, cache_bytes=cache_bytes, chunk_rows=2)
        with pytest.raises(Invalid, match=r"^Dag id x not found in DagModel$"):
            await listing(service, "x")
        assert backend.open_units == 0


async def test_a_stream_closed_early_leaves_its_unit_of_work_and_is_not_cached() -> None:
    store = await store_with_runs(10)
    service, backend = service_over(store, cache_bytes=1 << 20, chunk_rows=2)
    stream = await listing(service)
    assert isinstance(stream, ListingStream)
    await anext(stream)
    await stream.aclose()
    await stream.aclose()  # twice is harmless
    assert backend.open_units == 0 and service.listing_cache.pending_bytes == 0
    assert isinstance(await listing(service), ListingStream)  # nothing was stored


async def test_a_streamed_listing_that_fits_is_cached_and_one_that_does_not_is_not() -> None:
    store = await store_with_runs(10)
    store.versions["d"] = 7
    whole = json_render(await store.rendered_runs(dag_id="d", filters=RunFilter()))
    service, backend = service_over(store, cache_bytes=1 << 20, chunk_rows=2)
    await drained(await listing(service))
    assert await listing(service) == whole  # from the cache: bytes
    assert backend.open_units == 0 and service.listing_cache.pending_bytes == 0
    small, _ = service_over(store, cache_bytes=len(whole), chunk_rows=2)  # no room for the overhead
    await drained(await listing(small))
    assert len(small.listing_cache) == 0 and small.listing_cache.pending_bytes == 0
    assert isinstance(await listing(small), ListingStream)


async def test_concurrent_streams_together_hold_no_more_for_the_cache_than_it_may_keep() -> None:
    store = await store_with_runs(10)
    store.versions["d"] = 7
    whole = json_render(await store.rendered_runs(dag_id="d", filters=RunFilter()))
    # Room for one whole body (and its overhead), not for two being gathered at once.
    service, _ = service_over(store, cache_bytes=len(whole) + ENTRY_OVERHEAD + 10, chunk_rows=2)
    streams = [await listing(service) for _ in range(2)]
    bodies: list[list[bytes]] = [[], []]
    for _ in range(6):  # the pieces of both, taken in turn
        for body, stream in zip(bodies, streams, strict=True):
            body.append(await anext(stream))
            assert service.listing_cache.pending_bytes + ENTRY_OVERHEAD <= service.listing_cache.max_bytes
    for stream in streams:
        assert await drained(stream) == []
    assert [b"".join(body) for body in bodies] == [whole, whole]
    assert len(service.listing_cache) == 1 and service.listing_cache.pending_bytes == 0
    assert await listing(service) == whole


async def test_without_versioned_listings_a_listing_is_read_and_rendered_whole_every_time() -> None:
    """A backend without VersionedListings (Airflow's): the same bytes, never cached, never streamed."""
    versioned = await store_with_runs(10)
    plain = MemoryStore({"d": None, "empty": None}, versioned=False)
    plain.runs_by_dag = versioned.runs_by_dag
    service, backend = service_over(plain, cache_bytes=1 << 20, chunk_rows=2)
    whole = json_render(await versioned.rendered_runs(dag_id="d", filters=RunFilter()))
    assert await listing(service) == whole and await listing(service) == whole
    assert (plain.listings_read, plain.chunks_read, len(service.listing_cache), backend.open_units) == (
        2,
        0,
        0,
        0,
    )
    assert await listing(service, "empty") == b"[]"
    with pytest.raises(Invalid, match=r"^Dag id x not found in DagModel$"):
        await listing(service, "x")

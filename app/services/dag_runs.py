"""Runs: trigger, look up, list, set state; latest_runs (docs/api.md 3.1, 3.2, 4.2)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack, aclosing
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from app.core import messages
from app.core.lookups import missing_run
from app.core.ports import Backend, VersionedListings
from app.core.results import (
    RenderedLatestRun,
    RenderedRun,
    Run,
    RunFilter,
    RunLinks,
    RunLookup,
    rendered_latest_runs,
    rendered_runs,
)
from app.core.run_states import plan_run_state
from app.core.states import RUN_STATES
from app.core.trigger import may_start, plan_trigger
from app.dates import parse_date
from app.errors import Conflict, Invalid, NotFound
from app.listing_cache import ListingCache, PendingBody
from app.services.listings import ListingStream, array_pieces, next_rows

# A run listing of up to this many chunks of runs is read in one query and sent whole; a longer
# one is streamed (ListingStream).
WHOLE_CHUNKS = 4

# latest_runs' entry in the listing cache (a run listing's key is a tuple starting with a dag_id).
LATEST_RUNS_KEY = "latest_runs"

RenderRuns = Callable[[list[RenderedRun]], bytes]


@dataclass(frozen=True, slots=True)
class TriggeredRun:
    dag_id: str
    run_id: str
    execution_date: datetime
    state: str
    queued_at: datetime

    @property
    def message(self) -> str:
        """Airflow's text, which clients parse: the run's repr."""
        return messages.triggered(self.dag_id, self.execution_date, self.run_id, self.state, self.queued_at)


def found_run(lookup: RunLookup, dag_id: str, execution_date: datetime) -> Run:
    """The run, or NotFound naming what is missing: the DAG first, then the run (as Airflow)."""
    if lookup.run is None:
        raise NotFound(missing_run(lookup, dag_id=dag_id, execution_date=execution_date))
    return lookup.run


class DagRunService:
    def __init__(
        self,
        backend: Backend,
        *,
        default_tz: Any,
        triggered_run_state: str,
        clock: Callable[[], datetime],
        listing_cache: ListingCache,
        run_links: RunLinks,
        chunk_rows: int = 250,
    ) -> None:
        self.backend = backend
        self.chunk_rows = chunk_rows  # runs read at a time by a listing that may be longer
        self.run_links = run_links  # the listings' dag_run_url
        self.default_tz = default_tz
        self.triggered_run_state = triggered_run_state
        self.clock = clock
        self.listing_cache = listing_cache

    def date(self, value: str) -> datetime:
        """A client's date (docs/api.md section 2); naive ones are in DAGPORT_DEFAULT_TIMEZONE."""
        return parse_date(value, default_tz=self.default_tz)

    async def trigger(
        self,
        dag_id: str,
        *,
        run_id: str | None,
        conf: dict[str, Any] | None,
        execution_date: str | None,
        replace_microseconds: bool | None,
    ) -> TriggeredRun:
        """A run of the DAG, `external_trigger` true, one task instance per task (docs/api.md 3.1,
        ``app.core.trigger``): refused if the DAG is unknown, starts after the run's date, or has a
        run with its run_id or execution instant."""
        plan = plan_trigger(
            dag_id=dag_id,
            run_id=run_id,
            conf=conf,
            requested=None if execution_date is None else self.date(execution_date),
            replace_microseconds=replace_microseconds,
            state=self.triggered_run_state,
            now=self.clock(),
        )
        when = plan.execution_date
        async with self.backend.writing() as store:
            outcome = await store.runs.trigger(plan=plan)
            if not outcome.dag_exists:
                raise NotFound(messages.dag_not_found(dag_id))
            start_date = outcome.dag_start_date
            if start_date is not None and not may_start(start_date, when):
                raise Invalid(messages.before_start_date(when, start_date))
            created = outcome.run
            if created is None:
                detail = messages.same_second_detail() if plan.same_second else None
                raise Conflict(messages.duplicate_run(dag_id, when, plan.run_id), detail=detail)
        # The run as the backend created it: Airflow's own state and queued_at in front of Airflow.
        return TriggeredRun(
            dag_id=dag_id,
            run_id=plan.run_id,
            execution_date=when,
            state=created.state,
            queued_at=created.queued_at or plan.now,
        )

    async def get_run(self, dag_id: str, execution_date: datetime) -> Run:
        async with self.backend.reading() as store:
            lookup = await store.runs.find(dag_id=dag_id, execution_date=execution_date)
        return found_run(lookup, dag_id, execution_date)

    async def set_state(self, dag_id: str, execution_date: datetime, state: str) -> Run:
        """``app.core.run_states``: success / failed finish the run's unfinished task instances;
        queued clears the run."""
        plan = plan_run_state(state, now=self.clock())
        async with self.backend.writing() as store:
            lookup = await store.runs.set_state(dag_id=dag_id, execution_date=execution_date, plan=plan)
        return found_run(lookup, dag_id, execution_date)

    async def list_runs(
        self,
        dag_id: str,
        *,
        state: str | None,
        limit: int | None,
        offset: int,
        execution_date_gte: str | None,
        execution_date_lte: str | None,
        render: RenderRuns,
    ) -> bytes | ListingStream:
        """The DAG's runs by execution_date, rendered as a JSON array (``render``); an unknown DAG
        is Invalid (400), as in Airflow.

        Over a store with pre-rendered, versioned listings (``VersionedListings``): a body rendered
        before is served again while the DAG's runs are unchanged (the listing cache), and a
        listing of more than ``WHOLE_CHUNKS * chunk_rows`` runs is read again in chunks of
        ``chunk_rows`` and comes back as a :class:`ListingStream` of the array's pieces, each chunk
        rendered alone, so memory stays flat whatever the number of runs. Without them, the runs
        are read and rendered whole. Anything refused or failing before the first piece is raised
        here.
        """
        wanted = (state or "").strip().lower() or None
        if wanted is not None and wanted not in RUN_STATES:
            raise Invalid(messages.unknown_listing_state(state or "", RUN_STATES))
        filters = RunFilter(
            state=wanted,
            limit=limit,
            offset=offset,
            execution_date_gte=None if execution_date_gte is None else self.date(execution_date_gte),
            execution_date_lte=None if execution_date_lte is None else self.date(execution_date_lte),
        )
        cache = self.listing_cache
        whole = WHOLE_CHUNKS * self.chunk_rows
        if limit is not None and limit <= whole:  # a page: one query, never a stream
            async with self.backend.reading() as store:
                paged = store.listings
                if paged is None:
                    listed = await store.runs.list(dag_id=dag_id, filters=filters)
                    if listed is None:
                        raise Invalid(messages.dag_not_found(dag_id))
                    return render(rendered_runs(listed))
                listings = paged

                async def page(_pending: PendingBody | None) -> bytes:
                    rendered = await listings.rendered_runs(dag_id=dag_id, filters=filters)
                    if rendered is None:
                        raise Invalid(messages.dag_not_found(dag_id))
                    return render(rendered)

                return await cache.cached_render((dag_id, filters), _version_of(listings, dag_id), page)

        # The unit of work is left when this block ends, unless a ListingStream takes it over.
        async with AsyncExitStack() as unit:
            store = await unit.enter_async_context(self.backend.reading())
            versioned = store.listings
            if versioned is None:
                listed = await store.runs.list(dag_id=dag_id, filters=filters)
                if listed is None:
                    raise Invalid(messages.dag_not_found(dag_id))
                return render(rendered_runs(listed))
            listings = versioned

            async def rows(pending: PendingBody | None) -> bytes | ListingStream:
                # One query answers a listing of up to `whole` runs; one more row says it is longer.
                probe = replace(filters, limit=whole + 1)
                rendered = await listings.rendered_runs(dag_id=dag_id, filters=probe)
                if rendered is None:
                    raise Invalid(messages.dag_not_found(dag_id))
                if len(rendered) <= whole:
                    return render(rendered)
                del rendered  # read again with the rest, in one statement: one snapshot
                stream = listings.stream_rendered_runs(
                    dag_id=dag_id, filters=filters, chunk_rows=self.chunk_rows
                )
                chunks = await unit.enter_async_context(aclosing(stream))
                first = await next_rows(chunks)
                second = None if first is None else await next_rows(chunks)
                if first is None or second is None:  # runs deleted since the first query
                    return render(first or [])
                return ListingStream(unit.pop_all(), array_pieces(first, second, chunks, render), pending)

            return await cache.cached_render((dag_id, filters), _version_of(listings, dag_id), rows)

    async def latest_runs(self, render: Callable[[list[RenderedLatestRun]], bytes]) -> bytes:
        """Each DAG's newest run, by dag_id, rendered (from the listing cache where the store
        versions its listings)."""
        async with self.backend.reading() as store:
            listings = store.listings
            if listings is None:
                return render(rendered_latest_runs(await store.runs.latest()))

            async def rows(_pending: PendingBody | None) -> bytes:
                return render(await listings.rendered_latest_runs())

            return await self.listing_cache.cached_render(LATEST_RUNS_KEY, listings.latest_runs_version, rows)


def _version_of(listings: VersionedListings, dag_id: str) -> Callable[[], Awaitable[int | None]]:
    """The listing cache's version of the DAG's runs; an unknown DAG is Invalid (400)."""

    async def version() -> int | None:
        found = await listings.runs_version(dag_id=dag_id)
        if not found.dag_exists:
            raise Invalid(messages.dag_not_found(dag_id))
        return found.version

    return version

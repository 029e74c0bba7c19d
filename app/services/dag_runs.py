"""Runs: trigger, look up, list, set state; latest_runs (docs/api.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.dates import parse_date
from app.errors import (
    Conflict,
    Invalid,
    NotFound,
    dag_not_found,
    duplicate_run,
    run_not_found,
    same_second_detail,
)
from app.listing_cache import ListingCache
from app.schemas.listings import Links, graph_links
from app.services.backend import Backend
from app.services.results import LatestRun, ListedRun, Run, RunFilter, RunLookup, TriggerCommand

RUN_STATES = ("queued", "running", "success", "failed")

# latest_runs' entry in the listing cache (a run listing's key is a tuple starting with a dag_id).
LATEST_RUNS_KEY = "latest_runs"


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
        return (
            f"Created <DagRun {self.dag_id} @ {self.execution_date}: {self.run_id}, state:{self.state}, "
            f"queued_at: {self.queued_at}. externally triggered: True>"
        )


def found_run(lookup: RunLookup, dag_id: str, execution_date: datetime) -> Run:
    """The run, or NotFound naming what is missing: the DAG first, then the run (as Airflow)."""
    if not lookup.dag_exists:
        raise NotFound(dag_not_found(dag_id))
    if lookup.run is None:
        raise NotFound(run_not_found(dag_id, execution_date))
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
        run_links: Links | None = None,
    ) -> None:
        self.backend = backend
        self.run_links = run_links or graph_links("")  # the listings' dag_run_url
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
        """A run of the DAG, `external_trigger` true, one task instance per task.

        Without a date the run is dated now; microseconds are zeroed unless
        ``replace_microseconds`` is false (default: only for a date not given). The run must not
        precede the DAG's start_date, and no run may have its run_id or execution instant.
        """
        requested = None if execution_date is None else self.date(execution_date)
        now = self.clock()
        when = requested if requested is not None else now
        replace = replace_microseconds if replace_microseconds is not None else requested is None
        if replace:
            when = when.replace(microsecond=0)
        # Dated now to the second, under the id that date gives: a collision is another trigger in that second.
        same_second = requested is None and replace and not run_id
        run_id = run_id or f"manual__{when.isoformat()}"
        state = self.triggered_run_state
        command = TriggerCommand(
            dag_id=dag_id, run_id=run_id, execution_date=when, state=state, conf=conf, now=now
        )
        async with self.backend.writing() as store:
            outcome = await store.trigger(command)
            if not outcome.dag_exists:
                raise NotFound(dag_not_found(dag_id))
            start_date = outcome.dag_start_date
            if start_date is not None and start_date > when:
                raise Invalid(
                    f"The execution_date [{when.isoformat()}] should be >= "
                    f"start_date [{start_date.isoformat()}] from DAG's default_args"
                )
            if not outcome.created:
                raise Conflict(
                    duplicate_run(dag_id, when, run_id), detail=same_second_detail() if same_second else None
                )
        created = outcome.run
        if created is not None:  # the backend's own account of the run (Airflow's state and queued_at)
            state, now = created.state, created.queued_at or now
        return TriggeredRun(dag_id=dag_id, run_id=run_id, execution_date=when, state=state, queued_at=now)

    async def get_run(self, dag_id: str, execution_date: datetime) -> Run:
        async with self.backend.reading() as store:
            lookup = await store.find_run(dag_id=dag_id, execution_date=execution_date)
        return found_run(lookup, dag_id, execution_date)

    async def set_state(self, dag_id: str, execution_date: datetime, state: str) -> Run:
        """success / failed finish the run's unfinished task instances; queued clears the run."""
        async with self.backend.writing() as store:
            lookup = await store.set_run_state(
                dag_id=dag_id, execution_date=execution_date, state=state, now=self.clock()
            )
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
        render: Callable[[list[ListedRun]], bytes],
    ) -> bytes:
        """The DAG's runs by execution_date, rendered; an unknown DAG is Invalid (400), as in Airflow."""
        wanted = (state or "").strip().lower() or None
        if wanted is not None and wanted not in RUN_STATES:
            raise Invalid(f"Invalid state '{state}'; expected one of: {', '.join(RUN_STATES)}")
        filters = RunFilter(
            state=wanted,
            limit=limit,
            offset=offset,
            execution_date_gte=None if execution_date_gte is None else self.date(execution_date_gte),
            execution_date_lte=None if execution_date_lte is None else self.date(execution_date_lte),
        )
        cache = self.listing_cache
        async with self.backend.reading() as store:

            async def version() -> int | None:
                found = await store.runs_version(dag_id=dag_id)
                if not found.dag_exists:
                    raise Invalid(dag_not_found(dag_id))
                return found.version

            async def rows() -> bytes:
                listed = await store.list_runs(dag_id=dag_id, filters=filters, dag_known=cache.enabled)
                if listed is None:
                    raise Invalid(dag_not_found(dag_id))
                return render(listed)

            return await cache.cached_render((dag_id, filters), version, rows)

    async def latest_runs(self, render: Callable[[list[LatestRun]], bytes]) -> bytes:
        """Each DAG's newest run, by dag_id, rendered."""
        async with self.backend.reading() as store:

            async def rows() -> bytes:
                return render(await store.latest_runs())

            return await self.listing_cache.cached_render(LATEST_RUNS_KEY, store.latest_runs_version, rows)

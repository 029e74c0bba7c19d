"""Run listings and latest_runs, rendered by the database and versioned (``app.core.ports.VersionedListings``).

The optional capability dagport's tables have: each DAG's runs carry a stamp that moves with every
change to them (migration 0007; app/listing_cache.py keeps rendered bodies under it), and the
listings' dates are written as ``isoformat()`` text by the database for a whole column at once
(``app.db.models.iso_text``; latest_runs reads text the dag row keeps, migration 0005).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

from sqlalchemy import bindparam, func, select

from app.core.results import RenderedLatestRun, RenderedRun, RunFilter, RunsVersion
from app.db.failures import domain_error_of
from app.db.models import dag, dag_run, dag_run_stamp
from app.db.repositories.base import Repository
from app.db.repositories.dag_runs import DagRunRepository, list_runs_query
from app.errors import DomainError

# What the listing cache's stamps cover (migration 0007; app/listing_cache.py): every column of
# dag_run, and the dag row's latest-run columns, which triggers on dag_run keep in the same
# transaction. tests/test_listing_cache.py checks that the cached statements read nothing else.
STAMP_COVERED_COLUMNS = frozenset(
    [
        *dag_run.c,
        dag.c.dag_id,
        dag.c.latest_run_id,
        dag.c.latest_execution_date_iso,
        dag.c.latest_start_date_iso,
    ]
)

# A row if the DAG exists, with its runs' stamp (migration 0007), NULL if it has none yet.
_RUNS_STAMP = (
    select(dag_run_stamp.c.stamp)
    .select_from(dag.outerjoin(dag_run_stamp, dag_run_stamp.c.dag_id == dag.c.dag_id))
    .where(dag.c.dag_id == bindparam("dag_id"))
)
# The sum of every DAG's stamp: it grows with every committed change to any DAG's runs (0007).
_RUNS_STAMP_SUM = select(func.sum(dag_run_stamp.c.stamp))

# Each DAG's latest run, as the database keeps it on the dag row (migrations 0003 to 0006): one
# scan of the dag table, no join, the dates already isoformat() text (nothing formatted per call).
LATEST_RUNS = (
    select(dag.c.dag_id, dag.c.latest_execution_date_iso, dag.c.latest_start_date_iso)
    .where(dag.c.latest_run_id.is_not(None))
    .order_by(dag.c.dag_id)
)


class ListingRepository(Repository):
    async def runs_version(self, *, dag_id: str) -> RunsVersion:
        """Whether the DAG exists, and its runs' stamp (``None`` before its first run)."""
        row = await self.first(_RUNS_STAMP, {"dag_id": dag_id})
        return RunsVersion(dag_exists=False, version=None) if row is None else RunsVersion(True, row[0])

    async def latest_runs_version(self) -> int | None:
        """The sum of every DAG's runs stamp: it grows with every committed change to any of them."""
        value = await self.scalar(_RUNS_STAMP_SUM, {})
        return None if value is None else int(value)

    async def rendered_runs(self, *, dag_id: str, filters: RunFilter) -> list[RenderedRun] | None:
        """The page of runs by execution_date, dates as text; ``None`` if the DAG is unknown."""
        rows = await self.rows(*list_runs_query(dag_id, filters, rendered=True))
        if not rows and not await DagRunRepository(self.reader, self._conn, self.dialect).dag_exists(
            dag_id=dag_id
        ):
            return None
        return list(map(RenderedRun._make, rows))

    async def stream_rendered_runs(
        self, *, dag_id: str, filters: RunFilter, chunk_rows: int
    ) -> AsyncGenerator[list[RenderedRun]]:
        """The runs of :meth:`rendered_runs`, in chunks of at most ``chunk_rows``, read from one
        statement as they are taken; no chunk when there is no run (nor when the DAG is unknown).

        Chunks are read after the unit of work has handed the store out, so their failures are
        turned into domain errors here, where a statement's would be by the unit of work."""
        chunks = self.reader.stream(*list_runs_query(dag_id, filters, rendered=True), chunk_rows)
        try:
            async with aclosing(chunks):
                async for rows in chunks:
                    yield list(map(RenderedRun._make, rows))
        except Exception as exc:
            error = domain_error_of(exc)
            if error is None or isinstance(exc, DomainError):
                raise
            raise error from exc

    async def rendered_latest_runs(self) -> list[RenderedLatestRun]:
        """Each DAG's run with the greatest execution_date, ordered by dag_id, in one query (the
        run_id is not read: the graph links of dagport's store do not need it)."""
        return [
            RenderedLatestRun(dag_id, date, start, None)
            for dag_id, date, start in await self.rows(LATEST_RUNS, {})
        ]

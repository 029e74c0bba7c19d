"""Bodies of the two big listings, rendered in one pass.

A DAG's run listing and latest_runs render up to thousands of items per request. The database
writes the dates as text (``app.db.models.iso_text``), made ``isoformat()`` for a whole column at
once (``listing_iso_texts``), and the links are built from that text (``dag_run_urls``); each row
is unpacked once. The same bytes as formatting datetimes one by one: tests/test_dates.py,
tests/routers/test_dag_runs.py and the replay test compare whole bodies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.dates import dag_run_urls, listing_iso_texts


def run_listing(base_url: str, dag_id: str, rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Rows of ``DagRunRepository.list_runs`` (id, run_id, execution_date, state, start_date)."""
    dates = listing_iso_texts([r[2] for r in rows])
    starts = listing_iso_texts([r[4] for r in rows])
    links = dag_run_urls(base_url, [dag_id] * len(rows), dates)
    return [
        {
            "dag_id": dag_id,
            "dag_run_url": link,
            "execution_date": date,
            "id": run_pk,
            "run_id": run_id,
            "start_date": start,
            "state": state,
        }
        for (run_pk, run_id, _, state, _), date, start, link in zip(rows, dates, starts, links, strict=True)
    ]


def latest_runs_listing(base_url: str, rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Rows of ``DagRunRepository.latest_runs`` (dag_id, execution_date, start_date)."""
    dag_ids = [r[0] for r in rows]
    dates = listing_iso_texts([r[1] for r in rows])
    starts = listing_iso_texts([r[2] for r in rows])
    links = dag_run_urls(base_url, dag_ids, dates)
    return [
        {"dag_id": dag_id, "execution_date": date, "start_date": start, "dag_run_url": link}
        for dag_id, date, start, link in zip(dag_ids, dates, starts, links, strict=True)
    ]

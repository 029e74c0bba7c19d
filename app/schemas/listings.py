"""Bodies of the two big listings, rendered in one pass.

A DAG's run listing and latest_runs render up to thousands of items per request. The database
writes the dates as ``isoformat()`` text (``app.db.models.iso_text``), the links are built from
that text for the whole column at once (``dag_run_urls``), and each row is unpacked once; an
absent start_date is Airflow's ``""``. The same bytes as formatting datetimes one by one:
tests/test_dates.py, tests/routers/test_dag_runs.py and the replay test compare whole bodies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.dates import dag_run_urls


def run_listing(base_url: str, dag_id: str, rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Rows of ``DagRunRepository.list_runs`` (id, run_id, execution_date, state, start_date)."""
    links = dag_run_urls(base_url, [dag_id] * len(rows), [r[2] for r in rows])
    return [
        {
            "dag_id": dag_id,
            "dag_run_url": link,
            "execution_date": date,
            "id": run_pk,
            "run_id": run_id,
            "start_date": start or "",
            "state": state,
        }
        for (run_pk, run_id, date, state, start), link in zip(rows, links, strict=True)
    ]


def latest_runs_listing(base_url: str, rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Rows of ``DagRunRepository.latest_runs`` (dag_id, execution_date, start_date)."""
    links = dag_run_urls(base_url, [r[0] for r in rows], [r[1] for r in rows])
    return [
        {"dag_id": dag_id, "execution_date": date, "start_date": start or "", "dag_run_url": link}
        for (dag_id, date, start), link in zip(rows, links, strict=True)
    ]

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
from urllib.parse import quote

from app.core.results import RunLinks
from app.dates import dag_run_urls


def graph_links(base_url: str) -> RunLinks:
    """Airflow 2's links: ``<base>/dags/<dag_id>/graph?execution_date=<date, form-encoded>``."""

    def links(dag_ids: list[str], dates: list[str], run_ids: list[str | None]) -> list[str]:
        return dag_run_urls(base_url, dag_ids, dates)

    return links


def airflow_run_links(ui_url: str) -> RunLinks:
    """A fronted Airflow 3's run page: ``<ui>/dags/<dag_id>/runs/<run_id>``, each name quoted as
    one segment (Airflow's DAG ids need none, but the link does not rely on it)."""

    def links(dag_ids: list[str], dates: list[str], run_ids: list[str | None]) -> list[str]:
        return [
            f"{ui_url}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id or '', safe='')}"
            for dag_id, run_id in zip(dag_ids, run_ids, strict=True)
        ]

    return links


def run_listing(links: RunLinks, dag_id: str, rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Rows of ``DagRunRepository.list_runs`` (id, run_id, execution_date, state, start_date)."""
    urls = links([dag_id] * len(rows), [r[2] for r in rows], [r[1] for r in rows])
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
        for (run_pk, run_id, date, state, start), link in zip(rows, urls, strict=True)
    ]


def latest_runs_listing(links: RunLinks, rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """:class:`app.core.results.LatestRun` rows (dag_id, execution_date, start_date, run_id)."""
    urls = links([r[0] for r in rows], [r[1] for r in rows], [r[3] for r in rows])
    return [
        {"dag_id": dag_id, "execution_date": date, "start_date": start or "", "dag_run_url": link}
        for (dag_id, date, start, _), link in zip(rows, urls, strict=True)
    ]

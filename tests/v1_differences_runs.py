"""Documented differences of the v1 runs operations (see tests/v1_differences.py for the rules),
and the exchanges they serve (shell patterns of the transcript's names), which tests/test_v1_replay.py
holds to `same` or `documented`."""

from __future__ import annotations

from tests.v1_differences import SECTIONS, Documented

# This group's section of docs/api-v1.md, where its differences are stated.
SECTIONS.setdefault("runs", "docs/api-v1.md, DAG runs and datasets")
RUNS = SECTIONS["runs"]


SERVED: tuple[str, ...] = (
    "auth_no_credentials_trigger",
    "auth_viewer_trigger_run",
    "dagrun_*",
    "dagruns_*",
    "datasets_*",
    "dataset_get*",
    "dataset_events_*",
    "dataset_event_create*",
    "dag_dataset_queued_events*",
    "dataset_queued_events",
)
ENTRIES: tuple[Documented, ...] = (
    Documented(
        ("datasets_list", "datasets_list_dag_ids", "dataset_get"), "body",
        "Airflow 3 keeps an asset's extra as the last parsed definition gives it (dataset_producer's "
        "{'owner': 'data-team'}); Airflow 2.11 kept the first one's (dataset_consumer's {})",
        SECTIONS["airflow3"], where=("/datasets/*/extra", "/extra"), kinds=("extra key",),
        got=("data-team",),
    ),
)  # fmt: skip

__all__ = ["ENTRIES", "SECTIONS", "SERVED"]

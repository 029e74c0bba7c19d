"""Documented differences of the v1 dags operations (see tests/v1_differences.py for the rules),
and the exchanges they serve (shell patterns of the transcript's names), which tests/test_v1_replay.py
holds to `same` or `documented`."""

from __future__ import annotations

from tests.v1_differences import SECTIONS, Documented

SERVED: tuple[str, ...] = (
    "auth_no_credentials_dags",
    "auth_wrong_password",
    "auth_malformed_basic_header",
    "auth_viewer_get_dags",
    "auth_viewer_patch_dag",
    "method_not_allowed_put_dags",
    "dags_*",
    "dag_get*",
    "dag_details*",
    "dag_patch*",
    "tasks_*",
    "task_get*",
    "dag_source*",
    "reparse_dag_file",
    "import_error*",
    "dag_warnings*",
    "dag_stats*",
    "dataset_consumer_unpause",
    "dataset_consumer_pause",
    "dag_delete",
    "dag_delete_again",
)
ENTRIES: tuple[Documented, ...] = ()

__all__ = ["ENTRIES", "SECTIONS", "SERVED"]

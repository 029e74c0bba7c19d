"""Documented differences of the v1 task instances operations (see tests/v1_differences.py for the rules),
and the exchanges they serve (shell patterns of the transcript's names), which tests/test_v1_replay.py
holds to `same` or `documented`.

Every task-instance, XCom and log exchange of the recording is served. A few of them read runs that
earlier exchanges of the DAG-run operations make (triggers, state changes, a clear, a delete): each is
held to the recording once those are served too (tests/v1_differences_runs.py), since before that
the runs they read do not exist in the replay. The differences these exchanges show are the common
ones of tests/v1_differences.py (lineage XComs, Postgres jsonb key order, ``?state=bogus``'s 500),
stated in docs/api-v1.md's "Differences from Airflow 2.11"; none is particular to these operations.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from tests import v1_differences_runs
from tests.v1_differences import SECTIONS, Documented

INDEPENDENT = (
    "tis_list", "tis_list_state_unknown", "tis_list_pool", "tis_list_execution_date_range", "tis_list_limit_1",
    "ti_get", "ti_get_unknown_task", "ti_get_map_index_0", "tis_batch", "tis_batch_run_and_tasks",
    "tis_batch_on_named_dag", "ti_tries", "ti_try_1", "ti_try_unknown", "ti_dependencies_finished", "ti_set_note",
    "ti_patch_dry_run", "update_ti_state_*", "ti_get_after_update_state", "clear_tis_*", "ti_get_after_clear",
    "ti_tries_after_clear", "xcom_*", "log_*",
)  # fmt: skip
TRIGGERS = (
    "dagrun_trigger_conf_logical_date", "dagrun_trigger_execution_date", "dagrun_trigger_both_dates_equal",
    "dagrun_trigger_z_date", "dagrun_trigger_offset_date", "dagrun_trigger_microseconds",
    "dagrun_trigger_empty_run_id",
)  # fmt: skip
# exchange: the DAG-run exchanges that make the runs it reads
READS_RUNS: dict[str, tuple[str, ...]] = {
    "tis_list_state_repeated": (
        *TRIGGERS, "dagrun_patch_state_success", "dagrun_patch_state_failed", "dagrun_clear", "dagrun_delete",
    ),
    "tis_list_queued_run": ("dagrun_trigger_both_dates_equal",),
    "ti_dependencies_queued_run": ("dagrun_trigger_both_dates_equal",),
    "tis_batch_state_none": (
        "dagrun_trigger_simple_dag", "dagrun_trigger_now_empty_object", "dagrun_delete_now_run",
    ),
}  # fmt: skip


def runs_served(*names: str) -> bool:
    return all(any(fnmatchcase(name, pattern) for pattern in v1_differences_runs.SERVED) for name in names)


SERVED: tuple[str, ...] = (
    *INDEPENDENT,
    *(exchange for exchange, needs in READS_RUNS.items() if runs_served(*needs)),
)
ENTRIES: tuple[Documented, ...] = ()

__all__ = ["ENTRIES", "SECTIONS", "SERVED"]

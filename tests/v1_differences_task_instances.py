"""Documented differences of the v1 task instances operations (see tests/v1_differences.py for the rules),
and the exchanges they serve (shell patterns of the transcript's names), which tests/test_v1_replay.py
holds to `same` or `documented`.

Every task-instance, XCom and log exchange of the recording is served. The differences these
exchanges show are the common ones of tests/v1_differences.py (lineage XComs, Postgres jsonb key
order, ``?state=bogus``'s 500), stated in docs/api-v1.md's "Differences from Airflow 2.11"; none is
particular to these operations.
"""

from __future__ import annotations

from tests.v1_differences import SECTIONS, Documented

SERVED: tuple[str, ...] = ("tis_*", "ti_*", "update_ti_state_*", "clear_tis_*", "xcom_*", "log_*")
ENTRIES: tuple[Documented, ...] = ()

__all__ = ["ENTRIES", "SECTIONS", "SERVED"]

"""Documented differences of the v1 admin operations (see tests/v1_differences.py for the rules),
and the exchanges they serve (shell patterns of the transcript's names), which tests/test_v1_replay.py
holds to `same` or `documented`."""

from __future__ import annotations

from tests.v1_differences import SECTIONS, Documented

SERVED: tuple[str, ...] = (
    "auth_viewer_get_variables",
    "auth_viewer_post_pool",
    "pools_*",
    "pool_*",
    "variables_*",
    "variable_*",
    "connections_*",
    "connection_*",
    "config*",
    "plugins",
    "providers",
    "event_log*",
)
ENTRIES: tuple[Documented, ...] = (
    # -- HTML pages and 500s of Airflow 2.11: the evident answer instead -----------------------------
    Documented(
        ("pool_post_slots_unlimited", "pools_list_with_unlimited_pool"), "content_type",
        "the pool, or the pools, as JSON where Airflow 2.11 answered its 500 problem for failing to write "
        "the unlimited pool's open_slots (inf) as an integer",
        SECTIONS["errors"], got=("application/json",), after=(("pool_post_slots_unlimited", 200),),
    ),
)  # fmt: skip

__all__ = ["ENTRIES", "SECTIONS", "SERVED"]

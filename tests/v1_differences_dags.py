"""Documented differences of the v1 dags operations (see tests/v1_differences.py for the rules),
and the exchanges they serve (shell patterns of the transcript's names), which tests/test_v1_replay.py
holds to `same` or `documented`."""

from __future__ import annotations

from tests.v1_differences import SECTIONS, Documented

SERVED: tuple[str, ...] = ()
ENTRIES: tuple[Documented, ...] = ()

__all__ = ["ENTRIES", "SECTIONS", "SERVED"]

"""How a run's state follows its task instances (docs/api.md 4.3), for every backend."""

from __future__ import annotations

FINISHED_TI_STATES = ("success", "failed", "skipped", "upstream_failed")
FAILED_TI_STATES = ("failed", "upstream_failed")


def derived_run_state(current: str, *, total: int, unfinished: int, failed: int) -> str:
    """The run's state once its task instances are as counted: ``failed`` if every one is
    finished and any failed, ``success`` if every one is finished, otherwise a finished run goes
    back to ``running`` (a task instance was cleared or re-run) and any other state stays."""
    if total and not unfinished:
        return "failed" if failed else "success"
    if current in ("success", "failed"):
        return "running"
    return current

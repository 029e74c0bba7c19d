"""The state vocabulary (docs/api.md 3.2, 4.2, 4.3) and how a run's state follows its task instances."""

from __future__ import annotations

# A run's states, as the listings filter them (3.2).
RUN_STATES = ("queued", "running", "success", "failed")
# What a client may set a run to (4.2).
SETTABLE_RUN_STATES = ("success", "failed", "queued")
FINISHED_RUN_STATES = ("success", "failed")

# What a worker may report of a task instance (4.3); None: no state (a cleared task instance).
TASK_INSTANCE_STATES: tuple[str | None, ...] = (
    None,
    "scheduled",
    "queued",
    "running",
    "success",
    "failed",
    "up_for_retry",
    "up_for_reschedule",
    "skipped",
    "upstream_failed",
)
FINISHED_TI_STATES = ("success", "failed", "skipped", "upstream_failed")
FAILED_TI_STATES = ("failed", "upstream_failed")


def is_finished(state: str | None) -> bool:
    """Whether a task instance in ``state`` is finished (4.2: success, failed, skipped, upstream_failed)."""
    return state in FINISHED_TI_STATES


def derived_run_state(current: str, *, total: int, unfinished: int, failed: int) -> str:
    """The run's state once its task instances are as counted (4.3): ``failed`` if every one is
    finished and any failed, ``success`` if every one is finished, otherwise a finished run goes
    back to ``running`` (a task instance was cleared or re-run) and any other state stays."""
    if total and not unfinished:
        return "failed" if failed else "success"
    if current in FINISHED_RUN_STATES:
        return "running"
    return current

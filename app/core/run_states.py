"""A client's change of a run's state (docs/api.md 4.2): what happens to its task instances and lineage.

:func:`plan_run_state` is pure: what it plans does not depend on what is stored, so a service plans
before it opens its unit of work and the backend applies the plan to the run it finds (app/db
under the run's row lock; app/airflow through Airflow's PATCH, whose own rules then apply to the
task instances: its capabilities say so, ``ports.Capability.RUN_STATE_CASCADE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class TaskInstancesChange(Enum):
    # success / failed: every unfinished task instance gets the run's new state, end_date now, and
    # its duration from its start (none for one that never started: reports.finished_duration).
    FINISH_UNFINISHED = "finish unfinished"
    # queued: every task instance back to no state, its dates, duration and queued time cleared,
    # try_number kept.
    CLEAR = "clear"


class LineageChange(Enum):
    # success: the lineage of each task instance it finishes is recorded from its task's definition
    # (lineage already recorded stays).
    RECORD_FROM_TASKS = "record from tasks"
    DROP = "drop"  # queued: the run's recorded lineage is removed
    NONE = "none"


@dataclass(frozen=True, slots=True)
class RunStatePlan:
    """The run gets ``state``; with ``clear`` also no start_date and no end_date and ``queued_at``
    now, otherwise ``end_date`` now."""

    state: str
    now: datetime
    task_instances: TaskInstancesChange
    lineage: LineageChange

    @property
    def clear(self) -> bool:
        return self.task_instances is TaskInstancesChange.CLEAR


def plan_run_state(state: str, *, now: datetime) -> RunStatePlan:
    """The plan for a run set to ``state``: success, failed or queued (states.SETTABLE_RUN_STATES)."""
    if state == "queued":
        return RunStatePlan(state, now, TaskInstancesChange.CLEAR, LineageChange.DROP)
    lineage = LineageChange.RECORD_FROM_TASKS if state == "success" else LineageChange.NONE
    return RunStatePlan(state, now, TaskInstancesChange.FINISH_UNFINISHED, lineage)

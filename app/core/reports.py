"""A worker's report of a task instance's state (docs/api.md 4.3): what it changes, and how the run follows.

:func:`plan_report` takes the task instance and its run's state as they are now (a backend reads
them under the run's lock, so reports of one run are planned one at a time) and returns the
changes to the instance, whether lineage is recorded, and what happens to the run: a transition
known at once (a queued run starts, a finished run reopens), or a count of its task instances,
after which :func:`settled` says where the run goes (:func:`app.core.states.derived_run_state`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from typing import Any

from app.core.results import KEEP, Keep, TaskInstance, TaskInstanceReport
from app.core.states import FINISHED_RUN_STATES, derived_run_state, is_finished


def finished_duration(start_date: datetime | None, end_date: datetime) -> float | None:
    """A finished task instance's duration in seconds; ``None`` for one that never started."""
    return None if start_date is None else (end_date - start_date).total_seconds()


@dataclass(frozen=True, slots=True)
class TaskInstanceChanges:
    """The new values of a task instance's fields; ``KEEP``: the field stays as it is."""

    state: str | None
    updated_at: datetime
    try_number: int | Keep = KEEP
    start_date: datetime | Keep | None = KEEP
    end_date: datetime | Keep | None = KEEP
    duration: float | Keep | None = KEEP
    queued_dttm: datetime | Keep | None = KEEP
    hostname: str | Keep = KEEP
    pid: int | Keep = KEEP
    unixname: str | Keep = KEEP

    def changed(self) -> dict[str, Any]:
        """Each field that changes, by name, with its new value (in the order of the fields)."""
        return {name: value for name in _CHANGES if (value := getattr(self, name)) is not KEEP}

    def applied_to(self, instance: TaskInstance) -> TaskInstance:
        return replace(instance, **self.changed())


_CHANGES = tuple(TaskInstanceChanges.__dataclass_fields__)


class RunTransition(Enum):
    """What a report does to its run (the run's ``state`` follows; dates as each says)."""

    STARTED = "started"  # queued -> running, start_date now
    FINISHED = "finished"  # -> success or failed, end_date now
    REOPENED = "reopened"  # a finished run -> running, end_date cleared


@dataclass(frozen=True, slots=True)
class RunChange:
    transition: RunTransition
    state: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ReportPlan:
    """What one report does. ``run``: a change known without counting; ``count``: the instance just
    finished, so the run's state is derived from its task instances' counts (:func:`settled`)."""

    task_id: str
    changes: TaskInstanceChanges
    record_lineage: bool  # success: the report's inlets/outlets, each side else the task's own
    inlets: list[dict[str, Any]] | None
    outlets: list[dict[str, Any]] | None
    run: RunChange | None
    count: bool
    run_state: str  # the run's state once ``run`` is applied (what ``settled`` starts from)


def plan_report(
    instance: TaskInstance, *, run_state: str, report: TaskInstanceReport, now: datetime
) -> ReportPlan:
    """The changes ``report`` makes to ``instance`` of a run in ``run_state``, at ``now``.

    - ``running`` adds 1 to ``try_number``, sets ``start_date`` and clears the end and duration;
      a queued run starts;
    - a finished state sets ``end_date`` and ``duration`` (none for an instance that never
      started); ``success`` records lineage; the run's state is derived from its task instances;
    - ``queued`` sets ``queued_dttm``; any unfinished state clears ``end_date``, and reopens a
      finished run (a task instance was cleared or re-run);
    - ``hostname``, ``pid`` and ``unixname`` are set when the report sends them.
    """
    state = report.state
    reported: dict[str, Any] = {
        name: value
        for name, value in (("hostname", report.hostname), ("pid", report.pid), ("unixname", report.unixname))
        if value is not None
    }
    finished = is_finished(state)
    if state == "running":
        changes = TaskInstanceChanges(
            state=state,
            updated_at=now,
            try_number=instance.try_number + 1,
            start_date=now,
            end_date=None,
            duration=None,
            **reported,
        )
    elif finished:
        changes = TaskInstanceChanges(
            state=state,
            updated_at=now,
            end_date=now,
            duration=finished_duration(instance.start_date, now),
            **reported,
        )
    else:
        queued: datetime | Keep = now if state == "queued" else KEEP
        changes = TaskInstanceChanges(
            state=state, updated_at=now, end_date=None, queued_dttm=queued, **reported
        )
    run: RunChange | None = None
    if state == "running" and run_state == "queued":
        run = RunChange(RunTransition.STARTED, "running", now)
    elif not finished:
        # The run has an unfinished task instance now: a finished run reopens, any other stays.
        derived = derived_run_state(run_state, total=1, unfinished=1, failed=0)
        if derived != run_state:
            run = RunChange(RunTransition.REOPENED, derived, now)
    return ReportPlan(
        task_id=instance.task_id,
        changes=changes,
        record_lineage=state == "success",
        inlets=report.inlets,
        outlets=report.outlets,
        run=run,
        count=finished,
        run_state=run.state if run is not None else run_state,
    )


def settled(run_state: str, *, total: int, unfinished: int, failed: int, now: datetime) -> RunChange | None:
    """Where a run in ``run_state`` goes once its task instances are as counted; ``None``: it stays."""
    derived = derived_run_state(run_state, total=total, unfinished=unfinished, failed=failed)
    if derived == run_state:
        return None
    if derived in FINISHED_RUN_STATES:
        return RunChange(RunTransition.FINISHED, derived, now)
    return RunChange(RunTransition.REOPENED, derived, now)

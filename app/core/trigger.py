"""The trigger (docs/api.md 3.1): a run's date, id, state and conf, and THE start-date rule.

:func:`plan_trigger` turns what a client sent into a :class:`TriggerPlan`, which a backend applies
(app/db: one statement on Postgres; app/airflow: Airflow's POST .../dagRuns). Every backend decides
whether a run may be created for a DAG with :data:`START_DATE_RULE` (:func:`may_start`); where it
must be SQL, app/db renders this rule's fields, and tests/test_start_date_rule.py proves the
rendering and this function agree on the boundary cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class StartDateRule:
    """Whether a run dated ``execution_date`` may be created for a DAG starting at ``start_date``.

    As Airflow's experimental API: a DAG without a start date takes any date
    (``unset_allows``); one with a start date takes dates at or after it (``inclusive``: the
    start date itself is allowed). Both are compared as instants, whatever their offsets.
    """

    unset_allows: bool = True
    inclusive: bool = True

    def allows(self, start_date: datetime | None, execution_date: datetime) -> bool:
        if start_date is None:
            return self.unset_allows
        return start_date <= execution_date if self.inclusive else start_date < execution_date


START_DATE_RULE = StartDateRule()


def may_start(start_date: datetime | None, execution_date: datetime) -> bool:
    """THE start-date rule: may a run at ``execution_date`` be created for a DAG starting at ``start_date``?"""
    return START_DATE_RULE.allows(start_date, execution_date)


def manual_run_id(execution_date: datetime) -> str:
    """The run id of a trigger that names none: ``manual__<date in ISO form>``."""
    return f"manual__{execution_date.isoformat()}"


@dataclass(frozen=True, slots=True)
class TriggerPlan:
    """The run a trigger creates (with one task instance per task of its DAG: no state yet,
    ``try_number`` 0), if its DAG exists, :func:`may_start` allows its date and no run of the DAG
    has its run_id or its execution instant."""

    dag_id: str
    run_id: str
    execution_date: datetime
    state: str  # DAGPORT_TRIGGERED_RUN_STATE
    conf: dict[str, Any] | None
    now: datetime  # queued_at, and the task instances' updated_at
    start_date: datetime | None  # now for a run created running (Airflow 1.10), else none yet
    # Dated now to the second, under the id that date gives: a collision is another trigger in the
    # same second, and the refusal says what to do about it (messages.SAME_SECOND_HINT).
    same_second: bool


def plan_trigger(
    *,
    dag_id: str,
    run_id: str | None,
    conf: dict[str, Any] | None,
    requested: datetime | None,
    replace_microseconds: bool | None,
    state: str,
    now: datetime,
) -> TriggerPlan:
    """The run a trigger asks for. Without a date (``requested``) it is dated ``now``; microseconds
    are zeroed unless ``replace_microseconds`` is false (default: only for a date not given); a
    run id not given (or empty) is :func:`manual_run_id` of that date."""
    when = requested if requested is not None else now
    replace = replace_microseconds if replace_microseconds is not None else requested is None
    if replace:
        when = when.replace(microsecond=0)
    return TriggerPlan(
        dag_id=dag_id,
        run_id=run_id or manual_run_id(when),
        execution_date=when,
        state=state,
        conf=conf,
        now=now,
        start_date=now if state == "running" else None,
        same_second=requested is None and replace and not run_id,
    )

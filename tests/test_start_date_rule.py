"""THE start-date rule (docs/api.md 3.1) is written once, in app/core/trigger.py; where the trigger
decides in the database (Postgres's one-statement trigger), app/db renders it as SQL. Both give the
same answer on the boundary cases, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.trigger import START_DATE_RULE, StartDateRule, may_start
from app.db.models import UTCDateTime
from app.db.repositories.dag_runs import start_date_allows

START = datetime(2021, 1, 1, 12, 0, tzinfo=UTC)
MICRO = timedelta(microseconds=1)
PLUS_TWO = timezone(timedelta(hours=2))
# (the DAG's start_date, the run's execution_date)
CASES = [
    (None, START),
    (START, START),  # the start date itself is allowed
    (START, START + MICRO),
    (START, START - MICRO),
    (START, START.astimezone(PLUS_TWO)),  # the same instant at another offset
    (START.astimezone(PLUS_TWO), START - MICRO),
    (START, datetime(1, 1, 1, tzinfo=UTC)),
    (datetime(1, 1, 1, tzinfo=UTC), START),
]


def test_the_rule_in_python() -> None:
    assert [may_start(start, when) for start, when in CASES] == [
        True, True, True, False, True, False, False, True,
    ]  # fmt: skip


@pytest.mark.parametrize("rule", [START_DATE_RULE, StartDateRule(unset_allows=False, inclusive=False)])
async def test_the_sql_rendering_agrees_with_the_rule(engine: AsyncEngine, rule: StartDateRule) -> None:
    async with engine.connect() as conn:
        for start, when in CASES:
            expression = start_date_allows(literal(start, UTCDateTime()), literal(when, UTCDateTime()), rule)
            answer = (await conn.execute(select(expression))).scalar()
            assert bool(answer) is rule.allows(start, when), (start, when)

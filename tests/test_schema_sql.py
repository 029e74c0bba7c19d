"""app/db/schema_sql.py: the current definition of every trigger and function, as a database
migrated to head reports it (tests/schema_snapshot.py).

Each test migrates a new database of its backend. The module's definitions must equal what that
database reports, laid out differently at most: runs of whitespace outside quotes compare equal, and
nothing else is forgiven. Rewrite them with ``.venv/bin/python -m tests.schema_snapshot`` (or
``DAGPORT_UPDATE_SNAPSHOT=1 .venv/bin/pytest tests/test_schema_sql.py``, as for the other
snapshots) and review the diff.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.schema_snapshot import (
    MODULE,
    REGENERATE,
    committed,
    migrated_database,
    normalised,
    render,
    rewritten,
)


@pytest.fixture
async def migrated(backend: str) -> AsyncIterator[AsyncEngine]:
    async with migrated_database(backend) as engine:
        yield engine


async def test_the_module_holds_what_a_migrated_database_reports(backend: str, migrated: AsyncEngine) -> None:
    current = await render(migrated)
    if os.environ.get("DAGPORT_UPDATE_SNAPSHOT") == "1":
        MODULE.write_text(rewritten({backend: current}))
    # Against the definitions exactly as reported, not against their layout: the module holds the
    # database's text, whatever the layout code does.
    reported = await render(migrated, pretty=False)
    if normalised(committed(backend)) != normalised(reported):
        diff = "".join(
            difflib.unified_diff(
                committed(backend).splitlines(keepends=True),
                current.splitlines(keepends=True),
                f"{MODULE} ({backend})",
                "what the migrated database reports",
            )
        )
        pytest.fail(
            f"{MODULE} is not what a database migrated to head reports; if the migrations changed, "
            f"rewrite it with: {REGENERATE}\n{diff}",
            pytrace=False,
        )


async def test_the_module_names_each_trigger_once(backend: str) -> None:
    names = re.findall(r"^CREATE TRIGGER (\w+)", committed(backend), re.M)
    assert names and len(names) == len(set(names))
    assert {"dag_run_latest_insert", "dag_run_stamp_insert"} <= set(names)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("UPDATE dag\n    SET x = 1;", "UPDATE dag SET x = 1;"),
        ("BEGIN\n    RETURN NULL;\nEND", "BEGIN RETURN NULL; END"),
        ("-- it's a comment\nSELECT 1", "-- it's a comment SELECT 1"),
    ],
)
def test_layouts_that_differ_in_whitespace_only_compare_equal(a: str, b: str) -> None:
    assert normalised(a) == normalised(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ORDER BY r.execution_date DESC", "ORDER BY r.execution_date ASC"),
        ("replace(x, ' ', 'T')", "replace(x, '  ', 'T')"),  # whitespace inside a literal is data
        ("(SELECT 1)", "( SELECT 1)"),  # so is whether there is any
        ("WHEN (old.a IS DISTINCT FROM new.a)", "WHEN (old.a IS NOT new.a)"),
    ],
)
def test_any_other_difference_is_seen(a: str, b: str) -> None:
    assert normalised(a) != normalised(b)

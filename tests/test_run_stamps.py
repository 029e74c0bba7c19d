"""Each DAG's runs stamp (migration 0007): every change to a DAG's runs, through the API or by SQL,
in one statement or several, gives that DAG a greater stamp never seen before and leaves other
DAGs' alone.
Postgres and SQLite (their triggers differ: per statement with a sequence, per row with max + 1).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.models import dag_run, dag_run_stamp
from tests.conftest import REFERENCE_DAGS_DIR
from tests.helpers import put_dag

DAGS = ("example_bash", "simple_dag", "lineage_dag")


async def stamps(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(dag_run_stamp.c.dag_id, dag_run_stamp.c.stamp))).all()
    return {dag_id: stamp for dag_id, stamp in rows}


def run_row(dag_id: str, day: int, **values: Any) -> dict[str, Any]:
    date = datetime(2016, 11, day, tzinfo=UTC)
    return {
        "dag_id": dag_id,
        "run_id": f"r{day}",
        "execution_date": date,
        "state": "success",
        "external_trigger": False,
    } | values


class StampWatch:
    """Each change must move exactly the stamps of the DAGs it touched, to values never seen."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.seen: set[int] = set()
        self.last: dict[str, int] = {}

    async def check(self, moved: set[str]) -> None:
        now = await stamps(self.engine)
        changed = {d for d in now if now[d] != self.last.get(d)}
        assert changed == moved, (self.last, now)
        fresh = {now[d] for d in changed}
        assert not fresh & self.seen
        assert all(now[d] > self.last[d] for d in changed & set(self.last))  # a stamp only grows
        assert len(fresh) == len(changed)
        self.seen |= set(now.values())
        self.last = now

    async def sql(self, moved: set[str], *statements: Any) -> None:
        async with self.engine.begin() as conn:
            for statement in statements:
                await conn.execute(statement)
        await self.check(moved)


async def test_every_change_to_a_dags_runs_moves_its_stamp_and_only_its(client, clean_db):
    for name in DAGS:
        await put_dag(client, REFERENCE_DAGS_DIR / f"{name}.json")
    watch = StampWatch(clean_db)
    await watch.check(set())  # DAGs without runs have no stamp yet
    assert watch.last == {}
    assert (
        await client.post("/dags/example_bash/dag_runs", json={"execution_date": "2016-11-20"})
    ).status_code == 200
    await watch.check({"example_bash"})
    # One statement inserting runs of two DAGs, out of order.
    await watch.sql(
        {"simple_dag", "lineage_dag"},
        insert(dag_run).values(
            [run_row("simple_dag", 3), run_row("lineage_dag", 1), run_row("simple_dag", 2)]
        ),
    )
    await watch.sql({"simple_dag"}, update(dag_run).where(dag_run.c.run_id == "r3").values(state="failed"))
    await watch.sql({"lineage_dag"}, update(dag_run).where(dag_run.c.dag_id == "lineage_dag").values(conf={}))
    # A run moved to another DAG moves both.
    await watch.sql(
        {"simple_dag", "lineage_dag"},
        update(dag_run).where(dag_run.c.run_id == "r2").values(dag_id="lineage_dag"),
    )
    await watch.sql({"lineage_dag"}, delete(dag_run).where(dag_run.c.run_id == "r2"))
    # A statement that changes nothing moves nothing.
    await watch.sql(set(), update(dag_run).where(dag_run.c.run_id == "absent").values(state="failed"))
    # Two changes to one DAG in one transaction: one new stamp.
    await watch.sql(
        {"simple_dag"},
        insert(dag_run).values(run_row("simple_dag", 9)),
        update(dag_run).where(dag_run.c.dag_id == "simple_dag").values(state="running"),
    )
    # The API: a task instance starting starts its run; deleting the DAG deletes its runs.
    response = await client.patch(
        "/dags/example_bash/dag_runs/2016-11-20T00:00:00+00:00/tasks/extract", json={"state": "running"}
    )
    assert response.status_code == 200, response.text
    await watch.check({"example_bash"})
    assert (await client.delete("/dags/simple_dag")).status_code == 200
    await watch.check({"simple_dag"})
    # Created again: its next stamp is new too (the row outlived the DAG).
    await put_dag(client, REFERENCE_DAGS_DIR / "simple_dag.json")
    await watch.check(set())
    assert (
        await client.post("/dags/simple_dag/dag_runs", json={"execution_date": "2016-11-20"})
    ).status_code == 200
    await watch.check({"simple_dag"})


async def test_truncating_the_runs_moves_every_stamp(backend, client, clean_db):
    if backend != "postgresql":
        pytest.skip("TRUNCATE is Postgres's (SQLite's DELETE without WHERE fires the row triggers)")
    for name in DAGS[:2]:
        await put_dag(client, REFERENCE_DAGS_DIR / f"{name}.json")
    watch = StampWatch(clean_db)
    await watch.sql(set(DAGS[:2]), insert(dag_run).values([run_row(d, 1) for d in DAGS[:2]]))
    await watch.sql(set(DAGS[:2]), text("TRUNCATE dag_run CASCADE"))

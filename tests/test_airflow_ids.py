"""The stable integer ids dagport gives Airflow's runs and pools (app/db/repositories/airflow_ids.py), on both of
dagport's databases: assigned once, the same from every worker, never changed."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.repositories.airflow_ids import CHUNK, IdRegistry


async def test_a_name_keeps_its_number_across_registries(clean_db: AsyncEngine) -> None:
    first = await IdRegistry(clean_db).ids("run", "dag_a", ["r1", "r2"])
    again = await IdRegistry(clean_db).ids("run", "dag_a", ["r2", "r3", "r1"])  # another worker
    assert again["r1"] == first["r1"] and again["r2"] == first["r2"]
    assert len(set(again.values())) == 3
    other_dag = await IdRegistry(clean_db).ids("run", "dag_b", ["r1"])
    assert other_dag["r1"] not in again.values()
    pools = await IdRegistry(clean_db).ids("pool", "", ["default_pool", "p"])
    assert pools["default_pool"] < pools["p"]


async def test_concurrent_first_sightings_agree(clean_db: AsyncEngine) -> None:
    names = [f"run_{n}" for n in range(CHUNK + 20)]  # more than one statement's worth
    registries = [IdRegistry(clean_db) for _ in range(4)]
    answers = await asyncio.gather(*(r.ids("run", "dag", names) for r in registries))
    assert all(a == answers[0] for a in answers)
    assert len(set(answers[0].values())) == len(names)


async def test_known_names_cost_no_round_trip(clean_db: AsyncEngine) -> None:
    registry = IdRegistry(clean_db)
    numbers = await registry.ids("run", "dag", ["r1"])
    await clean_db.dispose()
    registry.engine = None  # type: ignore[assignment]  # any database access would fail now
    assert await registry.ids("run", "dag", ["r1"]) == numbers

"""app/db/engine.py's PoolGate: connections handed out in arrival order, and a bounded wait."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from app.db.engine import PoolGate


async def test_a_newcomer_never_passes_a_waiter() -> None:
    """The first waiter gets the permit a holder returns, even when a newcomer asks for one in the
    same instant (SQLAlchemy's own queue let the newcomer take it, starving some requests)."""
    gate = PoolGate(1, timeout=5)
    await gate.enter()
    order: list[str] = []

    async def waiter() -> None:
        await gate.enter()
        order.append("waiter")
        gate.leave()

    queued = asyncio.create_task(waiter())
    await asyncio.sleep(0)  # the waiter is queued
    gate.leave()
    await gate.enter()  # a newcomer, before the waiter has run again
    order.append("newcomer")
    gate.leave()
    await queued
    assert order == ["waiter", "newcomer"]


async def test_waiters_are_served_in_arrival_order() -> None:
    gate = PoolGate(2, timeout=5)
    served: list[int] = []

    async def request(i: int) -> None:
        await gate.enter()
        served.append(i)
        await asyncio.sleep(0.001)
        gate.leave()

    tasks = []
    for i in range(40):
        tasks.append(asyncio.create_task(request(i)))
        await asyncio.sleep(0)  # arrive one after the other
    await asyncio.gather(*tasks)
    assert served == list(range(40))


async def test_a_wait_longer_than_the_pool_timeout_is_the_pools_timeout_error() -> None:
    gate = PoolGate(1, timeout=0.05)
    await gate.enter()
    started = time.monotonic()
    with pytest.raises(PoolTimeoutError):
        await gate.enter()
    assert 0.04 < time.monotonic() - started < 1
    gate.leave()
    await gate.enter()  # the timed-out waiter took nothing


def test_permits_follow_the_pool() -> None:
    sized = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none", pool_size=3, max_overflow=2)
    assert PoolGate.for_pool(sized.pool, 1)._permits._value == 5
    unbounded = create_async_engine("sqlite+aiosqlite://", poolclass=NullPool)
    assert PoolGate.for_pool(unbounded.pool, 1)._permits._value >= 2**31


async def test_a_failed_checkout_gives_its_permit_back() -> None:
    """A request whose connection fails (503) does not keep its permit: with a pool of one, the
    next requests are answered too, and not after a pool timeout."""
    import httpx

    from app.config import Settings
    from app.main import create_app

    unreachable = "postgresql://nobody@127.0.0.1:1/none"
    settings = Settings(database_url=unreachable, auth_backend="none", db_pool_size=1, db_pool_timeout=30)
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        started = time.monotonic()
        for _ in range(3):
            assert (await c.get("/api/experimental/pools")).status_code == 503
        assert time.monotonic() - started < 10

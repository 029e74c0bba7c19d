"""app/db/engine.py's PoolGate: connections handed out in arrival order, and a bounded wait."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import create_async_engine

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


async def test_every_waiter_times_out_at_its_own_deadline() -> None:
    """One timer serves the queue: a waiter that arrived later fails later, not with the first,
    and the deadline of a waiter that was served does not cut a later one's wait short."""
    gate = PoolGate(1, timeout=0.2)
    await gate.enter()

    async def waited() -> float:
        """Seconds until this waiter timed out."""
        started = time.monotonic()
        with pytest.raises(PoolTimeoutError):
            await gate.enter()
        return time.monotonic() - started

    first = asyncio.create_task(waited())
    await asyncio.sleep(0.1)
    second = asyncio.create_task(waited())
    first_waited = await asyncio.wait_for(first, 2)
    assert not second.done()  # not expired with the first: 0.1 s of its wait was left
    assert 0.18 < first_waited < 0.3
    assert 0.18 < await asyncio.wait_for(second, 2) < 0.3

    served = asyncio.create_task(gate.enter())  # a timer is set for its deadline
    await asyncio.sleep(0.05)
    gate.leave()
    await served  # served: its deadline, 0.15 s away, must not end the next wait early
    late = asyncio.create_task(waited())
    assert 0.18 < await asyncio.wait_for(late, 2) < 0.3


async def test_a_cancelled_waiter_leaves_the_queue() -> None:
    """A request cancelled while it waits (its client went away) neither keeps a place nor makes
    later requests wait for a permit that is free."""
    gate = PoolGate(1, timeout=5)
    await gate.enter()
    queued = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)
    queued.cancel()
    with pytest.raises(asyncio.CancelledError):
        await queued
    gate.leave()
    await asyncio.wait_for(gate.enter(), 0.5)  # free at once: nobody is ahead


async def test_a_waiter_cancelled_after_its_permit_was_granted_passes_it_on() -> None:
    gate = PoolGate(1, timeout=0.3)
    await gate.enter()
    granted = asyncio.create_task(gate.enter())
    next_in_line = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)  # both queued
    gate.leave()  # the permit is handed to `granted`, which has not run yet
    granted.cancel()
    with pytest.raises(asyncio.CancelledError):
        await granted
    await asyncio.wait_for(next_in_line, 0.5)
    gate.leave()
    await asyncio.wait_for(gate.enter(), 0.5)  # no permit was lost ...
    with pytest.raises(PoolTimeoutError):
        await gate.enter()  # ... or made up: the one permit is held


def test_permits_follow_the_pool_settings() -> None:
    from app.config import Settings
    from app.db.backend import SqlBackend

    settings = Settings(
        database_url="postgresql://nobody@127.0.0.1:1/none", db_pool_size=3, db_max_overflow=2
    )
    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none", pool_size=3, max_overflow=2)
    assert SqlBackend(engine, settings).gate.permits == 5
    sqlite = Settings(database_url="sqlite://")
    assert SqlBackend(create_async_engine("sqlite+aiosqlite://"), sqlite).gate.permits == 1


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

"""Long run listings sent as they are read (GET /dags/{dag_id}/dag_runs without a limit).

The app is called as an ASGI server would call it, so each test sees the messages it sends: a
listing longer than ``DAGPORT_LISTING_CHUNK_ROWS`` arrives in several body messages whose bytes
are exactly the listing rendered at once (longer than four chunks: seven runs, one a chunk); the unknown-DAG 400 still comes before anything; and a
stream's connection is returned however it ends (completed, the client gone or stalled, the
database failing mid-way). The pool is one connection with a one-second timeout: a stream that
kept its connection would turn the next request into a 503.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import TOKEN
from tests.helpers import client_for
from tests.routers.test_dag_runs import load, trigger

PATH = "/api/experimental/dags/example_bash/dag_runs"
ONE_CONNECTION = {"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout": 1.0}
RUNS = 7


class Exchange:
    """The messages the app sent for one request, in order."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    @property
    def status(self) -> int:
        return self.messages[0]["status"]

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(self.messages[0]["headers"])

    @property
    def pieces(self) -> list[bytes]:
        return [m["body"] for m in self.messages[1:] if m["body"]]

    @property
    def complete(self) -> bool:
        last = self.messages[-1]
        return last["type"] == "http.response.body" and not last.get("more_body", False)


async def call(
    app: Any,
    path: str = PATH,
    *,
    send_hook: Callable[[Exchange], Awaitable[None]] | None = None,
    leave: asyncio.Event | None = None,
) -> Exchange:
    """GET ``path`` as uvicorn would (ASGI spec 2.3: the client leaving is an http.disconnect)."""
    exchange = Exchange()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"dagport.test"), (b"authorization", f"Bearer {TOKEN}".encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("dagport.test", 80),
    }
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await (leave or asyncio.Event()).wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        exchange.messages.append(message)
        if send_hook is not None:
            await send_hook(exchange)

    await asyncio.wait_for(app(scope, receive, send), timeout=30)
    return exchange


async def seeded(app: Any) -> None:
    async with client_for(app) as client:
        await load(client)
        for day in range(1, RUNS + 1):
            await trigger(client, f"2016-11-{day:02d}")


async def test_a_listing_longer_than_a_chunk_arrives_in_pieces_with_the_same_bytes(app_factory):
    whole_app = app_factory(listing_cache_mb=0)
    await seeded(whole_app)
    whole = await call(whole_app)
    assert whole.status == 200 and len(whole.pieces) == 1 and b"content-length" in whole.headers

    app = app_factory(listing_chunk_rows=1, **ONE_CONNECTION)
    streamed = await call(app)
    assert streamed.status == 200 and streamed.complete
    assert streamed.headers[b"content-type"] == b"application/json"
    assert b"content-length" not in streamed.headers  # sent chunked, as it is read
    assert len(streamed.pieces) == 8  # seven chunks of one run, then the closing bracket
    assert b"".join(streamed.pieces) == whole.pieces[0]
    # Complete and small enough: stored, and served again whole from the cache.
    assert len(app.state.listing_cache) == 1
    again = await call(app)
    assert again.pieces == whole.pieces and app.state.listing_cache.hits == 1


@pytest.mark.parametrize("cache_mb", [0, 16])
async def test_an_unknown_dag_is_still_a_400_before_anything_is_sent(app_factory, cache_mb):
    app = app_factory(listing_chunk_rows=1, listing_cache_mb=cache_mb, **ONE_CONNECTION)
    await seeded(app)
    refused = await call(app, "/api/experimental/dags/no_such_dag/dag_runs")
    assert refused.status == 400 and refused.complete
    assert b'"error":"Dag id no_such_dag not found in DagModel"' in refused.pieces[0]
    assert (await call(app)).status == 200


async def test_a_client_that_leaves_mid_stream_gives_its_connection_back(app_factory):
    app = app_factory(listing_chunk_rows=1, listing_cache_mb=0, **ONE_CONNECTION)
    await seeded(app)
    leave = asyncio.Event()

    async def leave_after_the_first_piece(exchange: Exchange) -> None:
        if exchange.pieces:
            leave.set()
            await asyncio.sleep(0.1)  # the disconnect is noticed while this send waits

    gone = await call(app, send_hook=leave_after_the_first_piece, leave=leave)
    assert gone.status == 200 and not gone.complete and len(gone.pieces) < 8
    after = await call(app)  # one connection, one-second timeout: a leaked one would be a 503
    assert after.status == 200 and after.complete


async def test_a_client_that_stops_reading_is_cut_off_and_its_connection_returned(app_factory, caplog):
    app = app_factory(listing_chunk_rows=1, listing_cache_mb=0, listing_send_timeout=0.2, **ONE_CONNECTION)
    await seeded(app)

    async def stall_on_the_second_piece(exchange: Exchange) -> None:
        if len(exchange.pieces) == 2:
            await asyncio.sleep(3600)

    with caplog.at_level(logging.WARNING, logger="dagport.listings"):
        stalled = await call(app, send_hook=stall_on_the_second_piece)
    assert stalled.status == 200 and not stalled.complete and len(stalled.pieces) == 2
    assert "run listing cut off after" in caplog.text and "the client took over 0.2 s" in caplog.text
    assert (await call(app)).complete


async def test_a_database_failure_mid_stream_cuts_the_body_off(app_factory, clean_db, caplog, backend):
    if backend != "postgresql":
        pytest.skip("ends the stream's server connection with pg_terminate_backend")
    app = app_factory(listing_chunk_rows=1, listing_cache_mb=0, **ONE_CONNECTION)
    await seeded(app)

    async def terminate_the_streams_connection(exchange: Exchange) -> None:
        if len(exchange.pieces) == 1:
            # Between two fetches the stream's connection is idle in its read-only transaction.
            async with clean_db.connect() as conn:
                ended = await conn.scalar(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND state = 'idle in transaction'"
                    )
                )
            assert ended == 1

    with caplog.at_level(logging.WARNING, logger="dagport.listings"):
        failed = await call(app, send_hook=terminate_the_streams_connection)
    assert failed.status == 200 and not failed.complete  # no final chunk: the client sees it cut
    assert "run listing cut off after" in caplog.text
    assert "Database unavailable" in caplog.text
    assert (await call(app)).complete

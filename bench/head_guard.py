"""The request-head guard (app/server.py): its cost per request, and oversized heads with and without it.

    .venv/bin/python -m bench.head_guard            # both parts
    .venv/bin/python -m bench.head_guard --cost     # in-process only: microseconds per request

The cost is the guard's own work on a typical request (its parser and callbacks), fed straight
to ``HeadGuardProtocol.data_received`` with uvicorn's protocol replaced by a no-op. The second part
starts ``dagport serve`` on a throwaway SQLite file twice, with ``DAGPORT_MAX_HEADER_BYTES=0`` (no
guard) and with the default, and sends a 60 MB header and 400,000 headers while polling
``/health``: the seconds until the connection ends, and the slowest ``/health`` meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import httptools

from app.server import HeadGuardProtocol, HeadLimits
from reliability.stack import DAGPORT, Process, dagport_environment, free_port, wait_for_http

REQUEST = (
    b"GET /api/experimental/test HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
    b"Authorization: Bearer dp_0123456789abcdefghijklmnopqrstuvwxyz\r\nUser-Agent: python-httpx/0.28.1\r\n"
    b"Accept: */*\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n\r\n"
)
HUGE_HEADER = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 60_000_000 + b"\r\n\r\n"
MANY_HEADERS = b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"a: b\r\n" * 400_000 + b"\r\n"


class _NoOp:
    def data_received(self, data: bytes) -> None:
        pass


def cost_per_request(requests: int = 200_000) -> float:
    """Microseconds of guard work per request (the best of five rounds)."""
    loop = asyncio.new_event_loop()
    guard: Any = HeadGuardProtocol.__new__(HeadGuardProtocol)  # no uvicorn Config: only the guard's part
    guard.__dict__.update(
        limits=HeadLimits(64 * 1024, 100, 10.0),
        inner=_NoOp(),
        loop=loop,
        transport=None,
        timer=None,
        opened=0.0,
        head_began=None,
        reading_head=False,
        began_here=False,
        head_bytes=0,
        head_size=0,
        header_count=0,
    )
    guard.parser = httptools.HttpRequestParser(guard)
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(requests):
            guard.data_received(REQUEST)
        best = min(best, (time.perf_counter() - started) / requests * 1e6)
    guard._cancel_timer()
    loop.close()
    return best


async def _send(port: int, head: bytes) -> float:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    try:
        for offset in range(0, len(head), 64 * 1024):
            writer.write(head[offset : offset + 64 * 1024])
            await writer.drain()
        writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        await writer.drain()
        await asyncio.wait_for(reader.read(), 60)
    except ConnectionError:
        pass
    writer.close()
    return time.monotonic() - started


async def _slowest_health(port: int, stop: asyncio.Event) -> float:
    import httpx

    slowest = 0.0
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        while not stop.is_set():
            started = time.monotonic()
            await client.get("/health")
            slowest = max(slowest, time.monotonic() - started)
            await asyncio.sleep(0.01)
    return slowest


async def oversized_heads(max_header_bytes: int) -> None:
    with tempfile.TemporaryDirectory() as work:
        port = free_port()
        env = dagport_environment(
            database_url=f"sqlite:///{Path(work) / 'dagport.db'}",
            port=port,
            api_tokens="bench-token-0123456789",
            max_header_bytes=max_header_bytes,
            log_level="WARNING",
        )
        process = Process("dagport", [DAGPORT, "serve"], Path(work), env).start()
        try:
            await wait_for_http(f"http://127.0.0.1:{port}/ready", process)
            for name, head in (("60 MB header", HUGE_HEADER), ("400,000 headers", MANY_HEADERS)):
                stop = asyncio.Event()
                health = asyncio.create_task(_slowest_health(port, stop))
                await asyncio.sleep(0.1)
                elapsed = await _send(port, head)
                stop.set()
                slowest = await health
                print(
                    f"MAX_HEADER_BYTES={max_header_bytes}: {name}: connection ended after {elapsed:.2f} s, "
                    f"slowest /health {slowest * 1000:.0f} ms, RSS {process.rss_mb():.0f} MB"
                )
        finally:
            process.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.head_guard", description=__doc__)
    parser.add_argument("--cost", action="store_true", help="only the in-process cost per request")
    args = parser.parse_args()
    print(f"guard cost: {cost_per_request():.2f} us per request")
    if not args.cost:
        for limit in (0, 64 * 1024):
            asyncio.run(oversized_heads(limit))


if __name__ == "__main__":
    main()

"""The request-head guard of `dagport serve` (app/server.py), on a real server process.

Oversized heads (a 60 MB header, 400,000 headers) are refused with 431 at once, before any of it
reaches the app, while `/health` keeps answering; heads that dribble in, and connections that send
nothing, are closed after DAGPORT_HEADER_TIMEOUT with 408; an idle kept-alive connection is closed
after DAGPORT_KEEP_ALIVE_TIMEOUT.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import TOKEN
from tests.processes import DAGPORT, Process, dagport_environment, free_port, wait_for_http

# Runs `dagport serve` processes and measures time (conftest.py: system).
pytestmark = [pytest.mark.system, pytest.mark.xdist_group("server_edges")]

MAX_HEADER_BYTES = 16 * 1024
MAX_HEADERS = 50
HEADER_TIMEOUT = 1.5
KEEP_ALIVE_TIMEOUT = 1


@dataclass
class Server:
    port: int
    process: Process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    work = tmp_path_factory.mktemp("edges")
    port = free_port()
    env = dagport_environment(
        database_url=f"sqlite:///{work / 'dagport.db'}",
        host="127.0.0.1",
        port=port,
        api_tokens=TOKEN,
        max_header_bytes=MAX_HEADER_BYTES,
        max_headers=MAX_HEADERS,
        header_timeout=HEADER_TIMEOUT,
        keep_alive_timeout=KEEP_ALIVE_TIMEOUT,
        log_format="json",
    )
    process = Process("dagport", [DAGPORT, "serve"], work, env).start()
    try:
        await wait_for_http(f"http://127.0.0.1:{port}/ready", process)
        yield Server(port, process)
    finally:
        process.stop()


async def send_head(port: int, head: bytes, *, chunk: int = 64 * 1024) -> tuple[int, bytes, float]:
    """Send ``head`` in chunks until the server stops reading; (bytes sent, answer, seconds taken)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    sent = 0
    try:
        for offset in range(0, len(head), chunk):
            writer.write(head[offset : offset + chunk])
            await writer.drain()
            sent = offset + chunk
    except ConnectionError:
        pass
    try:
        answer = await asyncio.wait_for(reader.read(), 5)
    except ConnectionError:
        answer = b""
    elapsed = time.monotonic() - started
    writer.close()
    return min(sent, len(head)), answer, elapsed


async def health_latencies(url: str, stop: asyncio.Event) -> list[float]:
    latencies = []
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        while not stop.is_set():
            started = time.monotonic()
            assert (await client.get("/health")).status_code == 200
            latencies.append(time.monotonic() - started)
            await asyncio.sleep(0.01)
    return latencies


def status_and_body(answer: bytes) -> tuple[int, dict[str, str]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


HUGE_HEADER = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 60_000_000 + b"\r\n\r\n"
MANY_HEADERS = b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"a: b\r\n" * 400_000 + b"\r\n"


@pytest.mark.parametrize("head", [HUGE_HEADER, MANY_HEADERS], ids=["60MB-header", "400000-headers"])
async def test_an_oversized_head_is_cut_off_at_once_and_health_keeps_answering(
    server: Server, head: bytes
) -> None:
    stop = asyncio.Event()
    health = asyncio.create_task(health_latencies(server.url, stop))
    await asyncio.sleep(0.1)
    try:
        sent, answer, elapsed = await send_head(server.port, head)
    finally:
        stop.set()
        latencies = await health
    if len(head) > 10_000_000:  # far more than the socket buffers hold
        assert sent < len(head) // 4  # the server stopped reading long before the end
    assert elapsed < 2.0
    assert max(latencies) < 0.5, latencies
    if answer:  # the 431 may be lost to the reset of a connection that kept sending
        assert status_and_body(answer)[0] == 431


async def test_a_head_over_the_byte_limit_is_431_with_the_json_error(server: Server) -> None:
    head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * MAX_HEADER_BYTES + b"\r\n\r\n"
    _, answer, _ = await send_head(server.port, head)
    status, body = status_and_body(answer)
    assert status == 431
    assert body == {
        "error": f"Request line and headers are larger than {MAX_HEADER_BYTES} bytes",
        "request_id": body["request_id"],
    }


async def test_too_many_headers_is_431_with_the_json_error(server: Server) -> None:
    head = b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"a: b\r\n" * MAX_HEADERS + b"\r\n"
    _, answer, _ = await send_head(server.port, head)
    status, body = status_and_body(answer)
    assert status == 431
    assert body["error"] == f"Request has more than {MAX_HEADERS} header fields"


async def test_heads_within_the_limits_and_pipelined_requests_are_served(server: Server) -> None:
    filler = b"X-Fill: " + b"f" * 300 + b"\r\n"
    request = b"GET /health HTTP/1.1\r\nHost: x\r\n" + filler * (MAX_HEADERS - 2) + b"\r\n"
    assert len(request) < MAX_HEADER_BYTES < 2 * len(request)
    # Three requests in one write, each close to the byte limit, the last closing the connection.
    last = request.replace(b"Host: x\r\n", b"Host: x\r\nConnection: close\r\n", 1)
    _, answer, _ = await send_head(server.port, request * 2 + last)
    assert answer.count(b"HTTP/1.1 200 OK") == 3
    async with httpx.AsyncClient(base_url=server.url) as client:
        body = b"x" * 512 * 1024  # a large body after a small head is the app's (here a 400)
        response = await client.post(
            "/api/experimental/pools", content=body, headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert response.status_code == 400


def dribbling_connection(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
    return sock


async def test_dribbling_and_silent_connections_are_closed_after_the_header_timeout(server: Server) -> None:
    dribblers = [dribbling_connection(server.port) for _ in range(100)]
    silent = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(100)]
    for sock in dribblers + silent:
        sock.setblocking(False)
    started = time.monotonic()
    open_ = set(dribblers + silent)
    answers: dict[socket.socket, bytes] = {}
    while open_ and time.monotonic() - started < HEADER_TIMEOUT + 3:
        for sock in list(open_):
            try:
                if sock in dribblers:
                    sock.send(b"X-Dribble: 1\r\n")  # a header line every 50 ms, never the end
                data = sock.recv(65536)
            except BlockingIOError:
                continue
            except ConnectionError:
                data = b""
            answers[sock] = answers.get(sock, b"") + data
            if not data:
                open_.discard(sock)
        await asyncio.sleep(0.05)
    elapsed = time.monotonic() - started
    for sock in dribblers + silent:
        sock.close()
    assert open_ == set()
    assert HEADER_TIMEOUT - 0.2 < elapsed < HEADER_TIMEOUT + 1.5
    assert all(status_and_body(answers[sock])[0] == 408 for sock in silent)
    async with httpx.AsyncClient(base_url=server.url) as client:
        assert (await client.get("/health")).status_code == 200


async def test_an_idle_kept_alive_connection_is_closed_after_the_keep_alive_timeout(server: Server) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    await reader.readuntil(b'{"status":"ok"}')
    started = time.monotonic()
    assert await asyncio.wait_for(reader.read(), KEEP_ALIVE_TIMEOUT + 2) == b""
    assert time.monotonic() - started < KEEP_ALIVE_TIMEOUT + 0.5
    writer.close()


def test_the_guard_is_off_with_max_header_bytes_zero() -> None:
    from app.config import Settings
    from app.server import HeadGuardProtocol, uvicorn_options

    assert uvicorn_options(Settings(max_header_bytes=0)).get("http") is None
    assert uvicorn_options(Settings()).get("http") is HeadGuardProtocol

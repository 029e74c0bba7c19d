"""A local HTTP server standing in for Airflow, for what a real Airflow cannot be made to do on demand
(slow, down, a 5xx, a huge deployment, an Airflow 2): a real socket and real HTTP/1.1 (keep-alive),
so dagport's whole gateway is exercised, the path exactly as it arrives included.

``routes`` maps a path (without the query) to ``(status, body, delay)`` or to a function of the
:class:`Seen` request returning that triple. Every request is recorded in :attr:`StandIn.seen`
(method, the raw target with its query, the headers), and ``most_in_flight`` counts concurrency.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

Reply = tuple[int, Any, float]


@dataclass(frozen=True)
class Raw:
    """A body sent as these bytes, with these extra headers (a reply Airflow's JSON cannot make)."""

    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Seen:
    method: str
    target: str  # as sent: the path, percent-encoding kept, and the query
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query)


Route = Reply | Callable[[Seen], Reply]


class StandIn:
    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.seen: list[Seen] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.server: asyncio.Server | None = None
        self.url = ""
        self._changed = asyncio.Condition()
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def requests(self) -> list[str]:
        """The paths requested, in order."""
        return [s.path for s in self.seen]

    async def until_in_flight(self, count: int) -> None:
        """Return once at least ``count`` requests are being answered at the same time."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.in_flight >= count)

    async def _count(self, change: int) -> None:
        async with self._changed:
            self.in_flight += change
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self._changed.notify_all()

    async def __aenter__(self) -> StandIn:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        for handler in list(self._handlers):  # close the connections still open (keep-alive)
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        assert handler is not None
        self._handlers.add(handler)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (h.partition(":") for h in header_lines if h)
                }
                length = int(headers.get("content-length") or 0)
                body = await reader.readexactly(length) if length else b""
                method, target = request_line.split(" ")[:2]
                seen = Seen(method, target, headers, body)
                self.seen.append(seen)
                route = self.routes.get(seen.path, (404, {"detail": "Not Found"}, 0.0))
                status, payload_body, delay = route(seen) if callable(route) else route
                await self._count(1)
                try:
                    await asyncio.sleep(delay)
                finally:
                    await self._count(-1)
                extra = ""
                if isinstance(payload_body, Raw):
                    payload = payload_body.body
                    extra = "".join(f"{name}: {value}\r\n" for name, value in payload_body.headers.items())
                else:
                    payload = b"" if payload_body is None else json.dumps(payload_body).encode()
                writer.write(
                    f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {len(payload)}\r\n{extra}\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except asyncio.CancelledError:
            pass  # closed by __aexit__: the connection ends here, the server too
        finally:
            self._handlers.discard(handler)
            writer.close()

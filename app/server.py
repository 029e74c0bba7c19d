"""The HTTP edge of ``dagport serve``: uvicorn's options and the request-head guard in front of it.

uvicorn's default HTTP/1.1 protocol (httptools) reads a request line and headers of any size,
any number of headers and for any length of time before the app sees the request. The guard,
``HeadGuardProtocol``, is the protocol class handed to uvicorn (its documented ``http=`` option
takes one). It wraps uvicorn's own protocol and watches the bytes of each request head (request
line plus headers) with a second httptools parser, before passing them on:

- more than ``DAGPORT_MAX_HEADER_BYTES`` of head, or more than ``DAGPORT_MAX_HEADERS`` header
  fields: 431 with the JSON error, the connection closed; the head is never passed on, and no
  more than the limit plus one socket read is buffered;
- a head not complete ``DAGPORT_HEADER_TIMEOUT`` seconds after the connection opened or the
  previous response ended: 408, the connection closed.

Between requests on a kept-alive connection uvicorn's own ``timeout_keep_alive``
(``DAGPORT_KEEP_ALIVE_TIMEOUT``) closes an idle connection sooner. Only public interfaces are
used: asyncio's Protocol, uvicorn's ``http=`` class contract and httptools' parser callbacks.
``DAGPORT_MAX_HEADER_BYTES=0`` serves with uvicorn's protocol alone (no guard).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from functools import cache
from typing import Any, NamedTuple, cast

import httptools
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from app.config import Settings
from app.core import messages
from app.json import dumps
from app.middleware import DEFAULT_CSP, SECURITY_HEADERS

log = logging.getLogger("dagport.server")


class HeadLimits(NamedTuple):
    max_bytes: int
    max_headers: int
    timeout: float


@cache
def _limits() -> HeadLimits:
    """Read once per worker process, from the same DAGPORT_* environment as the app."""
    settings = Settings()
    return HeadLimits(settings.max_header_bytes, settings.max_headers, settings.header_timeout)


class _Refused(Exception):
    """Raised from a parser callback to stop parsing a head that is over a limit."""


class HeadGuardProtocol(asyncio.Protocol):
    """uvicorn's HTTP/1.1 protocol, with the size, count and time of each request head bounded."""

    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.limits = _limits()
        # uvicorn's own choice for http="auto" (httptools when installed, as with uvicorn[standard]),
        # built the way uvicorn builds any http= class.
        protocol: Callable[..., asyncio.Protocol] = AutoHTTPProtocol  # typed by uvicorn as a bare Protocol
        self.inner = protocol(config=config, server_state=server_state, app_state=app_state, _loop=_loop)
        self.loop = _loop or asyncio.get_event_loop()
        self.parser: httptools.HttpRequestParser | None = httptools.HttpRequestParser(self)
        self.parser.set_dangerous_leniencies(lenient_data_after_close=True)  # as uvicorn's own parser
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.opened = 0.0  # loop time the connection was made
        self.head_began: float | None = None  # loop time the latest head began
        self.reading_head = False  # between a head's first byte and its end
        self.began_here = False  # a head began in the read being parsed
        self.head_bytes = 0  # bytes of the reads since the head began (but the first)
        self.head_size = 0  # request line and headers as parsed, once each is complete
        self.header_count = 0

    # -- asyncio.Protocol, forwarded to uvicorn's protocol --------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # a stream server's protocol gets one
        self.inner.connection_made(transport)
        self.opened = self.loop.time()
        self._start_timer(self.limits.timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timer()
        self.parser = None
        self.inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        parser = self.parser
        if parser is not None:
            self.began_here = False
            try:
                parser.feed_data(data)
            except httptools.HttpParserCallbackError as exc:
                if isinstance(exc.__context__, _Refused):
                    return
                self._stop_watching()
            except (httptools.HttpParserError, httptools.HttpParserUpgrade):
                self._stop_watching()  # uvicorn's parser answers it (400) or upgrades
            else:
                # A head still incomplete: count this read towards it, unless the head began in
                # it (then some of it may be the previous request's body: at most one read is
                # not counted, and the exact sizes are checked in on_url and on_header anyway).
                if self.reading_head and not self.began_here:
                    self.head_bytes += len(data)
                    if self.head_bytes > self.limits.max_bytes:
                        self._refuse_too_large()
                        return
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    # -- httptools callbacks: where each head begins and ends ------------------------------------

    def on_message_begin(self) -> None:
        self.reading_head = self.began_here = True
        self.head_bytes = self.head_size = self.header_count = 0
        self.head_began = self.loop.time()
        if self.timer is None:
            self._start_timer(self.limits.timeout)

    def on_url(self, url: bytes) -> None:
        self.head_size += len(url)
        if self.head_size > self.limits.max_bytes:
            self._refuse_too_large()
            raise _Refused

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_count += 1
        self.head_size += len(name) + len(value) + 4  # ": " and CRLF
        if self.header_count > self.limits.max_headers:
            self._refuse(messages.too_many_headers(self.limits.max_headers))
            raise _Refused
        if self.head_size > self.limits.max_bytes:
            self._refuse_too_large()
            raise _Refused

    def on_headers_complete(self) -> None:
        # From here on the request is uvicorn's and the app's; the time between requests on a
        # kept-alive connection is uvicorn's timeout_keep_alive. The timer is left to run out
        # (cheaper than cancelling it on every request): see _timed_out.
        self.reading_head = False

    # -- refusals ---------------------------------------------------------------------------------

    def _refuse_too_large(self) -> None:
        self._refuse(messages.head_too_large(self.limits.max_bytes))

    def _refuse(self, message: str, status: int = 431) -> None:
        transport = self.transport
        self._stop_watching()
        if transport is None or transport.is_closing():
            return
        request_id = os.urandom(16).hex()
        peer = transport.get_extra_info("peername")
        client = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        log.warning("refused a request head: %s", message, extra={"client": client, "request_id": request_id})
        body = dumps({"error": message, "request_id": request_id}).encode()
        reason = b"Request Header Fields Too Large" if status == 431 else b"Request Timeout"
        headers = b"".join(b"%s: %s\r\n" % pair for pair in (*SECURITY_HEADERS, DEFAULT_CSP))
        transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            b"x-request-id: %s\r\n%sconnection: close\r\n\r\n%s"
            % (status, reason, len(body), request_id.encode(), headers, body)
        )
        transport.close()

    def _timed_out(self) -> None:
        """One timer per connection, armed when it opens and when a head begins with none armed:
        a head still being read past its deadline is 408 (so is a connection that never sent
        one); one being read within it re-arms the timer for its deadline; none, no timer."""
        self.timer = None
        if self.parser is None:
            return
        if self.head_began is None or self.reading_head:
            deadline = (self.head_began or self.opened) + self.limits.timeout
            left = deadline - self.loop.time()
            if left <= 0:
                self._refuse(messages.head_too_slow(self.limits.timeout), status=408)
            else:
                self._start_timer(left)

    def _start_timer(self, delay: float) -> None:
        if self.limits.timeout > 0:
            self.timer = self.loop.call_later(delay, self._timed_out)

    def _cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _stop_watching(self) -> None:
        self._cancel_timer()
        self.parser = None


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """What ``dagport serve`` passes to ``uvicorn.run`` besides the app."""
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "workers": settings.workers,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        "timeout_keep_alive": settings.keep_alive_timeout,
        "timeout_graceful_shutdown": 30,
        "log_config": None,  # app.main's worker factories configure logging
        "access_log": False,
    }
    if settings.max_header_bytes:
        options["http"] = HeadGuardProtocol
    return options

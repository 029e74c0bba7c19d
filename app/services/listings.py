"""Long run listings sent as they are read: the pieces of one JSON array (docs/architecture.md,
"Streamed run listings"), from a store's ``VersionedListings.stream_rendered_runs``."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import AsyncExitStack

from app.core.results import RenderedRun
from app.listing_cache import PendingBody


class ListingStream:
    """A long run listing's body: the pieces of its JSON array, each read from the store when the
    previous one has been taken (``async for``).

    It holds its unit of work (a connection) until the last piece has been taken or
    :meth:`aclose` is called, which whoever sends it must do, whatever happens (the client
    leaving, a failure): a store failure while reading is raised as a domain error from the
    iteration, after the first piece. A complete body that fits goes to the listing cache.
    """

    __slots__ = ("_pending", "_pieces", "_unit")

    def __init__(
        self, unit: AsyncExitStack, pieces: AsyncGenerator[bytes], pending: PendingBody | None
    ) -> None:
        self._unit = unit
        self._pieces = pieces
        self._pending = pending

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        try:
            piece = await anext(self._pieces)
        except StopAsyncIteration:
            if self._pending is not None:
                self._pending.store()
            await self.aclose()
            raise
        if self._pending is not None:
            self._pending.add(piece)
        return piece

    async def aclose(self) -> None:
        """End the listing early (or after its end): the unit of work is left, its connection
        returned. Safe to call more than once."""
        if self._pending is not None:
            self._pending.drop()
        try:
            await self._pieces.aclose()
        finally:
            await self._unit.aclose()


async def next_rows(chunks: AsyncIterator[list[RenderedRun]]) -> list[RenderedRun] | None:
    """The next non-empty chunk, or ``None`` after the last."""
    async for chunk in chunks:
        if chunk:
            return chunk
    return None


async def array_pieces(
    first: list[RenderedRun],
    second: list[RenderedRun],
    chunks: AsyncIterator[list[RenderedRun]],
    render: Callable[[list[RenderedRun]], bytes],
) -> AsyncGenerator[bytes]:
    """One JSON array from the arrays ``render`` makes of each chunk: the same bytes as
    ``render`` of all the rows at once (no whitespace between items)."""
    yield render(first)[:-1]
    yield b"," + render(second)[1:-1]
    while (chunk := await next_rows(chunks)) is not None:
        yield b"," + render(chunk)[1:-1]
    yield b"]"

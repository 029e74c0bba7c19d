"""How a v1 route gets its service: ``Annotated[XService, Depends(depends_on(XService))]``, the app's
one instance (app/services/v1/context.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import Request

S = TypeVar("S")


def depends_on(kind: type[S]) -> Callable[[Request], Awaitable[S]]:
    """A dependency giving the app's ``kind``; it reads only the request (lean routes call it)."""

    async def dependency(request: Request) -> S:
        return request.app.state.v1.service(kind)  # type: ignore[no-any-return]  # V1Context.service

    dependency.__name__ = f"_{kind.__name__}"
    return dependency

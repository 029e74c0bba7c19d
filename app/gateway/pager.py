"""The one pager over Airflow's listings (``limit``/``offset``, ``total_entries``).

Airflow answers at most ``[api] maximum_page_limit`` items a page (100 by default) whatever
``limit`` asks, so a page is "the last" by ``total_entries``, never by being short of ``limit``.
A 404 for the first page means the listing's owner (a DAG) does not exist: :attr:`Pager.missing`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Sequence
from functools import partial
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from app.core import messages
from app.errors import Invalid
from app.gateway.client import AirflowClient, Params
from app.gateway.endpoints import Endpoint
from app.gateway.transport import Answer, Query

PAGE = 100  # Airflow's [api] maximum_page_limit default
C = TypeVar("C", bound=BaseModel)


def refused(answer: Answer) -> Invalid:
    """An Airflow 4xx dagport did not expect: the caller's request, as Airflow worded it."""
    return Invalid(messages.airflow_refused_request(answer.detail))


def expect(answer: Answer, *statuses: int) -> Any:
    """The body of an answer with one of ``statuses``; any other 4xx is the caller's problem (400)."""
    if answer.status not in statuses:
        raise refused(answer)
    return answer.body


class Pager(Generic[C]):
    """One listing: ``endpoint`` with ``params`` and ``query``, read as ``model`` pages whose
    items ``items`` returns."""

    def __init__(
        self,
        client: AirflowClient,
        endpoint: Endpoint,
        params: Params | None,
        query: Query,
        model: type[C],
        items: Callable[[C], Sequence[Any]],
    ) -> None:
        self.client = client
        self.endpoint = endpoint
        self.params = params
        self.query = dict(query or {})
        self.model = model
        self.items = items
        self.missing = False

    async def page(self, *, offset: int, limit: int) -> C | None:
        """One page; ``None`` (and :attr:`missing`) on a 404."""
        answer = await self.client.get(
            self.endpoint, self.params, {**self.query, "limit": limit, "offset": offset}
        )
        if answer.status == 404:
            self.missing = True
            return None
        if answer.status != 200:
            raise refused(answer)
        return answer.parsed(self.model)

    async def window(
        self, *, offset: int = 0, limit: int | None = None, page_size: int = PAGE
    ) -> AsyncGenerator[C, None]:
        """``limit`` items from ``offset`` (all after it when ``None``), page after page."""
        taken = 0
        while limit is None or taken < limit:
            size = page_size if limit is None else min(page_size, limit - taken)
            page = await self.page(offset=offset + taken, limit=size)
            if page is None:
                return
            got = len(self.items(page))
            yield page
            taken += got
            if not got or offset + taken >= getattr(page, "total_entries", 0):
                return

    async def all(self) -> list[Any] | None:
        """Every item (``None`` if :attr:`missing`): the first page, then the others concurrently
        (the client's fan-out)."""
        first = await self.page(offset=0, limit=PAGE)
        if first is None:
            return None
        items = list(self.items(first))
        total = getattr(first, "total_entries", 0)
        step = len(items)
        if not step or step >= total:
            return items
        offsets = range(step, total, step)
        self.client.affordable(len(offsets))

        pages = await self.client.gather([partial(self.page, offset=o, limit=step) for o in offsets])
        for page in pages:
            if page is not None:
                items.extend(self.items(page))
        return items

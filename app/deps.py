"""Request-scoped dependencies: the unit of work (connection, repositories, settings, clock), dates
and JSON bodies."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import Annotated, Any

from fastapi import Depends, Path, Request

from app.config import Settings
from app.dates import parse_date
from app.db.engine import PoolGate
from app.db.repositories.base import RawConnection
from app.db.repositories.dag_runs import DagRunRepository
from app.db.repositories.dags import DagRepository
from app.db.repositories.lineage import LineageRepository
from app.db.repositories.pools import PoolRepository
from app.db.repositories.tasks import TaskRepository
from app.errors import BadRequest
from app.json import MAX_DEPTH, loads, too_deep


class UnitOfWork:
    """What an endpoint works with: the request's connection, the repositories over it (built on
    first use), the settings and the clock.

    Entered by the endpoint itself, ``async with reading(request) as db`` or ``async with
    writing(request) as db``, so the transaction's extent is in plain sight and a write commits
    when the block ends, before the endpoint returns its response: a client never sees a 200 for
    a write that then fails to commit. Any exception rolls the whole request back.

    An explicit context manager rather than a FastAPI dependency with ``yield``: the dependency
    machinery (exit stacks, a shielded cancel scope, the generator) cost about 100 us a request,
    more than the database round trip of a lookup (measured in-process; docs/performance.md).
    """

    def __init__(self, request: Request, *, write: bool) -> None:
        state = request.app.state
        self._write = write
        self._state = state
        self._context: Any = None
        self.conn: Any = None
        self.settings: Settings = state.settings
        self.clock: Callable[[], datetime] = state.clock

    async def __aenter__(self) -> UnitOfWork:
        state = self._state
        gate: PoolGate = state.pool_gate
        await gate.enter()  # connections in arrival order (app/db/engine.py)
        try:
            if self._write:
                self._context = state.engine.begin()
                self.conn = await self._context.__aenter__()
            elif state.raw_reads:
                # Postgres, not through PgBouncer: a pooled asyncpg connection, statements in autocommit.
                self.conn = await RawConnection.checkout(state.engine)
            else:
                # Autocommit too: no BEGIN and COMMIT round trips around a read.
                self._context = state.read_engine.connect()
                self.conn = await self._context.__aenter__()
        except BaseException:
            gate.leave()
            raise
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if self._context is not None:
                await self._context.__aexit__(exc_type, exc, tb)
            else:
                await self.conn.release()
        finally:
            self._state.pool_gate.leave()

    def date(self, value: str) -> datetime:
        """A path or query date (api.md section 2); call it before any lookup: a bad date is 400 first."""
        return parse_date(value, default_tz=self.settings.tz)

    @cached_property
    def runs(self) -> DagRunRepository:
        return DagRunRepository(self.conn)

    @cached_property
    def dags(self) -> DagRepository:
        return DagRepository(self.conn)

    @cached_property
    def tasks(self) -> TaskRepository:
        return TaskRepository(self.conn)

    @cached_property
    def pools(self) -> PoolRepository:
        return PoolRepository(self.conn)

    @cached_property
    def lineage(self) -> LineageRepository:
        return LineageRepository(self.conn)


def reading(request: Request) -> UnitOfWork:
    """The unit of work of a request that only reads: no transaction, a connection from the pool."""
    return UnitOfWork(request, write=False)


def writing(request: Request) -> UnitOfWork:
    """The unit of work of a request that writes: one transaction, committed when the block ends."""
    return UnitOfWork(request, write=True)


# Documented as RFC 3339 (what clients should send); api.md section 2's other ISO 8601 forms (a space
# for `T`, date only, basic form, naive values) are accepted too. Documentation only: parse_date decides.
DATE_PARAM_SCHEMA = {"format": "date-time"}
DATE_PARAM_DESCRIPTION = (
    "An RFC 3339 date-time such as `2016-11-16T11:34:15+00:00`; other ISO 8601 forms (space for `T`, "
    "date only, basic form, no offset: DAGPORT_DEFAULT_TIMEZONE) are read too. Anything else is 400."
)


DatePath = Annotated[str, Path(description=DATE_PARAM_DESCRIPTION, json_schema_extra=DATE_PARAM_SCHEMA)]


async def single_valued_query(request: Request) -> None:
    """Every query parameter of these routes takes one value: `?paused=true&paused=false` is
    ambiguous (FastAPI would silently keep the last), so a repeated one is 400."""
    params = request.query_params
    repeated = sorted({key for key in params if len(params.getlist(key)) > 1})
    if repeated:
        detail = [
            {"loc": f"query.{key}", "msg": f"Expected one value, got {params.getlist(key)!r}"}
            for key in repeated
        ]
        raise BadRequest(f"Invalid value for query.{repeated[0]}: given more than once", detail=detail)


SingleValuedQuery = Depends(single_valued_query)


# A `\u0000` escape in JSON text: its backslash is preceded by an even number of backslashes (an
# escaped backslash, `\\u0000`, is the text `\u0000`, not a NUL).
_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def reject_nul(raw: bytes) -> None:
    """Text columns cannot hold NUL on Postgres: refuse it up front, the same way on both databases."""
    if b"\x00" in raw or (b"\\u0000" in raw and _ESCAPED_NUL.search(raw)):
        raise BadRequest("Request body contains a NUL character (\\u0000), which cannot be stored")


async def read_json_object(request: Request, *, empty: Any = None) -> dict[str, Any]:
    """The body as a JSON object, whatever the Content-Type (Airflow reads it that way too).

    ``empty`` is what an empty body means (``{}`` on the trigger endpoint); ``None``: it is invalid.
    """
    raw = await request.body()
    reject_nul(raw)
    if not raw.strip():
        if empty is not None:
            return dict(empty)
        raise BadRequest("Request body is not valid JSON")
    try:
        body = loads(raw)
    except ValueError:
        raise BadRequest("Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("Request body must be a JSON object")
    if too_deep(body):
        raise BadRequest(f"Request body is nested more than {MAX_DEPTH} levels deep")
    return body

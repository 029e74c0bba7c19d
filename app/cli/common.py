"""What every ``dagport`` command shares: its settings, its engine, and how it reports a problem.

A problem the user can act on is one line on stderr (``dagport: ...``) and exit status 1, never a
traceback: a :class:`CliError`, a refused start-up (:class:`app.startup.StartupError`), or a
database the command cannot use (:func:`app.db.failures.database_advice`).
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from pydantic import ValidationError

from app.config import Settings
from app.db.engine import Engine, display_url, short_lived_engine
from app.db.failures import database_advice
from app.startup import StartupError

Command = Callable[[Settings], Coroutine[Any, Any, int]]


def read_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(_config_problem(e) for e in exc.errors())
        raise SystemExit(f"dagport: bad configuration: {problems}") from None


def _config_problem(error: Any) -> str:
    message = str(error["ctx"]["error"]) if error["type"] == "value_error" else error["msg"]
    if not error["loc"]:
        return message
    return f"DAGPORT_{'_'.join(map(str, error['loc'])).upper()}: {message}"


class CliError(Exception):
    """A problem the user can act on: its message is printed as one line, exit status 1."""


def stderr_line(line: str) -> None:
    print(f"dagport: {line}", file=sys.stderr, flush=True)


def announce_database(settings: Settings, report: Callable[[str], None] = stderr_line) -> None:
    report(f"database {display_url(settings.database_url)}")


def guarded(
    settings: Settings, command: Callable[[], int], report: Callable[[str], None] = stderr_line
) -> int:
    """Run ``command``; a :class:`CliError`, a refused start-up or a database problem is one
    ``report``ed line, exit 1."""
    try:
        return command()
    except (CliError, StartupError) as exc:
        problem: str | None = str(exc)
    except Exception as exc:
        problem = database_advice(exc, settings)
        if problem is None:
            raise
    report(problem or "")
    return 1


async def with_engine(settings: Settings, work: Callable[[Engine], Awaitable[int]]) -> int:
    """``work``'s exit status, on an engine of the command's own (app/db/engine.py)."""
    async with short_lived_engine(settings) as engine:
        return await work(engine)

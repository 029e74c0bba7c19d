"""What a server does before it serves (docs/deployment.md, "Serving"): :func:`prepare`.

In order: migrate when ``DAGPORT_AUTO_MIGRATE`` (under Postgres's advisory lock:
app/db/migrate.py), else refuse a database that is not at the newest revision; in front of
Airflow, check it can be served; load ``DAGPORT_LOAD_EXAMPLES`` and ``DAGPORT_DAGS_FOLDER`` (a bad
file is one line, the rest load); create a first token when none exists.

Who runs it:

- ``dagport serve`` runs it once, in its own process, before uvicorn starts the workers, then
  hands uvicorn ``app.main:prepared_app``, whose workers do not run it again.
- An app started any other way (``uvicorn app.main:serve_app --factory``, a process manager)
  runs it in its lifespan before it accepts a request (:func:`prepare_worker`), so it never
  serves an unmigrated database: a preparation that fails stops the start-up with one line in the
  log (the same line the CLI prints) and uvicorn exits. With several uvicorn workers each one
  prepares: the advisory lock has one of them migrate, each upserts the same definitions, and
  only one creates the first token (its name is unique).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from app.config import Settings
from app.dag_loader import definition_files, example_files, load_files
from app.dates import utcnow
from app.db import migrate
from app.db.backend import SqlBackend
from app.db.engine import Engine, display_url, short_lived_engine
from app.db.failures import database_advice
from app.db.tokens import create_token, has_tokens
from app.definitions.decoding import DefinitionLimits

log = logging.getLogger("dagport")


class StartupError(Exception):
    """A problem the operator can act on: its message is one line."""


async def ensure_schema(engine: Engine, settings: Settings) -> None:
    """Every command that needs the tables: migrate when DAGPORT_AUTO_MIGRATE (as ``serve`` does),
    else refuse a database that is not at the newest revision."""
    if settings.auto_migrate:
        await migrate.upgrade(engine)
        return
    current, head = await migrate.revision_of(engine), migrate.head_revision()
    if current != head:
        state = "not migrated" if current is None else f"at revision {current}, not {head}"
        raise StartupError(f"the database is {state}: run `dagport db upgrade` (DAGPORT_AUTO_MIGRATE is off)")


async def check_airflow(settings: Settings, engine: Engine) -> str | None:
    """Why dagport cannot serve in front of ``DAGPORT_AIRFLOW_URL`` (one line), or None."""
    from app.airflow.backend import AirflowBackend, AirflowUnusable  # the gateway: only in front of Airflow

    backend = AirflowBackend(settings, engine, None)
    try:
        version = await backend.check()
    except AirflowUnusable as exc:
        return str(exc)
    finally:
        await backend.aclose()
    log.info("in front of Airflow %s at %s", version, backend.where)
    return None


def announce_initial_token(settings: Settings, token: str) -> None:
    """On a terminal, print the first-run token. Anywhere else (a container's or a service
    manager's log) write it to DAGPORT_INITIAL_TOKEN_FILE, readable by its owner only, and print
    only that file's path: logs are kept, copied and shown to more people than the token should be."""
    intro = "No API token existed, so one was created (name 'initial')."
    # flush: the line must reach a log file at once, not when the server exits
    if sys.stdout.isatty():
        url = f"http://{settings.host}:{settings.port}/api/experimental/test"
        print(
            f"{intro} It is shown once:\n\n    {token}\n\n    curl -H 'Authorization: Bearer {token}' {url}\n",
            flush=True,
        )
        return
    path = settings.initial_token_file.absolute()
    try:
        write_private(path, token + "\n")
    except OSError as exc:
        raise SystemExit(
            f"dagport: cannot write the first API token to {path} ({exc.strerror}): set "
            "DAGPORT_INITIAL_TOKEN_FILE to a writable path, or create one with `dagport tokens create NAME`"
        ) from None
    print(
        f"{intro} stdout is not a terminal, so it was written to {path} (mode 0600) rather than shown: "
        "read it, store it elsewhere, then delete the file.",
        flush=True,
    )


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, which is left readable and writable by its owner only (also when
    it existed before); a symlink at ``path`` is refused rather than followed."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode())
    finally:
        os.close(fd)


async def prepare(settings: Settings) -> int:
    """Everything a server does once before it serves: migrate, load DAGs, ensure a token (0).

    Raises :class:`StartupError` (one line), ``SystemExit`` when the first token cannot be
    written, or the database's own exception (which :func:`app.db.failures.database_advice` reads)."""
    async with short_lived_engine(settings) as engine:
        await ensure_schema(engine, settings)
        if settings.fronts_airflow:
            problem = await check_airflow(settings, engine)
            if problem is not None:
                raise StartupError(problem)
        files: list[Path] = []
        if settings.load_examples:
            files += example_files()
        if settings.dags_folder is not None:
            files += definition_files([settings.dags_folder])
        if files and settings.fronts_airflow:
            print(
                "dagport: DAGPORT_DAGS_FOLDER and DAGPORT_LOAD_EXAMPLES are ignored in front of Airflow "
                "(its DAG bundle holds the DAGs)",
                file=sys.stderr,
            )
        elif files:
            await load_files(
                SqlBackend(engine, settings),
                files,
                now=utcnow,
                default_tz=settings.tz,
                limits=DefinitionLimits.of(settings),
            )
        if settings.auth_backend == "token" and not settings.env_tokens and not settings.airflow_passthrough:
            if not await has_tokens(engine):
                await create_token(engine, "initial", lambda token: announce_initial_token(settings, token))
        return 0


async def prepare_worker(settings: Settings) -> None:
    """:func:`prepare` in the lifespan of an app not started by ``dagport serve``.

    The database is named in the log first, as ``dagport serve`` names it; a failure is logged as
    the one line ``dagport serve`` would print and raised as :class:`StartupError`, which stops
    the start-up (a bug keeps its own exception and traceback)."""
    log.info("database %s", display_url(settings.database_url))
    try:
        await prepare(settings)
    except StartupError as exc:
        log.error("%s", exc)
        raise
    except SystemExit as exc:  # the first token could not be written
        problem = str(exc.code).removeprefix("dagport: ")
        log.error("%s", problem)
        raise StartupError(problem) from None
    except Exception as exc:
        advice = database_advice(exc, settings)
        if advice is None:
            raise
        log.error("%s", advice)
        raise StartupError(advice) from None

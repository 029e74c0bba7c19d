"""The ``dagport`` command: serve, db upgrade, dags load, tokens create|list|revoke."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.auth import hash_token, new_token
from app.config import Settings
from app.dag_loader import definition_files, example_files, load_files
from app.dates import utcnow
from app.db import migrate
from app.db.backend import SqlBackend
from app.db.engine import create_engine
from app.db.repositories.tokens import TokenRepository
from app.schemas.definition_text import DefinitionLimits


def _settings() -> Settings:
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


def _run(coro_fn: Callable[[Settings], Awaitable[int]]) -> int:
    return asyncio.run(coro_fn(_settings()))


async def _with_engine(settings: Settings, work: Callable[[Any], Awaitable[int]]) -> int:
    engine = create_engine(settings, null_pool=not settings.is_sqlite)
    try:
        return await work(engine)
    finally:
        await engine.dispose()


# -- db ------------------------------------------------------------------------------------------


async def db_upgrade(settings: Settings) -> int:
    async def work(engine: Any) -> int:
        before = await migrate.revision_of(engine)
        await migrate.upgrade(engine)
        after = await migrate.revision_of(engine)
        print(f"database at revision {after}" + ("" if before == after else f" (was {before or 'empty'})"))
        return 0

    return await _with_engine(settings, work)


async def db_current(settings: Settings) -> int:
    async def work(engine: Any) -> int:
        current = await migrate.revision_of(engine)
        head = migrate.head_revision()
        print(f"current: {current or 'empty'}; head: {head}")
        return 0 if current == head else 1

    return await _with_engine(settings, work)


# -- dags ----------------------------------------------------------------------------------------


def dags_load(paths: list[str]) -> Callable[[Settings], Awaitable[int]]:
    async def run(settings: Settings) -> int:
        if settings.fronts_airflow:
            print(
                "dagport: `dags load` fills dagport's own store; with DAGPORT_BACKEND=airflow the DAGs are "
                "Python files in Airflow's DAG bundle",
                file=sys.stderr,
            )
            return 2
        files = definition_files(Path(p) for p in paths)
        missing = [f for f in files if not f.exists()]
        if missing:
            print(f"dagport: no such file: {', '.join(map(str, missing))}", file=sys.stderr)
            return 2

        async def work(engine: Any) -> int:
            if settings.auto_migrate:
                await migrate.upgrade(engine)
            failures = await load_files(
                SqlBackend(engine, settings),
                files,
                now=utcnow,
                default_tz=settings.tz,
                limits=DefinitionLimits.of(settings),
            )
            print(f"{len(files) - failures} loaded, {failures} failed")
            return 1 if failures else 0

        return await _with_engine(settings, work)

    return run


# -- tokens --------------------------------------------------------------------------------------


async def create_token(engine: Any, name: str, deliver: Callable[[str], None] | None = None) -> str | None:
    """A new token named ``name``, or None if the name is taken. ``deliver`` is called with the
    token before the transaction commits: if it raises, no token is stored."""
    token = new_token()
    async with engine.begin() as conn:
        created = await TokenRepository(conn).create(name=name, token_hash=hash_token(token), now=utcnow())
        if created and deliver is not None:
            deliver(token)
    return token if created else None


def tokens_create(name: str) -> Callable[[Settings], Awaitable[int]]:
    async def run(settings: Settings) -> int:
        async def work(engine: Any) -> int:
            token = await create_token(engine, name)
            if token is None:
                print(f"dagport: a token named {name!r} exists already", file=sys.stderr)
                return 1
            print(f"Created token {name!r}. It is shown once; store it now:\n{token}")
            return 0

        return await _with_engine(settings, work)

    return run


async def tokens_list(settings: Settings) -> int:
    async def work(engine: Any) -> int:
        async with engine.connect() as conn:
            rows = await TokenRepository(conn).list()
        for row in rows:
            print(f"{row.name}\tcreated {row.created_at.isoformat()}")
        if settings.env_tokens:
            print(f"(+{len(settings.env_tokens)} from DAGPORT_API_TOKENS)")
        return 0

    return await _with_engine(settings, work)


def tokens_revoke(name: str) -> Callable[[Settings], Awaitable[int]]:
    async def run(settings: Settings) -> int:
        async def work(engine: Any) -> int:
            async with engine.begin() as conn:
                revoked = await TokenRepository(conn).revoke(name=name)
            if not revoked:
                print(f"dagport: no token named {name!r}", file=sys.stderr)
                return 1
            print(
                f"Revoked token {name!r} (servers stop accepting it within {settings.token_cache_seconds:g} s)"
            )
            return 0

        return await _with_engine(settings, work)

    return run


# -- serve ---------------------------------------------------------------------------------------


async def check_airflow(settings: Settings, engine: Any) -> str | None:
    """Why dagport cannot serve in front of ``DAGPORT_AIRFLOW_URL`` (one line), or None."""
    from app.airflow.backend import AirflowBackend, AirflowUnusable

    backend = AirflowBackend(settings, engine, None)
    try:
        version = await backend.check()
    except AirflowUnusable as exc:
        return str(exc)
    finally:
        await backend.aclose()
    print(f"dagport: in front of Airflow {version} at {settings.airflow_url}", file=sys.stderr, flush=True)
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
    """Everything `serve` does once before the workers start: migrate, load DAGs, ensure a token."""

    async def work(engine: Any) -> int:
        if settings.auto_migrate:
            await migrate.upgrade(engine)
        if settings.fronts_airflow:
            problem = await check_airflow(settings, engine)
            if problem is not None:
                print(f"dagport: {problem}", file=sys.stderr, flush=True)
                return 1
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
            async with engine.connect() as conn:
                has_tokens = await TokenRepository(conn).count() > 0
            if not has_tokens:
                await create_token(engine, "initial", lambda token: announce_initial_token(settings, token))
        return 0

    return await _with_engine(settings, work)


def serve(settings: Settings) -> int:
    import uvicorn

    from app.observability import configure_logging
    from app.server import uvicorn_options

    configure_logging(settings.log_level, settings.log_format)
    if asyncio.run(prepare(settings)) != 0:
        return 1
    uvicorn.run("app.main:serve_app", factory=True, **uvicorn_options(settings))
    return 0


# -- argument parsing ----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dagport", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("serve", help="migrate (DAGPORT_AUTO_MIGRATE), load DAGs, then serve the API")

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="migrate the database to the newest schema")
    db.add_parser("current", help="show the schema revision (exit 1 if not the newest)")

    dags = sub.add_parser("dags", help="DAG definitions").add_subparsers(dest="dags_command", required=True)
    load = dags.add_parser("load", help="create or replace DAGs from .json/.yaml files or folders")
    load.add_argument("paths", nargs="+", metavar="PATH")

    tokens = sub.add_parser("tokens", help="API tokens").add_subparsers(dest="tokens_command", required=True)
    create = tokens.add_parser("create", help="create a token and print it once")
    create.add_argument("name")
    tokens.add_parser("list", help="list token names")
    revoke = tokens.add_parser("revoke", help="revoke a token")
    revoke.add_argument("name")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(_settings())
    if args.command == "db":
        return _run(db_upgrade if args.db_command == "upgrade" else db_current)
    if args.command == "dags":
        return _run(dags_load(args.paths))
    if args.tokens_command == "create":
        return _run(tokens_create(args.name))
    if args.tokens_command == "list":
        return _run(tokens_list)
    return _run(tokens_revoke(args.name))


if __name__ == "__main__":
    sys.exit(main())

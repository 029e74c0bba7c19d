"""The ``dagport`` command: serve, db upgrade|current, dags load, tokens create|list|revoke.

Every command first names its database on stderr (stdout stays the command's output), and a
database it cannot use is one line of advice on stderr, exit status 1, never a traceback
(:func:`app.db.failures.database_advice`).
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import make_url

from app.config import Settings
from app.dag_loader import definition_files, example_files, load_files
from app.dates import utcnow
from app.db import migrate
from app.db.backend import SqlBackend
from app.db.engine import create_engine
from app.db.failures import database_advice
from app.db.tokens import create_token, has_tokens, list_tokens, revoke_token
from app.definitions.decoding import DefinitionLimits
from app.observability import configure_logging, multiprocess_directory

log = logging.getLogger("dagport")


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


class CliError(Exception):
    """A problem the user can act on: its message is printed as one line, exit status 1."""


def _stderr(line: str) -> None:
    print(f"dagport: {line}", file=sys.stderr, flush=True)


def display_url(database_url: str) -> str:
    """The database URL as a user writes it, password masked; a SQLite file also as an absolute path."""
    url = make_url(database_url)
    shown = url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database)
        if not path.is_absolute():
            shown += f" ({path.resolve()})"
    return shown


def announce_database(settings: Settings, report: Callable[[str], None] = _stderr) -> None:
    report(f"database {display_url(settings.database_url)}")


def _guarded(settings: Settings, command: Callable[[], int], report: Callable[[str], None] = _stderr) -> int:
    """Run ``command``; a :class:`CliError` or a database problem is one ``report``ed line, exit 1."""
    try:
        return command()
    except CliError as exc:
        problem: str | None = str(exc)
    except Exception as exc:
        problem = database_advice(exc, settings)
        if problem is None:
            raise
    report(problem or "")
    return 1


async def ensure_schema(engine: Any, settings: Settings) -> None:
    """Every command that needs the tables: migrate when DAGPORT_AUTO_MIGRATE (as ``serve`` does),
    else refuse a database that is not at the newest revision."""
    if settings.auto_migrate:
        await migrate.upgrade(engine)
        return
    current, head = await migrate.revision_of(engine), migrate.head_revision()
    if current != head:
        state = "not migrated" if current is None else f"at revision {current}, not {head}"
        raise CliError(f"the database is {state}: run `dagport db upgrade` (DAGPORT_AUTO_MIGRATE is off)")


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
            await ensure_schema(engine, settings)
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


def tokens_create(name: str) -> Callable[[Settings], Awaitable[int]]:
    async def run(settings: Settings) -> int:
        async def work(engine: Any) -> int:
            await ensure_schema(engine, settings)
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
        await ensure_schema(engine, settings)
        rows = await list_tokens(engine)
        if not rows:
            print("dagport: no tokens stored; create one with `dagport tokens create NAME`", file=sys.stderr)
        for row in rows:
            print(f"{row.name}\tcreated {row.created_at.isoformat()}")
        if settings.env_tokens:
            print(f"(+{len(settings.env_tokens)} from DAGPORT_API_TOKENS)")
        return 0

    return await _with_engine(settings, work)


def tokens_revoke(name: str) -> Callable[[Settings], Awaitable[int]]:
    async def run(settings: Settings) -> int:
        async def work(engine: Any) -> int:
            await ensure_schema(engine, settings)
            revoked = await revoke_token(engine, name)
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
    """Everything `serve` does once before the workers start: migrate, load DAGs, ensure a token."""

    async def work(engine: Any) -> int:
        await ensure_schema(engine, settings)
        if settings.fronts_airflow:
            problem = await check_airflow(settings, engine)
            if problem is not None:
                raise CliError(problem)
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

    return await _with_engine(settings, work)


def check_port(settings: Settings) -> None:
    """Fail before migrating and loading when the server could not listen on HOST:PORT."""
    host, port = settings.host, settings.port
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise CliError(f"cannot listen on DAGPORT_HOST={host!r}: {exc.strerror}") from None
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CliError(
                    f"{host}:{port} is already in use (another dagport or another program): "
                    "stop it, or set DAGPORT_PORT"
                ) from None
            raise CliError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


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

DESCRIPTION = """\
dagport serves Apache Airflow's experimental REST API (/api/experimental) from a database of its
own: Postgres, or a SQLite file when nothing is configured.

Every command is configured by DAGPORT_* environment variables (the main ones: dagport serve
--help) and first prints, on stderr, which database it uses."""

# The settings `serve --help` lists: (field of Settings, what it is). The rest: README, Configuration.
SERVE_SETTINGS = (
    ("database_url", "postgresql://user:password@host:5432/db, or sqlite:///path"),
    ("host", "address to listen on"),
    ("port", "port to listen on"),
    ("workers", "server processes (Postgres only above 1)"),
    ("auth_backend", "token, or none (no authentication)"),
    ("api_tokens", "comma-separated tokens accepted besides the stored ones"),
    ("dags_folder", ".json/.yaml definitions loaded at start-up"),
    ("load_examples", "load the example DAGs at start-up"),
    ("auto_migrate", "migrate the database at start-up"),
    ("db_pool_size", "database connections per worker"),
    ("db_pooler", "pgbouncer: Postgres through PgBouncer's transaction pooling"),
    ("root_path", "path prefix when served behind a proxy"),
    ("log_level", "DEBUG, INFO, WARNING, ..."),
    ("log_format", "json, or console"),
)


def _package_version() -> str:
    try:
        return version("dagport")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _serve_epilog() -> str:
    rows = []
    for name, what in SERVE_SETTINGS:
        default = Settings.model_fields[name].default
        if name == "database_url":
            default = display_url(default).split(" (")[0]
        shown = (
            "unset"
            if default in (None, "")
            else str(default).lower()
            if isinstance(default, bool)
            else default
        )
        rows.append(f"  {'DAGPORT_' + name.upper():<24} {what} [{shown}]")
    return (
        "settings (environment variables) [default]:\n"
        + "\n".join(rows)
        + "\n\nEvery DAGPORT_* setting: README.md, section Configuration."
    )


def build_parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="dagport", description=DESCRIPTION, formatter_class=raw)
    parser.add_argument("--version", action="version", version=f"dagport {_package_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(parent: Any, name: str, text: str, **kwargs: Any) -> argparse.ArgumentParser:
        return parent.add_parser(name, help=text, description=text, formatter_class=raw, **kwargs)

    command(
        sub,
        "serve",
        "migrate (DAGPORT_AUTO_MIGRATE), load DAGs, create a first token if none exists, then serve the API",
        epilog=_serve_epilog(),
    )

    db = command(sub, "db", "database schema").add_subparsers(dest="db_command", required=True)
    command(db, "upgrade", "migrate the database to the newest schema")
    command(db, "current", "show the schema revision (exit 1 if not the newest)")

    dags = command(sub, "dags", "DAG definitions").add_subparsers(dest="dags_command", required=True)
    load = command(dags, "load", "create or replace DAGs from .json/.yaml files or folders")
    load.add_argument("paths", nargs="+", metavar="PATH")

    tokens = command(sub, "tokens", "API tokens").add_subparsers(dest="tokens_command", required=True)
    create = command(tokens, "create", "create a token and print it once")
    create.add_argument("name")
    command(tokens, "list", "list token names")
    revoke = command(tokens, "revoke", "revoke a token")
    revoke.add_argument("name")
    return parser


def _command(args: argparse.Namespace) -> Callable[[Settings], Awaitable[int]]:
    if args.command == "db":
        return db_upgrade if args.db_command == "upgrade" else db_current
    if args.command == "dags":
        return dags_load(args.paths)
    if args.tokens_command == "create":
        return tokens_create(args.name)
    if args.tokens_command == "list":
        return tokens_list
    return tokens_revoke(args.name)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = _settings()
    if args.command == "serve":
        # serve's stderr is its log (JSON lines by default): the database and a refusal are records
        configure_logging(settings.log_level, settings.log_format)
        announce_database(settings, log.info)

        def serving() -> int:
            check_port(settings)  # before migrating and loading
            with multiprocess_directory(settings.workers):  # /metrics sums the workers
                return serve(settings)

        return _guarded(settings, serving, log.error)
    announce_database(settings)
    work = _command(args)
    return _guarded(settings, lambda: asyncio.run(work(settings)))


if __name__ == "__main__":
    sys.exit(main())

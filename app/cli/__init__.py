"""The ``dagport`` command: serve, db upgrade|current, dags load, tokens create|list|revoke.

Every command first names its database on stderr (stdout stays the command's output), and a
database it cannot use is one line of advice on stderr, exit status 1, never a traceback
(app/cli/common.py). This module is the command line (its parser, and which module runs each
command); ``serve.py``, ``db.py``, ``dags.py`` and ``tokens.py`` hold the commands.
"""

from __future__ import annotations

import argparse
import asyncio
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from app.cli.common import Command, announce_database, guarded, read_settings
from app.cli.dags import dags_load
from app.cli.db import db_current, db_upgrade
from app.cli.serve import serve_command
from app.cli.tokens import tokens_create, tokens_list, tokens_revoke
from app.config import Settings
from app.db.engine import display_url

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
        parser: argparse.ArgumentParser = parent.add_parser(
            name, help=text, description=text, formatter_class=raw, **kwargs
        )
        return parser

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


def _command(args: argparse.Namespace) -> Command:
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
    settings = read_settings()
    if args.command == "serve":
        return serve_command(settings)
    announce_database(settings)
    work = _command(args)
    return guarded(settings, lambda: asyncio.run(work(settings)))

"""What a migrated database reports of its triggers and functions, and app/db/schema_sql.py written from it.

app/db/schema_sql.py holds the current definition of every trigger and function, per database:
what a database migrated to head reports (Postgres: ``pg_get_functiondef`` and ``pg_get_triggerdef``
of the functions and triggers of the public schema; SQLite: ``sqlite_master``'s triggers), laid out
for reading. The layout changes whitespace only: tests/test_schema_sql.py migrates a new database of
each kind and checks the module against what it reports, whitespace outside quotes aside. After
changing a trigger or function in a migration, rewrite the module's definitions with::

    .venv/bin/python -m tests.schema_snapshot

(the server in DAGPORT_TEST_POSTGRES_URL, else a private cluster of its own: tests/postgres.py), then
review the diff. ``DAGPORT_UPDATE_SNAPSHOT=1`` makes the test write them too, as it does for the
other snapshots.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.config import Settings
from app.db import migrate, schema_sql
from app.db.engine import create_engine
from tests import postgres

DIALECTS = ("postgresql", "sqlite")
MODULE = Path(schema_sql.__file__)
CONSTANTS = {"postgresql": "POSTGRESQL", "sqlite": "SQLITE"}
REGENERATE = ".venv/bin/python -m tests.schema_snapshot"


def committed(dialect: str) -> str:
    """The module's definitions for ``dialect``, as committed."""
    return getattr(schema_sql, CONSTANTS[dialect])


# The public schema's own functions (not an extension's) and the triggers on its tables (not the
# internal ones that enforce foreign keys).
_POSTGRES_FUNCTIONS = """
SELECT p.oid, p.proname, pg_get_functiondef(p.oid) FROM pg_proc p
WHERE p.pronamespace = 'public'::regnamespace AND p.prokind IN ('f', 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                  AND d.deptype = 'e')
ORDER BY p.proname, p.oid
"""
_POSTGRES_TRIGGERS = """
SELECT t.tgname, c.relname, t.tgfoid, pg_get_triggerdef(t.oid, true) FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal
ORDER BY c.relname, t.tgname
"""
# The generated columns whose expression calls a function (Postgres records that dependency).
_POSTGRES_FUNCTION_USERS = """
SELECT d.refobjid, c.relname || '.' || a.attname FROM pg_depend d
JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid
JOIN pg_class c ON c.oid = ad.adrelid
JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
WHERE d.refclassid = 'pg_proc'::regclass
ORDER BY 2
"""
_SQLITE_TRIGGERS = (
    "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY tbl_name, name"
)

# Comments, quoted literals and identifiers, whitespace runs, words, then ; and - on their own.
_TOKEN = re.compile(r"--[^\n]*|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\s+|[^\s'\";-]+|[;-]", re.S)


def _tokens(sql: str) -> list[str]:
    return _TOKEN.findall(sql)


def normalised(sql: str) -> str:
    """``sql`` with every run of whitespace outside quotes as one space: what the check compares.

    Whitespace inside a quoted literal is kept (it is data), and so is where whitespace is or is
    not: ``(SELECT`` and ``( SELECT`` differ."""
    return "".join(" " if token.isspace() else token for token in _tokens(sql.strip()))


def _statements(body: str) -> list[str]:
    """``body`` split at its semicolons outside quotes, each part stripped."""
    parts, current = [], []
    for token in _tokens(body):
        if token == ";":
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(token)
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def _block(statements: list[str]) -> str:
    """BEGIN, each statement on lines of its own indented by four spaces, END."""
    indented = ["\n".join("    " + line for line in s.split("\n")) + ";" for s in statements]
    return "BEGIN\n" + "\n".join(indented) + "\nEND"


_BEGIN_END = re.compile(r"\s+BEGIN\s+(.*?);?\s*END\s*$", re.S)
_CLAUSE = re.compile(r" (?=(?:REFERENCING|FOR EACH|WHEN|EXECUTE FUNCTION)\b)")


def _layout_trigger(sql: str) -> str:
    """A trigger definition with each clause on a line of its own, a SQLite body as a block."""
    head, body = sql, None
    match = _BEGIN_END.search(sql)
    if match:
        head, body = sql[: match.start()], match.group(1)
    head = _CLAUSE.sub("\n    ", head.strip())
    return head if body is None else f"{head}\n{_block(_statements(body))}"


def _layout_function(sql: str) -> str:
    """A plpgsql function's ``BEGIN ...; END`` body as a block; other functions as reported."""
    match = re.search(r"(?P<open>AS (?P<tag>\$\w*\$))(?P<body>.*)(?P=tag)\s*$", sql, re.S)
    if not match or "LANGUAGE plpgsql" not in sql:
        return sql.strip()
    inner = re.fullmatch(r"\s*BEGIN\s+(.*?);?\s*END\s*", match.group("body"), re.S)
    if not inner:
        return sql.strip()
    block = _block(_statements(inner.group(1)))
    return f"{sql[: match.start()]}{match.group('open')}\n{block}\n{match.group('tag')}"


async def _postgres_sections(conn: AsyncConnection, pretty: bool) -> list[str]:
    functions = {oid: (name, sql) for oid, name, sql in await conn.execute(text(_POSTGRES_FUNCTIONS))}
    users: dict[int, list[str]] = {}
    for oid, column in await conn.execute(text(_POSTGRES_FUNCTION_USERS)):
        users.setdefault(oid, []).append(column)
    function = _layout_function if pretty else str.strip
    trigger = _layout_trigger if pretty else str.strip
    sections, shown = [], set()
    for name, table, function_oid, sql in await conn.execute(text(_POSTGRES_TRIGGERS)):
        parts = []
        if function_oid in functions and function_oid not in shown:
            shown.add(function_oid)
            parts.append(function(functions[function_oid][1]) + ";")
        parts.append(trigger(sql) + ";")
        sections.append(f"-- Trigger {name} on {table} (its function first)\n" + "\n\n".join(parts))
    for oid, (name, sql) in functions.items():
        if oid not in shown:
            used_by = f", used by {', '.join(users[oid])}" if oid in users else ""
            sections.append(f"-- Function {name}{used_by}\n{function(sql)};")
    return sections


async def _sqlite_sections(conn: AsyncConnection, pretty: bool) -> list[str]:
    trigger = _layout_trigger if pretty else str.strip
    return [
        f"-- Trigger {name} on {table}\n{trigger(sql)};"
        for name, table, sql in await conn.execute(text(_SQLITE_TRIGGERS))
    ]


async def render(engine: AsyncEngine, *, pretty: bool = True) -> str:
    """The snapshot of ``engine``'s database; ``pretty=False``: each definition exactly as reported."""
    dialect = engine.dialect.name
    async with engine.connect() as conn:
        if dialect == "postgresql":
            sections = await _postgres_sections(conn, pretty)
        else:
            sections = await _sqlite_sections(conn, pretty)
    return "\n".join(f"{section}\n" for section in sections)


@asynccontextmanager
async def migrated_database(dialect: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a new database of ``dialect`` migrated to head, dropped afterwards."""
    if dialect == "sqlite":
        with tempfile.TemporaryDirectory(prefix="dagport-schema-") as folder:
            engine = create_engine(Settings(database_url=f"sqlite+aiosqlite:///{Path(folder) / 'schema.db'}"))
            try:
                await migrate.upgrade(engine)
                yield engine
            finally:
                await engine.dispose()
        return
    name = await postgres.create_database()
    engine = create_engine(Settings(database_url=postgres.database_url(name)), null_pool=True)
    try:
        await migrate.upgrade(engine)
        yield engine
    finally:
        await engine.dispose()
        await postgres.drop_database(name)


def rewritten(definitions: dict[str, str]) -> str:
    """app/db/schema_sql.py with its constants set to ``definitions`` (its docstring kept)."""
    source = MODULE.read_text()
    for dialect, sql in definitions.items():
        name = CONSTANTS[dialect]
        source = re.sub(
            rf'^{name} = """\\\n.*?^"""\n',
            lambda _m, n=name, d=sql: f'{n} = """\\\n{d}"""\n',
            source,
            flags=re.S | re.M,
        )
    return source


async def write() -> None:
    definitions = {}
    for dialect in DIALECTS:
        async with migrated_database(dialect) as engine:
            definitions[dialect] = await render(engine)
    MODULE.write_text(rewritten(definitions))  # noqa: ASYNC240 (a command, once)
    print(f"wrote {MODULE}")


if __name__ == "__main__":
    with postgres.suite_postgres():
        asyncio.run(write())

"""Storing DAG definitions: the one path shared by PUT /dags/{dag_id}, `dagport dags load`,
DAGPORT_DAGS_FOLDER and DAGPORT_LOAD_EXAMPLES."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, tzinfo
from importlib import resources
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.db.repositories.dags import DagRepository, StoredDag
from app.json import MAX_DEPTH, too_deep
from app.schemas.dag_definition import DagDefinitionError, parse_dag_definition
from app.schemas.definition_text import load_definition_text

DEFINITION_SUFFIXES = (".json", ".yaml", ".yml")


async def store_definition(
    conn: AsyncConnection,
    *,
    text: str,
    filename: str,
    fileloc: str,
    now: datetime,
    default_tz: tzinfo,
    expected_dag_id: str | None = None,
) -> StoredDag:
    """Validate and upsert one definition; raises :class:`DagDefinitionError` listing every problem."""
    document = load_definition_text(text, filename=filename)
    if too_deep(document):
        raise DagDefinitionError(
            [{"loc": "", "msg": f"The definition is nested more than {MAX_DEPTH} levels deep"}]
        )
    spec = parse_dag_definition(document, default_tz=default_tz)
    if expected_dag_id is not None and spec.dag_id != expected_dag_id:
        raise DagDefinitionError(
            [
                {
                    "loc": "dag_id",
                    "msg": f"dag_id '{spec.dag_id}' does not match '{expected_dag_id}' in the path",
                }
            ]
        )
    return await DagRepository(conn).upsert(spec=spec, source_text=text, fileloc=fileloc, now=now)


def definition_files(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, plus every definition file inside the folders named, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.suffix in DEFINITION_SUFFIXES and p.is_file())
            )
        else:
            found.append(path)
    return found


def example_files() -> list[Path]:
    folder = resources.files("app") / "examples" / "dags"
    return definition_files([Path(str(folder))])


async def load_files(
    engine: AsyncEngine,
    files: Iterable[Path],
    *,
    now: Callable[[], datetime],
    default_tz: tzinfo,
    report: Callable[[str], None] = print,
) -> int:
    """Upsert each file in its own transaction; report progress; return the number of failures."""
    failures = 0
    files = list(files)
    for index, path in enumerate(files, start=1):
        prefix = f"[{index}/{len(files)}] {path}"
        try:
            text = path.read_text(encoding="utf-8")
            async with engine.begin() as conn:
                stored = await store_definition(
                    conn,
                    text=text,
                    filename=path.name,
                    fileloc=str(path.resolve()),
                    now=now(),
                    default_tz=default_tz,
                )
        except DagDefinitionError as exc:
            failures += 1
            problems = "; ".join(f"{p['loc'] or '(document)'}: {p['msg']}" for p in exc.problems)
            report(f"{prefix}: invalid: {problems}")
        except (OSError, UnicodeDecodeError) as exc:
            failures += 1
            report(f"{prefix}: cannot read: {exc}")
        else:
            verb = "created" if stored.created else "updated"
            report(f"{prefix}: {verb} {stored.row.dag_id} ({len(stored.task_ids)} tasks)")
    return failures

"""Loading definition files: `dagport dags load`, DAGPORT_DAGS_FOLDER and DAGPORT_LOAD_EXAMPLES."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, tzinfo
from importlib import resources
from pathlib import Path

from app.core.ports import Backend
from app.definitions.compiler import parse_definition
from app.definitions.decoding import DefinitionLimits
from app.definitions.spec import DagDefinitionError
from app.errors import DomainError

DEFINITION_SUFFIXES = (".json", ".yaml", ".yml")


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
    backend: Backend,
    files: Iterable[Path],
    *,
    now: Callable[[], datetime],
    default_tz: tzinfo,
    report: Callable[[str], None] = print,
    limits: DefinitionLimits = DefinitionLimits(),
) -> int:
    """Upsert each file in its own unit of work; report progress; return the number of failures.

    A file that cannot be read, validated or stored is reported in one line naming it and the
    problem, and the others are loaded: a bad file in DAGS_FOLDER does not stop the server starting
    (validation refuses what the database could not store, so storing fails only as DomainError)."""
    failures = 0
    files = list(files)
    for index, path in enumerate(files, start=1):
        prefix = f"[{index}/{len(files)}] {path}"
        try:
            text = path.read_text(encoding="utf-8")
            spec = parse_definition(text, filename=path.name, default_tz=default_tz, limits=limits)
            async with backend.writing() as store:
                stored = await store.dags.upsert(
                    definition=spec, source_text=text, fileloc=str(path.resolve()), now=now()
                )
        except DagDefinitionError as exc:
            failures += 1
            problems = "; ".join(f"{p['loc'] or '(document)'}: {p['msg']}" for p in exc.problems)
            report(f"{prefix}: invalid: {problems}")
        except (OSError, UnicodeDecodeError) as exc:
            failures += 1
            report(f"{prefix}: cannot read: {exc}")
        except DomainError as exc:
            failures += 1
            report(f"{prefix}: cannot store: {exc.message}")
        else:
            verb = "created" if stored.created else "updated"
            report(f"{prefix}: {verb} {stored.dag.dag_id} ({len(stored.dag.tasks)} tasks)")
    return failures

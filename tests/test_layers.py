"""The layers' import rules (docs/architecture.md), and no private names of the frameworks.

Read from the source with ``ast``: a module's imports, and every ``name._private`` attribute read
on a framework module or imported from one.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = ("fastapi", "starlette", "sqlalchemy", "pydantic", "pydantic_core", "pydantic_settings")

# package -> modules it may not import (prefix match on the dotted name)
FORBIDDEN = {
    "app/services": (
        "fastapi",
        "starlette",
        "sqlalchemy",
        "asyncpg",
        "app.routers",
        "app.db",
        "app.error_handlers",
        "app.middleware",
        "app.main",
        "app.schemas",
        "app.airflow",
        "app.gateway",
    ),
    "app/db": (
        "fastapi",
        "starlette",
        "app.routers",
        "app.schemas",
        "app.error_handlers",
        "app.middleware",
        "app.main",
        "app.services",
    ),
    "app/routers": ("sqlalchemy", "asyncpg", "app.db"),
    # In front of Airflow: a Backend over the gateway; of dagport's database only its id registry.
    "app/airflow": (
        "fastapi",
        "asyncpg",
        "httpx",
        "app.services",
        "app.routers",
        "app.error_handlers",
        "app.middleware",
        "app.main",
        "app.db.repositories.dag_runs",
        "app.db.repositories.dags",
        "app.db.repositories.pools",
        "app.db.repositories.task_instances",
        "app.db.repositories.listings",
        "app.db.repositories.tokens",
        "app.db.repositories.lineage",
        "app.db.backend",
        "app.db.reads",
    ),
    # The gateway to Airflow: the wire and what is read off it; nothing of dagport's API or database.
    "app/gateway": (
        "fastapi",
        "sqlalchemy",
        "asyncpg",
        "app.routers",
        "app.schemas",
        "app.services",
        "app.db",
        "app.airflow",
        "app.error_handlers",
        "app.middleware",
        "app.main",
    ),
    "app/schemas": ("sqlalchemy", "asyncpg", "app.db", "app.routers", "app.services"),
    # The DAG-definition compiler: pure code, text in and a DagSpec out, whoever calls it.
    "app/definitions": (
        "fastapi",
        "starlette",
        "sqlalchemy",
        "asyncpg",
        "httpx",
        "app.routers",
        "app.db",
        "app.services",
        "app.gateway",
        "app.airflow",
        "app.main",
    ),
}
# Exceptions to FORBIDDEN, by package (none today).
ALLOWED: dict[str, tuple[str, ...]] = {}
# Sub-packages a rule above does not cover: /api/v1's services and schemas, layered on their own
# (docs/api-v1.md), where a service renders with its schemas.
OUTSIDE: dict[str, tuple[str, ...]] = {
    "app/services": ("app/services/v1",),
    "app/schemas": ("app/schemas/v1",),
}


def modules(folder: str) -> list[Path]:
    outside = [ROOT / sub for sub in OUTSIDE.get(folder, ())]
    return sorted(p for p in (ROOT / folder).rglob("*.py") if not any(p.is_relative_to(o) for o in outside))


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_each_layer_imports_only_what_it_may(folder: str) -> None:
    allowed = ALLOWED.get(folder, ())
    offences = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in modules(folder)
        for name in sorted(imports(path))
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[folder])
        and not any(name == a or name.startswith(a + ".") for a in allowed)
    ]
    assert offences == []


def test_the_core_imports_nothing_of_app_but_itself_and_only_the_standard_library() -> None:
    """app/core is pure code: the contract's vocabulary, results, messages and planners."""
    offences = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in modules("app/core")
        for name in sorted(imports(path))
        if not (name == "app.core" or name.startswith("app.core."))
        and name.split(".")[0] not in sys.stdlib_module_names
        and name != "__future__"
    ]
    assert offences == []


# Only app/db speaks to the database's libraries; the rest of the app reaches it through app/db's
# functions and types (Engine, pool_figures, app/db/tokens.py). Tests, bench and reliability may.
DATABASE_LIBRARIES = ("sqlalchemy", "asyncpg")


def test_only_app_db_imports_the_database_libraries() -> None:
    offences = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in modules("app")
        if not path.is_relative_to(ROOT / "app" / "db")
        for name in sorted(imports(path))
        if name.split(".")[0] in DATABASE_LIBRARIES
    ]
    assert offences == []


def private_uses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases: set[str] = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in FRAMEWORKS:
                    if any(part.startswith("_") for part in alias.name.split(".")):
                        found.append(alias.name)
                    aliases.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in FRAMEWORKS:
            if any(part.startswith("_") for part in node.module.split(".")):
                found.append(node.module)
            for alias in node.names:
                if alias.name.startswith("_"):
                    found.append(f"{node.module}.{alias.name}")
                else:
                    aliases.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in aliases:
                found.append(f"{base.id}...{node.attr} (line {node.lineno})")
    return found


@pytest.mark.parametrize("folder", ["app", "tests", "bench"])
def test_no_private_names_of_the_frameworks(folder: str) -> None:
    offences = {str(p.relative_to(ROOT)): private_uses(p) for p in modules(folder)}
    assert {k: v for k, v in offences.items() if v} == {}

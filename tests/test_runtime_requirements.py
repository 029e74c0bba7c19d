"""Every third-party module the service imports is installed by the runtime lock.

The suite itself runs with requirements/dev.txt, which holds more than the image installs: a module
imported by app/ but locked only for development would pass every other test and fail the first
`dagport serve` from requirements/runtime.txt.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_top_level_modules() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"app", "__future__"}


def runtime_lock() -> set[str]:
    text = (ROOT / "requirements" / "runtime.txt").read_text(encoding="utf-8")
    return {m.group(1).lower().replace("_", "-") for m in re.finditer(r"^([A-Za-z0-9_.-]+)==", text, re.M)}


def test_every_module_app_imports_is_in_the_runtime_lock() -> None:
    distributions = packages_distributions()
    locked = runtime_lock()
    missing = {}
    for module in sorted(imported_top_level_modules()):
        names = {n.lower().replace("_", "-") for n in distributions.get(module, [module])}
        if not names & locked:
            missing[module] = sorted(names)
    assert missing == {}

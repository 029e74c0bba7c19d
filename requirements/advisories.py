"""The locked set (requirements/*.txt) against a security advisory database; exit 1 on any match.

    .venv/bin/python requirements/advisories.py            # CI (.ci/run)
    .venv/bin/python requirements/advisories.py FILE...    # other requirement files

The database is PyUp's ``safety-db`` package (pinned in requirements/dev.txt), the only advisory
database this project found installable from a registry that its machines and CI reach (PyPI,
Debian, npm). Its data is frozen: the last release is 2021.7.17, with advisories published up to
2021-07-01, so this check finds a pin to a version known vulnerable by then, and nothing newer.
Why nothing better: pip-audit's sources are OSV's API (not reachable from here) and PyPI's
per-release JSON (``/pypi/NAME/VERSION/json``, not served by the registry as reached from here;
``pip-audit -s pypi`` reports every package as "not found"); no PyPI, Debian or npm package ships
the PyPA or OSV advisory data. Where OSV is reachable, ``pip-audit -r requirements/dev.txt``
checks against current data.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

LOCK = sorted((Path(__file__).parent).glob("*.txt"))
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def pins(paths: list[Path]) -> dict[str, str]:
    """name (canonical) -> version, from ``name==version`` lines of requirement files."""
    found: dict[str, str] = {}
    for path in paths:
        for line in path.read_text().splitlines():
            match = _PIN.match(line)
            if match:
                found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def load_database() -> tuple[dict[str, list[dict[str, object]]], datetime]:
    """safety-db's full advisories by canonical name, and the date of its data. Read from the
    installed package's folder: its ``__init__`` cannot be imported (it opens a relative path)."""
    spec = importlib.util.find_spec("safety_db")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("advisories: safety-db is not installed (pip install -r requirements/dev.txt)")
    folder = Path(next(iter(spec.submodule_search_locations)))
    data = json.loads((folder / "insecure_full.json").read_text())
    meta = data.pop("$meta")
    published = datetime.fromtimestamp(meta["timestamp"], UTC)
    return {canonicalize_name(name): entries for name, entries in data.items()}, published


def matches(
    locked: dict[str, str], database: dict[str, list[dict[str, object]]]
) -> list[tuple[str, str, dict[str, object]]]:
    """(name, version, advisory) for every locked pin inside an advisory's vulnerable range."""
    found = []
    for name, version in sorted(locked.items()):
        for advisory in database.get(name, ()):
            for spec in advisory.get("specs", []):  # type: ignore[union-attr]
                try:
                    vulnerable = Version(version) in SpecifierSet(str(spec), prereleases=True)
                except InvalidSpecifier:
                    continue
                if vulnerable:
                    found.append((name, version, advisory))
                    break
    return found


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or LOCK
    locked = pins(paths)
    database, published = load_database()
    found = matches(locked, database)
    names = ", ".join(p.name for p in paths)
    print(
        f"advisories: {len(locked)} locked packages ({names}) against safety-db's advisories "
        f"up to {published:%Y-%m-%d} (frozen data: see requirements/advisories.py): {len(found)} found"
    )
    for name, version, advisory in found:
        print(f"  {name}=={version}: {advisory.get('id')} {advisory.get('cve') or ''} {advisory.get('v')}")
        print(f"    {str(advisory.get('advisory', '')).strip()[:300]}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Every ``type: ignore`` in the type-checked code names its error code and says why, on its line.

mypy (``[tool.mypy]`` in pyproject.toml, run by .ci/run) checks ``app/``; ``warn_unused_ignores``
there drops an ignore that is no longer needed. This test keeps the others explained:
``# type: ignore[code]  # why``. Comments are read with ``tokenize``, so a string that mentions
the words is not one.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IGNORE = re.compile(r"type:\s*ignore")
EXPLAINED = re.compile(r"#\s*type: ignore\[[a-z0-9-]+(, ?[a-z0-9-]+)*\]  # \S.*$")


def ignores(source: str) -> list[tuple[int, str]]:
    """(line, comment) of each comment that holds a ``type: ignore``."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [(t.start[0], t.string) for t in tokens if t.type == tokenize.COMMENT and IGNORE.search(t.string)]


def test_the_reading_tells_explained_ignores_from_bare_ones() -> None:
    source = (
        "a = 1  # type: ignore[assignment]  # the library's stub is wrong\n"
        "b = 2  # type: ignore\n"
        "c = 3  # type: ignore[assignment]\n"
        'd = "# type: ignore"\n'
    )
    found = ignores(source)
    assert [line for line, _ in found] == [1, 2, 3]
    assert [bool(EXPLAINED.fullmatch(comment)) for _, comment in found] == [True, False, False]


def test_every_type_ignore_in_app_names_its_code_and_reason() -> None:
    bare = [
        f"{path.relative_to(ROOT)}:{line}: {comment}"
        for path in sorted((ROOT / "app").rglob("*.py"))
        for line, comment in ignores(path.read_text(encoding="utf-8"))
        if not EXPLAINED.fullmatch(comment)
    ]
    assert not bare, "a type: ignore without its code and reason:\n" + "\n".join(bare)

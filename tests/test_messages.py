"""Every text the API answers with is worded in app/core/messages.py, and nowhere else.

Read from the source with ``ast``: a domain error, a validation error (``api_error``), a refusal of
the middleware or of the request-head guard, or an error response built with a literal text (a
string, or an f-string) is an offence. The DAG-definition compiler words its own problems
(app/definitions/spec.py, docs/dag-definitions.md); /api/v1 has texts of its own (docs/api-v1.md).
"""

from __future__ import annotations

import ast
from pathlib import Path

from app import errors

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"
NOT_COVERED = (
    APP / "core" / "messages.py",
    APP / "definitions",
    APP / "routers" / "v1",
    APP / "services" / "v1",
    APP / "schemas" / "v1",
    APP / "gateway" / "models",
    APP / "v1_format.py",
)
ERROR_KINDS = {name for name, value in vars(errors).items() if isinstance(value, type)}
# What else takes a client's text: a field's validation error, the middleware's and the head
# guard's refusals, an error response built by hand.
TEXT_TAKERS = ERROR_KINDS | {"api_error", "Refusal", "_refuse", "error_response"}


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _literal_text(node: ast.expr) -> bool:
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip() != ""


def literal_texts(source: str, name: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _name(node.func) in TEXT_TAKERS:
            arguments = [*node.args, *(k.value for k in node.keywords)]
            if any(_literal_text(a) for a in arguments):
                found.append(f"{name}:{node.lineno}: {ast.unparse(node)[:100]}")
    return found


def test_no_text_is_written_outside_the_messages_module() -> None:
    paths = [p for p in sorted(APP.rglob("*.py")) if not any(p.is_relative_to(n) for n in NOT_COVERED)]
    offences = [
        offence
        for path in paths
        for offence in literal_texts(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert offences == []


def test_the_check_finds_a_literal_text() -> None:
    source = (
        'raise Invalid(f"Pool {name} is bad")\nraise api_error("Pool name is bad")\nRefusal(403, "", [])\n'
    )
    assert len(literal_texts(source, "probe")) == 2

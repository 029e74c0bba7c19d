"""Definition text to a validated ``DagSpec``: the steps every way of storing a definition takes."""

from __future__ import annotations

from datetime import tzinfo

from app.definitions.decoding import DefinitionLimits, check_document, load_definition_text
from app.definitions.spec import DagDefinitionError, DagSpec, parse_dag_definition


def parse_definition(
    text: str,
    *,
    filename: str,
    default_tz: tzinfo,
    expected_dag_id: str | None = None,
    limits: DefinitionLimits = DefinitionLimits(),
    yaml_hint: str = "",
) -> DagSpec:
    """A validated definition from JSON or YAML text (by ``filename``'s suffix); raises
    :class:`DagDefinitionError` listing every problem with its path (``yaml_hint``: see
    :func:`load_definition_text`). A definition over ``limits``, or holding what JSON cannot (a
    NUL character, a YAML-only type), is refused before validation."""
    document = load_definition_text(text, filename=filename, max_nodes=limits.nodes, yaml_hint=yaml_hint)
    check_document(document, limits)
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
    return spec

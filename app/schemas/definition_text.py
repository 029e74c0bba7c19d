"""DAG definition text (spec/dag-definition.md): JSON or YAML decoded into plain data.

:func:`load_definition_text` is the first step of storing a definition; validation
(:func:`app.schemas.dag_definition.parse_dag_definition`) is the second. Both raise
:class:`DagDefinitionError`, so a caller handles one exception whatever went wrong.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import yaml


class DagDefinitionError(Exception):
    """An invalid definition; ``problems`` holds every problem as ``{"loc": path, "msg": text}``."""

    def __init__(self, problems: list[dict]) -> None:
        self.problems = list(problems)
        super().__init__(f"Invalid DAG definition: {len(self.problems)} problem(s)")


class _YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML that keeps dates as strings (parse_date reads them) and rejects duplicate keys."""

    yaml_implicit_resolvers: ClassVar[dict] = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *base` may legitimately repeat keys
                continue
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool):
                continue  # unhashable keys are reported by the base constructor
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _JsonContentError(ValueError):
    pass


def _json_object(pairs: list[tuple[str, Any]]) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        duplicate = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise _JsonContentError(f"Invalid JSON: duplicate key {duplicate!r}")
    return result


def _reject_constant(name: str) -> None:
    raise _JsonContentError(f"Invalid JSON: {name} is not allowed")


def _load_json(text: str) -> object:
    try:
        return json.loads(text, object_pairs_hook=_json_object, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        msg = f"Invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    except _JsonContentError as exc:
        msg = str(exc)
    raise DagDefinitionError([{"loc": "", "msg": msg}])


def _load_yaml(text: str) -> object:
    try:
        return yaml.load(text, Loader=_YamlLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        msg = f"Invalid YAML: {exc.problem or exc.context}{where}"
    except yaml.YAMLError as exc:
        msg = f"Invalid YAML: {exc}"
    raise DagDefinitionError([{"loc": "", "msg": msg}])


def load_definition_text(text: str, *, filename: str = "") -> object:
    """Decode definition text: YAML for ``.yaml``/``.yml``, JSON for ``.json``, else JSON then YAML.

    Dates stay strings and duplicate keys are errors in both syntaxes (a repeated key would
    otherwise silently drop a value, the kind of typo validation exists to catch).
    """
    text = text.removeprefix("\ufeff")
    name = filename.lower()
    if name.endswith((".yaml", ".yml")):
        return _load_yaml(text)
    if name.endswith(".json"):
        return _load_json(text)
    try:
        return _load_json(text)
    except DagDefinitionError as json_error:
        try:
            return _load_yaml(text)
        except DagDefinitionError as yaml_error:
            # Report the syntax the author evidently meant.
            raise json_error if text.lstrip()[:1] in ("{", "[") else yaml_error from None

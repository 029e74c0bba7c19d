"""DAG definition text (docs/dag-definitions.md): JSON or YAML decoded into plain data.

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


# How many values a definition may expand to once YAML's aliases are resolved (each alias
# counts the whole value it repeats): a few hundred bytes of nested aliases otherwise expand to
# millions of values (DAGPORT_MAX_DEFINITION_NODES).
DEFAULT_MAX_NODES = 1_000_000


def expanded_size(root: yaml.Node, limit: int) -> int | None:
    """The number of values ``root`` stands for with every alias expanded, or ``None`` when that
    exceeds ``limit`` or an alias refers to a value that contains it (a recursive document).
    Composed nodes are shared by their aliases, so each is sized once."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            sizes[key] = 1
            continue
        if children_done:
            open_nodes.discard(key)
            size = 1 + sum(sizes[id(child)] for child in children)
            if size > limit:
                return None
            sizes[key] = size
            continue
        if key in open_nodes:
            return None  # an alias inside the value it names
        open_nodes.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                return None
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


def _load_yaml(text: str, max_nodes: int) -> object:
    try:
        loader = _YamlLoader(text)  # a SafeLoader subclass
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            if expanded_size(node, max_nodes) is None:
                msg = (
                    f"Invalid YAML: the document expands to more than {max_nodes} values "
                    "(anchors and aliases repeat what they name), or an alias refers to a value "
                    "containing it"
                )
                raise DagDefinitionError([{"loc": "", "msg": msg}])
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        msg = f"Invalid YAML: {exc.problem or exc.context}{where}"
    except yaml.YAMLError as exc:
        msg = f"Invalid YAML: {exc}"
    raise DagDefinitionError([{"loc": "", "msg": msg}])


def _reads_as_yaml_mapping(text: str, max_nodes: int) -> bool:
    """YAML in block style; not JSON with a typo (a flow mapping such as `{"a": 1,}` reads as YAML too)."""
    if text.lstrip()[:1] in ("{", "["):
        return False
    try:
        return isinstance(_load_yaml(text, max_nodes), dict)
    except DagDefinitionError:
        return False


def load_definition_text(
    text: str, *, filename: str = "", max_nodes: int = DEFAULT_MAX_NODES, yaml_hint: str = ""
) -> object:
    """Decode definition text: YAML for ``.yaml``/``.yml``, JSON for ``.json``, else JSON then YAML.

    Dates stay strings and duplicate keys are errors in both syntaxes (a repeated key would
    otherwise silently drop a value, the kind of typo validation exists to catch). ``yaml_hint``
    (how to send YAML instead) is added to the error of JSON text that fails to parse as JSON but
    reads as a YAML mapping.
    """
    text = text.removeprefix("\ufeff")
    name = filename.lower()
    if name.endswith((".yaml", ".yml")):
        return _load_yaml(text, max_nodes)
    if name.endswith(".json"):
        try:
            return _load_json(text)
        except DagDefinitionError as exc:
            if yaml_hint and _reads_as_yaml_mapping(text, max_nodes):
                problem = exc.problems[0]
                problem["msg"] = f"{problem['msg']}. The text reads as YAML: {yaml_hint}"
            raise
    try:
        return _load_json(text)
    except DagDefinitionError as json_error:
        try:
            return _load_yaml(text, max_nodes)
        except DagDefinitionError as yaml_error:
            # Report the syntax the author evidently meant.
            raise json_error if text.lstrip()[:1] in ("{", "[") else yaml_error from None

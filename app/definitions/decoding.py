"""DAG definition text (docs/dag-definitions.md): JSON or YAML decoded into plain data.

:func:`load_definition_text` is the first step of storing a definition; validation
(:func:`app.definitions.spec.parse_dag_definition`) is the second. Both raise
:class:`DagDefinitionError`, so a caller handles one exception whatever went wrong.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import yaml

from app.json import MAX_DEPTH


class DagDefinitionError(Exception):
    """An invalid definition; ``problems`` holds every problem as ``{"loc": path, "msg": text}``."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        self.problems = list(problems)
        super().__init__(f"Invalid DAG definition: {len(self.problems)} problem(s)")


_INT_TAG, _FLOAT_TAG, _TIMESTAMP_TAG = (f"tag:yaml.org,2002:{name}" for name in ("int", "float", "timestamp"))
# YAML 1.1's integers and floats as PyYAML resolves them (decimal, 0x hex, 0 octal, 0b binary,
# underscores; a float has a point: `1e5` is text), without base 60: YAML 1.1 reads `1:30` as 90,
# YAML 1.2 as the text "1:30", and PyYAML computes a long base-60 scalar in quadratic time (a 1 MB
# one took half a minute of CPU). Here `1:30` is text, as in YAML 1.2.
_INT_RE = re.compile(
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0[0-7_]+
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?0x[0-9a-fA-F_]+)$""",
    re.X,
)
_FLOAT_RE = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_NUMBER_RE = {_INT_TAG: _INT_RE, _FLOAT_TAG: _FLOAT_RE}


def _short(value: object) -> str:
    """A value quoted in a message: Python's repr, shortened."""
    text = repr(value)
    return text if len(text) <= 100 else text[:97] + "..."


class LongInteger:
    """Stands for an integer of more decimal digits than Python reads or writes (its int-string
    conversion limit, sys.get_int_max_str_digits(): 4,300). The decoders put it where the number
    was, instead of raising a ValueError nothing would catch, and walk_document reports it at its
    path, as it does the other values a definition cannot hold."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<an integer of more than {sys.get_int_max_str_digits()} digits>"


LONG_INTEGER = LongInteger()


def _too_long(number: int) -> bool:
    """Whether ``number`` has more decimal digits than Python writes (a YAML integer in hex, octal
    or binary can: only reading decimal text is limited)."""
    limit = sys.get_int_max_str_digits()
    return bool(limit) and number.bit_length() > 3 * limit and abs(number) >= 10**limit


def _json_int(text: str) -> int | LongInteger:
    """JSON's integers (digits with an optional minus): int() fails only on too many digits."""
    try:
        return int(text)
    except ValueError:
        return LONG_INTEGER


def yaml_loader(base: type) -> type:
    """``base`` (libyaml's ``yaml.CSafeLoader`` or PyYAML's ``yaml.SafeLoader``: the resolvers and
    constructors are Python's in both) with the format's rules: dates stay strings (parse_date
    reads them), base 60 (`1:30`) is a string as in YAML 1.2, and a repeated key is an error."""

    class Loader(base):  # type: ignore[misc]  # the base class is chosen at run time: libyaml's or PyYAML's
        # first character (None: any) -> [(tag, pattern)], as PyYAML keeps its resolvers
        yaml_implicit_resolvers: ClassVar[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = {
            first: [(tag, _NUMBER_RE.get(tag, rx)) for tag, rx in resolvers if tag != _TIMESTAMP_TAG]
            for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }

        def construct_number(self, node: yaml.Node) -> int | float | LongInteger:
            """An int or float, implicit or tagged: a tagged base-60 one (`!!int 1:30`) is refused."""
            value = self.construct_scalar(node)
            if ":" in value:
                kind = "an integer" if node.tag == _INT_TAG else "a number"
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"{_short(value)} is not {kind}: base 60 (YAML 1.1) is not read",
                    node.start_mark,
                )
            if node.tag != _INT_TAG:
                real: float = self.construct_yaml_float(node)
                return real
            try:
                number: int = self.construct_yaml_int(node)
            except ValueError:
                if not _INT_RE.match(value):
                    raise  # `!!int abc`: no integer at all
                return LONG_INTEGER  # decimal, with more digits than int() reads
            return LONG_INTEGER if _too_long(number) else number

        def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
            """PyYAML's constructors raise ValueError, KeyError, IndexError or AttributeError for
            a scalar whose explicit tag they cannot read (`!!bool maybe`, `!!timestamp 2021-13-01`):
            a YAML error at the scalar, as for any other."""
            if not isinstance(node, yaml.ScalarNode):
                return super().construct_object(node, deep=deep)
            try:
                return super().construct_object(node, deep=deep)
            except (ValueError, LookupError, AttributeError):
                tag = node.tag.removeprefix("tag:yaml.org,2002:")
                raise yaml.constructor.ConstructorError(
                    None, None, f"{_short(node.value)} is not a valid !!{tag}", node.start_mark
                ) from None

        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
            if not isinstance(node, yaml.MappingNode):  # `!!map [1]`, `!!set [1]`
                raise yaml.constructor.ConstructorError(
                    None, None, f"expected a mapping node, but found {node.id}", node.start_mark
                )
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
            mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
            return mapping

    Loader.add_constructor(_INT_TAG, Loader.construct_number)
    Loader.add_constructor(_FLOAT_TAG, Loader.construct_number)
    return Loader


_YamlLoader = yaml_loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader))


class _JsonContentError(ValueError):
    pass


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):  # a key repeats: report the first repeated one
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _JsonContentError(f"Invalid JSON: duplicate key {key!r}")
            seen.add(key)
    return result


def _reject_constant(name: str) -> None:
    raise _JsonContentError(f"Invalid JSON: {name} is not allowed")


def _load_json(text: str) -> object:
    try:
        return json.loads(
            text, object_pairs_hook=_json_object, parse_constant=_reject_constant, parse_int=_json_int
        )
    except json.JSONDecodeError as exc:
        msg = f"Invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    except _JsonContentError as exc:
        msg = str(exc)
    except RecursionError:  # the json module's decoder recurses once per level
        msg = TOO_DEEP
    raise DagDefinitionError([{"loc": "", "msg": msg}])


TOO_DEEP = f"The definition is nested more than {MAX_DEPTH} levels deep"

# How many values a definition may expand to once YAML's aliases are resolved (each alias
# counts the whole value it repeats) and default_args are applied to every task: a few hundred
# bytes of nested aliases otherwise expand to millions of values (DAGPORT_MAX_DEFINITION_NODES).
DEFAULT_MAX_NODES = 1_000_000
# Tasks and upstream entries a definition may have (DAGPORT_MAX_DEFINITION_TASKS, _EDGES): the
# format promises 10,000 tasks; the graph checks, the weights and the stored rows grow with both.
DEFAULT_MAX_TASKS = 10_000
DEFAULT_MAX_EDGES = 100_000


@dataclass(frozen=True, slots=True)
class DefinitionLimits:
    """How large a definition may be; every way of storing one (PUT, files) takes the same."""

    nodes: int = DEFAULT_MAX_NODES
    tasks: int = DEFAULT_MAX_TASKS
    edges: int = DEFAULT_MAX_EDGES

    @classmethod
    def of(cls, settings: Any) -> DefinitionLimits:
        """The limits ``settings`` (app.config.Settings) configure."""
        return cls(
            nodes=settings.max_definition_nodes,
            tasks=settings.max_definition_tasks,
            edges=settings.max_definition_edges,
        )


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
                    "(anchors and aliases repeat what they name; DAGPORT_MAX_DEFINITION_NODES), "
                    "or an alias refers to a value containing it"
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


# -- the decoded document: its size, and only what JSON can hold --------------------------------

_NOT_JSON: dict[type, str] = {  # YAML types a JSON column cannot hold, and what to write instead
    bytes: "binary data (!!binary), which a definition cannot hold: use a string",
    set: "a set (!!set), which a definition cannot hold: use a list",
}
_NUL = "contains a NUL character (\\u0000), which cannot be stored"


def _path(loc: tuple[int | str, ...]) -> str:
    return "".join(f"[{part}]" if type(part) is int else f".{part}" for part in loc).removeprefix(".")


def _name(loc: tuple[int | str, ...]) -> str:
    """A value's name in a message: its path from the last key on (``doc_md``, ``tags[2]``)."""
    last_key = max((i for i, part in enumerate(loc) if type(part) is not int), default=0)
    return _path(loc[last_key:]) or "The definition"


def _value_problem(value: object) -> str | None:
    """Why ``value`` (a scalar) cannot be stored as JSON text on every database, or None."""
    # Exact types, no subclasses; `type(value) is ...` where mypy must narrow value itself.
    if type(value) is str:
        return _NUL if "\x00" in value else None
    kind = type(value)
    if kind in (int, bool) or value is None:
        return None
    if type(value) is float:
        return None if math.isfinite(value) else f"must be a finite number, got {value!r}"
    if kind is LongInteger:
        return (
            f"is an integer of more than {sys.get_int_max_str_digits()} digits, which a definition "
            "cannot hold: integers fit in 64 bits"
        )
    return "is " + _NOT_JSON.get(kind, f"a {kind.__name__}, which a definition cannot hold")


def _scan(value: object) -> tuple[int, bool]:
    """The number of values in ``value``, and whether walk_document would find a problem: the
    same walk without paths (they cost more than the checks), which the common case needs only."""
    count = 0
    suspect = False
    stack: list[tuple[object, int]] = [(value, 1)]
    children: Iterable[Any]  # a dict's values or a list's items: decoded data, of any type
    while stack:
        item, depth = stack.pop()
        count += 1
        if type(item) is dict:
            count += len(item)
            children = item.values()
            suspect = suspect or any(type(k) is not str or "\x00" in k for k in item)
        elif type(item) is list:
            children = item
        else:
            suspect = suspect or _value_problem(item) is not None
            continue
        if depth > MAX_DEPTH:
            return count, True
        for child in children:
            kind = type(child)
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
            elif kind is str:
                count += 1
                suspect = suspect or "\x00" in child
            else:
                count += 1
                suspect = suspect or _value_problem(child) is not None
    return count, suspect


def walk_document(value: object, loc: tuple[int | str, ...] = ()) -> tuple[int, list[dict[str, str]]]:
    """The number of values in ``value`` (containers, keys and scalars), and every place that
    holds what JSON cannot: a NUL character (Postgres text cannot hold one; SQLite would store
    it), a value of a YAML-only type, an integer too long to read (LongInteger), a key that is not
    a string, nesting beyond MAX_DEPTH.
    Iterative: a deep document cannot exhaust the stack."""
    count = 0
    problems: list[dict[str, str]] = []
    stack: list[tuple[object, tuple[int | str, ...]]] = [(value, loc)]
    while stack:
        item, at = stack.pop()
        count += 1
        if isinstance(item, dict):
            if len(at) - len(loc) >= MAX_DEPTH:
                return count, [{"loc": "", "msg": TOO_DEEP}]
            children = []
            for key, child in item.items():
                count += 1
                if type(key) is not str:
                    msg = f"{_name(at)} has a key that is not a string: {key!r}"
                    problems.append({"loc": _path(at), "msg": msg})
                    continue
                if "\x00" in key:
                    problems.append({"loc": _path(at), "msg": f"{_name(at)} has a key that {_NUL}: {key!r}"})
                children.append((child, (*at, key)))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            if len(at) - len(loc) >= MAX_DEPTH:
                return count, [{"loc": "", "msg": TOO_DEEP}]
            stack.extend((item[i], (*at, i)) for i in range(len(item) - 1, -1, -1))
        elif (problem := _value_problem(item)) is not None:
            problems.append({"loc": _path(at), "msg": f"{_name(at)} {problem}"})
    return count, problems


def check_document(doc: object, limits: DefinitionLimits) -> None:
    """Refuse a decoded definition that is too large or holds what JSON cannot (see walk_document).

    Its size is counted as stored: each task holds its own copy of what it takes from default_args,
    so a large default_args value times many tasks counts that many times.
    """
    tasks = doc.get("tasks") if isinstance(doc, dict) else None
    tasks = tasks if isinstance(tasks, list) else []
    if len(tasks) > limits.tasks:
        msg = f"tasks holds {len(tasks)} tasks; a definition may have at most {limits.tasks} (DAGPORT_MAX_DEFINITION_TASKS)"
        raise DagDefinitionError([{"loc": "tasks", "msg": msg}])
    upstreams = (t.get("upstream") if isinstance(t, dict) else None for t in tasks)
    edges = sum(len(up) for up in upstreams if isinstance(up, list))
    if edges > limits.edges:
        msg = (
            f"The tasks' upstream lists hold {edges} entries; a definition may have at most "
            f"{limits.edges} (DAGPORT_MAX_DEFINITION_EDGES)"
        )
        raise DagDefinitionError([{"loc": "tasks", "msg": msg}])
    count, suspect = _scan(doc)
    if suspect and (problems := walk_document(doc)[1]):
        raise DagDefinitionError(problems)
    defaults = doc.get("default_args") if isinstance(doc, dict) else None
    if isinstance(defaults, dict) and defaults:
        sizes = {key: _scan(value)[0] for key, value in defaults.items()}
        for task in tasks:
            if isinstance(task, dict):
                count += sum(size for key, size in sizes.items() if key not in task)
    if count > limits.nodes:
        msg = (
            f"The definition holds {count} values once default_args are applied to every task; "
            f"at most {limits.nodes} are allowed (DAGPORT_MAX_DEFINITION_NODES)"
        )
        raise DagDefinitionError([{"loc": "", "msg": msg}])

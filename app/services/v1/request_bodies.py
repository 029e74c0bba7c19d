"""Request bodies as Airflow 2's v1 checked them, in its two stages and with their texts.

1. connexion validated the body against the operation's schema in v1.yaml before the operation
   ran: the first failure, in the schema's order of properties, as jsonschema words it
   (``'x' is not of type 'object' - 'conf'``, ``Property is read-only - 'state'``).
   :func:`check_schema` does this from :class:`Prop` declarations.
2. the operation then loaded the body with its marshmallow schema, after its own lookups (a run
   that does not exist is a 404 first): unknown fields and field errors as the repr of marshmallow's
   messages (``{'foo': ['Unknown field.']}``). :func:`unknown_fields` gives that text.

Airflow 3's 422 for a body it refuses: app/services/v1/upstream.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from app.errors import Invalid

Kind = Literal["string", "object", "boolean", "integer", "array", "date-time"]
_TYPES = {"date-time": "string"}


def _is(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    raise ValueError(kind)


@dataclass(frozen=True, slots=True)
class Prop:
    """A property of a v1 body schema, as connexion checked it: its type (``date-time``: a string
    of that format), whether null is allowed, read-only, allowed values, a minimum, the type of an
    array's items."""

    name: str
    kind: Kind
    nullable: bool = False
    read_only: bool = False
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    items: Kind | None = None

    def problem(self, value: Any) -> str | None:
        """connexion's text for ``value``, or None if it passes."""
        where = f" - '{self.name}'"
        if value is None and self.nullable:
            return "Property is read-only" + where if self.read_only else None
        kind = _TYPES.get(self.kind, self.kind)
        if not _is(value, kind):
            return f"{value!r} is not of type '{kind}'{where}"
        if self.kind == "date-time" and not is_date_time(value):
            return f"{value!r} is not a 'date-time'{where}"
        if self.minimum is not None and value < self.minimum:
            return f"{value} is less than the minimum of {self.minimum}{where}"
        if self.read_only:
            return "Property is read-only" + where
        if self.choices and value not in self.choices:
            return f"{value!r} is not one of {list(self.choices)!r}{where}"
        if self.items is not None:
            for index, item in enumerate(value):
                if not _is(item, self.items):
                    return f"{item!r} is not of type '{self.items}' - '{self.name}.{index}'"
        return None


def is_date_time(value: str) -> bool:
    """RFC 3339's date-time (connexion's ``format: date-time``): a ``T``, an offset or ``Z``."""
    return parse_date_time(value) is not None


def parse_date_time(value: str) -> datetime | None:
    text = value[:-1] + "+00:00" if value[-1:] in ("Z", "z") else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None or len(value) < 11 or value[10] not in "Tt":
        return None
    return parsed


def check_schema(body: Any, props: Sequence[Prop], *, required: Iterable[str] = ()) -> dict[str, Any]:
    """``body`` as connexion let it through (see the module), or its 400."""
    if not isinstance(body, dict):
        raise Invalid(f"{body!r} is not of type 'object'")
    for name in required:
        if name not in body:
            raise Invalid(f"'{name}' is a required property")
    for prop in props:
        if prop.name in body and (problem := prop.problem(body[prop.name])) is not None:
            raise Invalid(problem)
    return body


def marshmallow_errors(errors: dict[str, list[str]]) -> Invalid:
    """marshmallow's ``ValidationError`` as v1 answered it: the repr of its messages."""
    return Invalid(repr(errors))


def unknown_fields(body: dict[str, Any], known: Iterable[str]) -> dict[str, list[str]]:
    """marshmallow's messages for the fields its schema does not know (in the body's order)."""
    allowed = set(known)
    return {name: ["Unknown field."] for name in body if name not in allowed}

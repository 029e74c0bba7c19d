"""Request bodies as Airflow 2's v1 checked them, in its two stages and with their texts.

1. connexion validated the body against the operation's schema in v1.yaml before the operation
   ran: the first failure, in the schema's order of properties, as jsonschema words it
   (``'x' is not of type 'object' - 'conf'``, ``Property is read-only - 'state'``).
   :func:`check_schema` does this from :class:`Prop` declarations; :func:`schema_error` words any
   other failure of that stage.
2. the endpoint then loaded the body with its marshmallow schema, after its own lookups (a run
   that does not exist is a 404 first): every field's errors and each unknown key, as the repr of
   marshmallow's messages (``{'foo': ['Unknown field.']}``, ``Missing data for required field.``,
   ``Field may not be null.``, ``Longer than maximum length <n>.``). :func:`marshmallow_errors`
   checks :class:`Field` declarations; :func:`unknown_fields` and :func:`refused_by_marshmallow`
   serve an endpoint that loads its body itself. Update masks as the endpoints read them:
   :func:`mask` and :func:`masked_data`.

Why in app/schemas/v1: these are rules about the shape of v1's wire format (what its OpenAPI
document and its marshmallow schemas said), declared beside the shapes they check (the schema
modules hold each body's ``Prop`` and ``Field`` declarations, and a schema module may not reach into
app/services). They raise the domain's :class:`~app.errors.Invalid`, never an HTTP answer: a service
calls them where Airflow 2 checked (some checks come only after a lookup), and the v1 problem
handlers make the 400.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from app.errors import Invalid

JsonType = Literal["string", "integer", "boolean", "object", "array", "number"]
Kind = Literal["string", "integer", "boolean", "object", "array", "number", "date-time"]

_PYTHON: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "number": (int, float),
}
MISSING_DATA = "Missing data for required field."
NOT_NULL = "Field may not be null."
UNKNOWN_FIELD = "Unknown field."


def is_json_type(value: Any, kind: str) -> bool:
    """Whether ``value`` is of the JSON schema type ``kind`` (JSON's true is no integer: draft 4)."""
    if isinstance(value, bool) and kind != "boolean":
        return False
    return isinstance(value, _PYTHON[kind])


# -- connexion's stage ---------------------------------------------------------------------------------


def located(message: Any, path: Iterable[Any] = ()) -> str:
    """jsonschema's error as connexion worded it: ``<message> - '<path>'`` (the message alone for
    the body as a whole)."""
    where = ".".join(str(p) for p in path)
    return f"{message} - '{where}'" if where else str(message)


def schema_error(message: str, path: Sequence[str | int] = ()) -> Invalid:
    return Invalid(located(message, path))


def required_property(name: str) -> Invalid:
    return schema_error(f"'{name}' is a required property")


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
    items: JsonType | None = None

    def problem(self, value: Any) -> str | None:
        """connexion's text for ``value``, or None if it passes."""
        where = f" - '{self.name}'"
        if value is None and self.nullable:
            return "Property is read-only" + where if self.read_only else None
        kind = "string" if self.kind == "date-time" else self.kind
        if not is_json_type(value, kind):
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
                if not is_json_type(item, self.items):
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
    """``body`` as connexion let it through (see the module), or its 400: not an object, a
    ``required`` property missing, then the first property of ``props`` (in the schema's order)
    that fails."""
    if not isinstance(body, dict):
        raise schema_error(f"{body!r} is not of type 'object'")
    for name in required:
        if name not in body:
            raise required_property(name)
    for prop in props:
        if prop.name in body and (problem := prop.problem(body[prop.name])) is not None:
            raise Invalid(problem)
    return body


# -- marshmallow's stage -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    """A field of the endpoint's marshmallow schema (the types are connexion's to check)."""

    name: str
    required: bool = False
    allow_none: bool = True
    max_length: int | None = None


def longer_than(max_length: int) -> str:
    return f"Longer than maximum length {max_length}."


def unknown_fields(body: Mapping[str, Any], known: Iterable[str]) -> dict[str, list[str]]:
    """marshmallow's messages for the fields its schema does not know (in the body's order)."""
    allowed = set(known)
    return {name: [UNKNOWN_FIELD] for name in body if name not in allowed}


def refused_by_marshmallow(errors: Mapping[str, list[str]], *, title: str | None = None) -> Invalid:
    """marshmallow's ``ValidationError`` as v1 answered it: the repr of its messages."""
    return Invalid(repr(dict(errors)), title=title)


def marshmallow_errors(body: Mapping[str, Any], fields: Sequence[Field]) -> dict[str, list[str]]:
    """marshmallow's messages for ``body`` (the fields' problems in their declared order, then each
    unknown key), empty when it loads; ``partial``-less, as v1's creates."""
    errors: dict[str, list[str]] = {}
    for field in fields:
        if field.name not in body:
            if field.required:
                errors[field.name] = [MISSING_DATA]
            continue
        value = body[field.name]
        if value is None:
            if not field.allow_none:
                errors[field.name] = [NOT_NULL]
        elif field.max_length is not None and isinstance(value, str) and len(value) > field.max_length:
            errors[field.name] = [longer_than(field.max_length)]
    errors.update(unknown_fields(body, (field.name for field in fields)))
    return errors


def check_fields(
    body: Mapping[str, Any], props: Sequence[Prop], fields: Sequence[Field], *, title: str | None = None
) -> None:
    """Both stages at once, for an endpoint that looked nothing up in between: connexion's
    :func:`check_schema`, then marshmallow's :func:`marshmallow_errors` (its 400 titled ``title``)."""
    check_schema(body, props)
    if errors := marshmallow_errors(body, fields):
        raise refused_by_marshmallow(errors, title=title)


def partial(fields: Sequence[Field]) -> tuple[Field, ...]:
    """``fields`` as marshmallow loads them with ``partial=True`` (none required)."""
    return tuple(Field(f.name, False, f.allow_none, f.max_length) for f in fields)


# -- the endpoints' own rules ----------------------------------------------------------------------------


def mask(update_mask: list[str] | None) -> list[str]:
    """The fields of an ``update_mask`` as v1 read them (each stripped); empty: no mask."""
    return [name.strip() for name in update_mask or ()]


def masked_data(update_mask: Sequence[str], data: Mapping[str, Any], fixed: Sequence[str]) -> dict[str, Any]:
    """The part of ``data`` the mask names (Airflow 2's ``extract_update_mask_data``): a name that is
    not in ``data``, or is one of the ``fixed`` fields, is refused with its text."""
    extracted: dict[str, Any] = {}
    for name in update_mask:
        if name in data and name not in fixed:
            extracted[name] = data[name]
        else:
            raise Invalid(f"'{name}' is unknown or cannot be updated.")
    return extracted

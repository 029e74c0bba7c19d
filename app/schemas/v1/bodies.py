"""Request bodies as Airflow 2 checked them, with its texts: first connexion against the operation's
OpenAPI schema (:func:`check_schema`: jsonschema's ``<value> is not of type '<type>' - '<field>'``
and ``Property is read-only - '<field>'``), then the endpoint's marshmallow schema
(:func:`marshmallow_errors`: ``{'<field>': ['Missing data for required field.']}``, ``Field may
not be null.``, ``Longer than maximum length <n>.``, ``Unknown field.``), then the endpoint itself
(update masks: :func:`mask`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from app.errors import Invalid

JsonType = Literal["string", "integer", "boolean", "object", "array", "number"]

_PYTHON: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "number": (int, float),
}


def _is(value: Any, kind: JsonType) -> bool:
    if isinstance(value, bool) and kind != "boolean":
        return False  # JSON's true is no integer (jsonschema's draft 4)
    return isinstance(value, _PYTHON[kind])


@dataclass(frozen=True, slots=True)
class Prop:
    """A property of a v1 body's OpenAPI schema, as connexion validated it."""

    name: str
    kind: JsonType
    nullable: bool = False
    read_only: bool = False


def check_schema(body: Any, props: Sequence[Prop]) -> dict[str, Any]:
    """``body`` checked as connexion checked it against the schema of ``props`` (in the schema's
    order: the first problem is the one reported), or the 400 it answered."""
    if not isinstance(body, dict):
        raise Invalid(f"{body!r} is not of type 'object'")
    for prop in props:
        if prop.name not in body:
            continue
        value = body[prop.name]
        if not (value is None and prop.nullable) and not _is(value, prop.kind):
            raise Invalid(f"{value!r} is not of type '{prop.kind}' - '{prop.name}'")
        if prop.read_only:
            raise Invalid(f"Property is read-only - '{prop.name}'")
    return body


@dataclass(frozen=True, slots=True)
class Field:
    """A field of the endpoint's marshmallow schema (the types are connexion's to check)."""

    name: str
    required: bool = False
    allow_none: bool = True
    max_length: int | None = None


def marshmallow_errors(body: Mapping[str, Any], fields: Sequence[Field]) -> str | None:
    """marshmallow's ``str(err.messages)`` for ``body`` (the fields' problems in their declared
    order, then each unknown key), or ``None`` when it loads; ``partial``-less, as v1's creates."""
    errors: dict[str, list[str]] = {}
    for field in fields:
        if field.name not in body:
            if field.required:
                errors[field.name] = ["Missing data for required field."]
            continue
        value = body[field.name]
        if value is None:
            if not field.allow_none:
                errors[field.name] = ["Field may not be null."]
        elif field.max_length is not None and isinstance(value, str) and len(value) > field.max_length:
            errors[field.name] = [f"Longer than maximum length {field.max_length}."]
    known = {field.name for field in fields}
    for name in body:
        if name not in known:
            errors[name] = ["Unknown field."]
    return str(errors) if errors else None


def partial(fields: Sequence[Field]) -> tuple[Field, ...]:
    """``fields`` as marshmallow loads them with ``partial=True`` (none required)."""
    return tuple(Field(f.name, False, f.allow_none, f.max_length) for f in fields)


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

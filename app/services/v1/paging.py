"""Lists as v1 pages them (docs/api-v1.md, "Lists"): ``limit`` and ``offset`` with Airflow 2's
defaults, cap and texts, ``order_by`` mapped to Airflow 3's attribute names, the ``fields``
projection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from app.errors import Invalid

PAGE_LIMIT = 100  # Airflow 2's [api] maximum_page_limit and fallback_page_limit defaults


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int


def page(limit: int | None, offset: int | None) -> Page:
    """v1's page: ``limit`` 0 or absent is the default (100), more is capped at 100, a negative one
    is refused as Airflow 2 refused it; ``offset`` defaults to 0 (its minimum is the query's)."""
    if limit is not None and limit < 0:
        raise Invalid("", title="Page limit must be a positive integer")
    return Page(min(limit or PAGE_LIMIT, PAGE_LIMIT), offset or 0)


def page_query(
    limit: int | None,
    offset: int | None,
    *,
    ordering: str | None = None,
    allowed: Mapping[str, str] | None = None,
    default: str = "",
) -> dict[str, Any]:
    """Airflow 3's query for one page: v1's :func:`page`, then its ``order_by`` (mapped by
    :func:`order_by` with ``allowed``; without, ``ordering`` as given, if any)."""
    window = page(limit, offset)
    query: dict[str, Any] = {"limit": window.limit, "offset": window.offset}
    if allowed is not None:
        query["order_by"] = order_by(ordering, allowed, default)
    elif ordering:
        query["order_by"] = ordering
    return query


def order_by(value: str | None, allowed: Mapping[str, str], default: str) -> str:
    """Airflow 3's ``order_by`` for v1's (one attribute, ``-`` for descending): ``allowed`` maps v1's
    attribute names to Airflow 3's; anything else is Airflow 2's 400."""
    if not value:
        return default
    descending = value.startswith("-")
    name = value.lstrip("-")  # as Airflow 2 read it: "--x" is "-x"
    if name not in allowed:
        raise Invalid(f"Ordering with '{name}' is disallowed or the attribute does not exist on the model")
    return ("-" if descending else "") + allowed[name]


def project(item: Mapping[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """``item`` with only ``fields`` (all of it without)."""
    if not fields:
        return dict(item)
    return {name: item[name] for name in fields if name in item}


def check_fields(fields: list[str] | None, known: Iterable[str], *, schema: str, title: str) -> None:
    """Refuse unknown ``fields`` as marshmallow did (``schema``: the item schema's name, e.g.
    ``DAGSchema``; ``title``: the error's, e.g. ``DAGCollectionSchema error``)."""
    if not fields:
        return
    unknown = [f for f in dict.fromkeys(fields) if f not in set(known)]
    if unknown:
        listed = ", ".join(repr(f) for f in unknown)
        raise Invalid(f"Invalid fields for <{schema}(many=False)>: OrderedSet([{listed}]).", title=title)

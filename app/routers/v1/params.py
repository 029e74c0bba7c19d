"""The query parameters v1's operations share (Airflow 2.11's v1.yaml), declared once: paging,
ordering, projection, date ranges, a map index; read and documented as
app/routers/v1/conventions.py's :class:`~app.routers.v1.conventions.Param` says. An operation's own
parameters (its filters, an ``order_by`` that lists its attributes, its ``update_mask``) stay with
its routes."""

from __future__ import annotations

from app.routers.v1.conventions import Kind, Param

LIMIT = Param(
    "limit", "integer", "The numbers of items to return (0: the default, 100; at most 100).", default=100
)
OFFSET = Param(
    "offset", "integer", "The number of items to skip before starting to collect the result set.", minimum=0
)
PAGE = (LIMIT, OFFSET)
ORDER_BY = Param(
    "order_by",
    "string",
    "The name of the field to order the results by. Prefix a field name with `-` to reverse the sort order.",
)
FIELDS = Param("fields", "list", "List of field for return.")
MAP_INDEX = Param("map_index", "integer", "The map index (-1: not mapped)")


def order_by(attributes: str) -> Param:
    """An ``order_by`` whose description names the attributes it takes."""
    return Param("order_by", "string", attributes)


def date_range(name: str, subject: str, kind: Kind = "date-time") -> tuple[Param, Param]:
    """``<name>_gte`` and ``<name>_lte``: ``subject`` (e.g. "Runs whose start_date") at or after,
    at or before the value."""
    return (
        Param(f"{name}_gte", kind, f"{subject} is at or after this"),
        Param(f"{name}_lte", kind, f"{subject} is at or before this"),
    )

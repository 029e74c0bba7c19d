"""Pools: v1's answer models, the body as Airflow 2 checked it, and Airflow 3's pool in v1's shape."""

from __future__ import annotations

from typing import Any

from pydantic import Field as Doc

from app.gateway.models.pools import Pool as V2Pool
from app.schemas.v1.bodies import Field, Prop
from app.schemas.v1.common import V1Model, collection

DEFAULT_POOL = "default_pool"
# v1's order_by attributes and Airflow 3's names for them; ``slots`` Airflow 3 cannot order by.
ORDER_BY = {"name": "name", "slots": "slots", "id": "id"}
SLOTS_ORDER = "slots"

# The Pool schema of Airflow 2.11's OpenAPI document, in its order (connexion checked bodies by it).
PROPS = (
    Prop("name", "string"),
    Prop("slots", "integer"),
    Prop("occupied_slots", "integer", read_only=True),
    Prop("running_slots", "integer", read_only=True),
    Prop("queued_slots", "integer", read_only=True),
    Prop("open_slots", "integer", read_only=True),
    Prop("scheduled_slots", "integer", read_only=True),
    Prop("deferred_slots", "integer", read_only=True),
    Prop("description", "string", nullable=True),
    Prop("include_deferred", "boolean"),
)
READ_ONLY = frozenset(p.name for p in PROPS if p.read_only)
# Airflow 2.11's PoolSchema (marshmallow): what it loads.
FIELDS = (
    Field("name", max_length=256),
    Field("slots"),
    Field("description"),
    Field("include_deferred", allow_none=False),
)
REQUIRED = ("name", "slots")


class Pool(V1Model):
    """A pool, as Airflow 2 answered it."""

    name: str = Doc(description="The name of the pool", examples=["default_pool"])
    slots: int = Doc(description="The slots tasks can take; -1: unlimited")
    occupied_slots: int = Doc(
        description="Slots taken by running and queued tasks (deferred ones too with include_deferred)"
    )
    running_slots: int
    queued_slots: int
    open_slots: int = Doc(description="Free slots now; -1 for a pool of unlimited slots (Airflow 3's answer)")
    scheduled_slots: int
    deferred_slots: int
    description: str | None
    include_deferred: bool


PoolCollection = collection("PoolCollection", "pools", Pool)


def not_found(name: str) -> str:
    return f"Pool with name:'{name}' not found"


def already_exists(name: str) -> str:
    return f"Pool: {name} already exists"


def missing(names: set[str]) -> str:
    return f"Missing required property(ies): {sorted(names)}"


def invalid_mask_field(name: str) -> str:
    return f"Invalid field: {name} in update mask"


DEFAULT_RENAMED = "Default Pool's name can't be modified"
DEFAULT_DELETED = "Default Pool can't be deleted"


def pool_info(pool: V2Pool) -> dict[str, Any]:
    return {
        "name": pool.name,
        "slots": pool.slots,
        "occupied_slots": pool.occupied_slots,
        "running_slots": pool.running_slots,
        "queued_slots": pool.queued_slots,
        "open_slots": pool.open_slots,
        "scheduled_slots": pool.scheduled_slots,
        "deferred_slots": pool.deferred_slots,
        "description": pool.description,
        "include_deferred": pool.include_deferred,
    }


def pool_body(values: dict[str, Any]) -> dict[str, Any]:
    """Airflow 3's pool body (``PoolBody``) for v1's values."""
    return {
        "name": values["name"],
        "slots": values["slots"],
        "description": values.get("description"),
        "include_deferred": bool(values.get("include_deferred", False)),
    }

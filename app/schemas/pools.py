"""Pool models (docs/api.md 3.4), with Airflow's exact messages."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core import messages
from app.core.results import Pool as PoolResult
from app.schemas.common import SAFE_NOT_BLANK_PATTERN, RequestBody, api_error, check_identifier, strict_bool

POOL_NAME_MAX = 256
_INT32_MAX = 2**31 - 1
SLOTS_PATTERN = "^(-1|[0-9]{1,9})$"  # a string's slots, exactly (ASCII digits, no sign, space or "_")
_SLOTS_RE = re.compile(r"-1|[0-9]{1,9}", re.ASCII)


def check_pool_name(value: Any) -> str:
    if not isinstance(value, str):
        raise api_error(messages.pool_name_not_a_string(value))
    if not value.strip():
        raise api_error(messages.POOL_NAME_EMPTY)
    if len(value) > POOL_NAME_MAX:
        raise api_error(messages.pool_name_too_long(POOL_NAME_MAX))
    return check_identifier(value, "Pool name")


def _slots_schema(schema: dict[str, Any]) -> None:
    """What _slots accepts: an integer from -1 to 2**31-1, or a string of one (documented for up to
    nine digits: a pattern cannot bound the value)."""
    schema.pop("type", None)
    schema["anyOf"] = [
        {"type": "integer", "minimum": -1, "maximum": _INT32_MAX},
        {"type": "string", "pattern": SLOTS_PATTERN},
    ]


class PoolCreate(RequestBody):
    """Create a pool, or update the pool of that name (Airflow upserts)."""

    # The JSON-schema limits document check_pool_name, which enforces them with Airflow's messages.
    name: str = Field(
        description="Pool name, 1 to 256 characters, not blank, without control characters or bidirectional overrides",
        examples=["etl_pool"],
        json_schema_extra={"minLength": 1, "maxLength": POOL_NAME_MAX, "pattern": SAFE_NOT_BLANK_PATTERN},
    )
    slots: int = Field(
        description="Slots: an integer (or a string holding one); -1 means unlimited",
        examples=[4],
        json_schema_extra=_slots_schema,
    )
    description: str | None = Field(None, description="Optional; kept as is on update when not sent")
    include_deferred: bool = Field(False, description="Optional; kept as is on update when not sent")

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [{"name": "etl_pool", "slots": 4, "description": "ETL pool"}]},
    )

    _name = field_validator("name", mode="before")(check_pool_name)

    @field_validator("slots", mode="before")
    @classmethod
    def _slots(cls, value: Any) -> int:
        # Airflow ran int(slots): it truncated 2.9 to 2, took True as 1, and read " 5 ", Arabic-Indic digits and
        # "1_000". Only integers pass here, and strings of the documented pattern.
        parsed: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            parsed = value
        elif isinstance(value, str) and _SLOTS_RE.fullmatch(value):
            parsed = int(value)
        if parsed is None or parsed < -1 or parsed > _INT32_MAX:
            raise api_error(messages.bad_slots(value))
        return parsed

    @field_validator("description", mode="before")
    @classmethod
    def _description(cls, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        raise api_error(messages.not_a_string_or_null("description", value))

    @field_validator("include_deferred", mode="before")
    @classmethod
    def _include_deferred(cls, value: Any) -> Any:
        return strict_bool(value, "include_deferred")


class Pool(BaseModel):
    id: int = Field(examples=[2])
    pool: str = Field(examples=["etl_pool"])
    slots: int = Field(examples=[4])
    description: str | None = Field(examples=["ETL pool"])
    include_deferred: bool = Field(examples=[False])


def pool_json(row: PoolResult) -> dict[str, Any]:
    return {
        "description": row.description,
        "id": row.id,
        "include_deferred": row.include_deferred,
        "pool": row.pool,
        "slots": row.slots,
    }

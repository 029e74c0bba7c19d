"""The DAG definition format (docs/dag-definitions.md) as strict Pydantic models.

:class:`DagDocument` is the top-level object; :class:`TaskDocument` a task and
:class:`DefaultArgs` what default_args may set. Constraints are Pydantic's own where a type can
say them (strict types, patterns, bounds, literals), so they run in pydantic-core; the few
validators are for what no type says: durations, dates in a default time zone, entities, and
integers too large for the JSON columns. Such a validator raises errors Pydantic files under the
value's own path. Messages are worded in :mod:`app.definitions.spec`.

A task and default_args are TypedDicts rather than BaseModels: what a task leaves out it
inherits, so its validated value must hold exactly the keys it gave, and plain dicts are what
10,000 tasks validate into fastest.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, tzinfo
from operator import itemgetter
from typing import Annotated, Any, Literal, Required, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetPydanticSchema,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    with_config,
)
from pydantic_core import InitErrorDetails, PydanticCustomError, core_schema
from typing_extensions import TypedDict  # Pydantic needs this one before Python 3.12

from app.dates import InvalidDateError, parse_date

ID_PATTERN = r"[A-Za-z0-9_.-]{1,250}"  # Pydantic's (Rust) `$` is the end of the text, never before a "\n"
INT_MAX = 2**31 - 1  # integers are stored in 32-bit columns
JSON_INT_MIN, JSON_INT_MAX = -(2**63), 2**64 - 1  # what orjson writes into JSON columns
TAG_MAX_LENGTH = 100  # the dag_tag.name column (Airflow's TAG_MAX_LEN)
WeightRule = Literal["downstream", "upstream", "absolute"]
TriggerRule = Literal[
    "all_success", "all_failed", "all_done", "all_skipped", "one_success", "one_failed", "one_done",
    "none_failed", "none_failed_min_one_success", "none_skipped", "always",
]  # fmt: skip
WEIGHT_RULES: tuple[str, ...] = get_args(WeightRule)
TRIGGER_RULES: tuple[str, ...] = get_args(TriggerRule)
_DURATION_RE = re.compile(r"(?:(\d+) days?, )?(\d+):([0-5]\d):([0-5]\d(?:\.\d{1,6})?)")


def _nested(*errors: tuple[str | PydanticCustomError, tuple[int | str, ...], Any]) -> ValidationError:
    """Errors (type, loc below the value, input) that Pydantic files under the value's own loc."""
    details: list[InitErrorDetails] = [
        {"type": kind, "loc": loc, "input": value} for kind, loc, value in errors
    ]
    return ValidationError.from_exception_data("DagDocument", details)


def loc_text(loc: tuple[int | str, ...]) -> str:
    """A Pydantic loc as the format writes a path: ``("tasks", 2, "upstream", 0)`` is ``tasks[2].upstream[0]``."""
    return "".join(f"[{part}]" if type(part) is int else f".{part}" for part in loc).removeprefix(".")


def _storable(value: dict[Any, Any] | list[Any]) -> dict[Any, Any] | list[Any]:
    """Free-form values are stored as JSON (orjson): an integer beyond 64 bits cannot be written."""
    bad = []
    stack: list[tuple[tuple[int | str, ...], Any]] = [((), value)]
    while stack:
        loc, item = stack.pop()
        if isinstance(item, dict):
            stack.extend(((*loc, f"{k}"), v) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend(((*loc, i), v) for i, v in enumerate(item))
        elif type(item) is int and not JSON_INT_MIN <= item <= JSON_INT_MAX:
            bad.append((loc_text(("", *loc)), loc, item))
    if bad:
        beyond = PydanticCustomError("int64", "an integer beyond 64 bits")
        raise _nested(*((beyond, loc, item) for _, loc, item in sorted(bad, key=itemgetter(0))))
    return value


def _entity(value: dict[Any, Any]) -> dict[Any, Any]:
    """A lineage entity: an object with a non-empty string ``type`` (any other keys are free)."""
    if "type" not in value:
        raise _nested(("missing", ("type",), value))
    if type(value["type"]) is not str or not value["type"]:
        raise _nested(("string_type", ("type",), value["type"]))
    return value


def _duration(value: Any) -> timedelta:
    """Seconds (an int or float >= 0) or timedelta's own text: 'H:MM:SS[.ffffff]', 'D days, H:MM:SS'."""
    try:
        if type(value) in (int, float) and value >= 0 and math.isfinite(value):
            return timedelta(seconds=value)
        if type(value) is str and (m := _DURATION_RE.fullmatch(value.strip())):
            days, hours, minutes, seconds = m.groups()
            return timedelta(
                days=int(days or 0), hours=int(hours), minutes=int(minutes), seconds=float(seconds)
            )
    except OverflowError:
        pass
    raise PydanticCustomError("duration", "not a duration")


def to_utc(value: Any, default_tz: tzinfo) -> datetime | None:
    """A date (or None) as an aware UTC datetime; raises InvalidDateError (its text is the API's)."""
    return None if value is None else parse_date(value, default_tz=default_tz).astimezone(UTC)


def _date(value: Any, info: ValidationInfo) -> datetime | None:
    """A date as the API reads one (docs/api.md, "Dates") or null; a naive one is read in the context's default_tz."""
    try:
        return to_utc(value, info.context["default_tz"] if info.context else UTC)
    except InvalidDateError as exc:
        raise PydanticCustomError("date", str(exc)) from None  # worded with its field by app.definitions.spec


# One error for the whole value, not one for each member of the union.
_ONE_ERROR = GetPydanticSchema(
    lambda source, handler: core_schema.custom_error_schema(
        handler(source), "one_of", custom_error_message="none of its forms"
    )
)
Id = Annotated[str, Field(pattern=f"^{ID_PATTERN}$")]
NonEmpty = Annotated[str, Field(min_length=1)]
Int32 = Annotated[int, Field(ge=-INT_MAX - 1, le=INT_MAX)]
Count = Annotated[int, Field(ge=0, le=INT_MAX)]
Slots = Annotated[int, Field(ge=1, le=INT_MAX)]
Duration = Annotated[timedelta, PlainValidator(_duration)]
Date = Annotated[datetime | None, PlainValidator(_date)]
Email = Annotated[str | list[str] | None, _ONE_ERROR]
# dict[Any, Any] is Pydantic's bare dict: any keys, not validated (dict[str, Any] would check each)
Object = Annotated[dict[Any, Any], AfterValidator(_storable)]
Entities = Annotated[list[Annotated[dict[Any, Any], AfterValidator(_entity)]], AfterValidator(_storable)]
Tag = Annotated[str, Field(max_length=TAG_MAX_LENGTH)]
_STRICT = ConfigDict(strict=True, extra="forbid")


@with_config(_STRICT)
class DefaultArgs(TypedDict, total=False):
    """What default_args may set: every task field but task_id, upstream and arguments."""

    operator: NonEmpty
    owner: str
    email: Email
    email_on_failure: bool
    email_on_retry: bool
    retries: Count
    retry_delay: Duration
    retry_exponential_backoff: bool
    max_retry_delay: Duration | None
    execution_timeout: Duration | None
    start_date: Date
    end_date: Date
    depends_on_past: bool
    wait_for_downstream: bool
    pool: NonEmpty
    pool_slots: Slots
    queue: NonEmpty
    priority_weight: Int32
    weight_rule: WeightRule
    trigger_rule: TriggerRule
    params: Object
    inlets: Entities
    outlets: Entities
    doc_md: str | None


@with_config(_STRICT)
class TaskDocument(DefaultArgs, total=False):
    """A task as written: only the keys it gives (the others come from default_args or defaults)."""

    task_id: Required[Id]
    upstream: list[str]
    arguments: Object


def _no_default_args() -> DefaultArgs:
    """default_args when the document has none: a fresh, empty dict."""
    return {}


class DagDocument(BaseModel):
    """The definition document (the top-level object)."""

    model_config = _STRICT

    dag_id: Id
    description: str | None = None
    schedule_interval: str | None = None
    start_date: Date = None
    end_date: Date = None
    is_paused_upon_creation: bool = True
    tags: list[Tag] = Field(default_factory=list)
    default_args: DefaultArgs = Field(default_factory=_no_default_args)
    tasks: Annotated[list[TaskDocument], Field(min_length=1)]

"""Request and response models of the dag_runs endpoints (docs/api.md)."""

from __future__ import annotations

from json import JSONDecodeError
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core import messages
from app.core.states import RUN_STATES, SETTABLE_RUN_STATES
from app.json import NumberTooLarge, loads
from app.schemas.common import SAFE_TEXT_PATTERN, RequestBody, any_case_pattern, api_error, check_identifier

RUN_ID_PATTERN = SAFE_TEXT_PATTERN.replace("[^", "[^/", 1)  # no "/" and no character check_identifier refuses
_TRUE = frozenset({"true", "t", "y", "yes", "1", "on"})
_FALSE = frozenset({"false", "f", "n", "no", "0", "off"})


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "a boolean" if isinstance(value, bool) else "a number"


def check_run_id(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise api_error(messages.run_id_not_a_string(value))
    if len(value) > 250 or "/" in value:
        raise api_error(messages.bad_run_id(value))
    return check_identifier(value, "run_id")


class TriggerRequest(RequestBody):
    """Trigger body: every field is optional; `{}` (or an empty body) triggers a run now."""

    run_id: str | None = Field(
        None,
        description=(
            "Run id, up to 250 characters without `/`, control characters or bidirectional overrides; "
            "null or empty: `manual__<execution_date>`"
        ),
        json_schema_extra={"maxLength": 250, "pattern": RUN_ID_PATTERN},  # what check_run_id enforces
    )
    # Typed wide for the documentation: a string holding a JSON object is accepted and decoded.
    conf: dict[str, Any] | str | None = Field(
        None,
        description="Run configuration: an object, or a string holding a JSON object (Airflow 1.10 form)",
    )
    execution_date: Any = Field(
        None,
        description="Logical date (docs/api.md section 2); absent or null: now",
        json_schema_extra={
            "type": ["string", "null"],
            "format": "date-time",  # as the path's execution_date: other ISO 8601 forms are read too
            "examples": ["2016-11-16T11:34:15+00:00"],
        },
    )
    replace_microseconds: bool | str | None = Field(
        None,
        description="Zero the microseconds: boolean or true/false string; default true when execution_date is absent",
        # Which strings _replace_microseconds reads (it also ignores surrounding whitespace).
        json_schema_extra={"pattern": any_case_pattern(sorted(_TRUE | _FALSE))},
    )

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {"conf": {"key": "value"}},
                {
                    "run_id": "my_run",
                    "execution_date": "2016-11-16T11:34:15+00:00",
                    "conf": '{"key":"value"}',
                },
            ]
        },
    )

    _run_id = field_validator("run_id", mode="before")(check_run_id)

    @field_validator("conf", mode="before")
    @classmethod
    def _conf(cls, value: Any) -> dict[str, Any] | None:
        if value is None or isinstance(value, dict):
            return value
        # Airflow's sentence is the error (clients match it); what conf is instead, and what to
        # send, is its detail.
        if isinstance(value, str):
            try:
                decoded = loads(value)
            except NumberTooLarge as exc:
                raise api_error(
                    messages.CONF_NOT_AN_OBJECT,
                    hint=messages.conf_string_number_too_large(exc.msg, exc.lineno, exc.colno),
                ) from None
            except JSONDecodeError as exc:
                raise api_error(
                    messages.CONF_NOT_AN_OBJECT,
                    hint=messages.conf_string_not_json(exc.msg, exc.lineno, exc.colno),
                ) from None
            if isinstance(decoded, dict):
                return decoded
            raise api_error(messages.CONF_NOT_AN_OBJECT, hint=messages.conf_string_holds(_json_kind(decoded)))
        raise api_error(messages.CONF_NOT_AN_OBJECT, hint=messages.conf_is(_json_kind(value)))

    @field_validator("replace_microseconds", mode="before")
    @classmethod
    def _replace_microseconds(cls, value: Any) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
        raise api_error(messages.bad_replace_microseconds(value))


class TriggerResponse(BaseModel):
    execution_date: str = Field(examples=["2016-11-16T11:34:15+00:00"])
    message: str = Field(
        examples=[
            "Created <DagRun example_bash @ 2016-11-16 11:34:15+00:00: manual__2016-11-16T11:34:15+00:00, "
            "state:queued, queued_at: 2026-11-24 02:49:30.340143+00:00. externally triggered: True>"
        ]
    )
    run_id: str = Field(examples=["manual__2016-11-16T11:34:15+00:00"])


class DagRunItem(BaseModel):
    dag_id: str
    dag_run_url: str = Field(examples=["/dags/example_bash/graph?execution_date=2016-11-16+11:34:15%2B00:00"])
    execution_date: str
    id: int
    run_id: str
    start_date: str = Field(description='ISO date, or "" when the run has not started')
    state: str


class RunStateResponse(BaseModel):
    state: str = Field(examples=["queued"])


class LatestRun(BaseModel):
    dag_id: str
    execution_date: str
    start_date: str
    dag_run_url: str


class LatestRunsResponse(BaseModel):
    items: list[LatestRun]


class RunStatePatch(RequestBody):
    """Set a run's state: success/failed finish its unfinished task instances, queued clears it."""

    state: Literal["success", "failed", "queued"]

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [{"state": "success"}]})

    @field_validator("state", mode="before")
    @classmethod
    def _state(cls, value: Any) -> Any:
        if value not in SETTABLE_RUN_STATES:
            raise api_error(messages.unknown_state(value, SETTABLE_RUN_STATES))
        return value


class RunDetail(BaseModel):
    dag_id: str
    run_id: str
    execution_date: str
    state: str
    start_date: str | None
    end_date: str | None


class RunListQuery(BaseModel):
    """The query of a run listing (every parameter optional)."""

    state: str | None = Field(
        None,
        description="Filter by state, case-insensitive; empty: no filter",
        # A run state in any case, or empty (documentation only: the service decides, with its message).
        json_schema_extra={"pattern": any_case_pattern(("", *RUN_STATES))},
    )
    limit: int | None = Field(None, ge=1, le=10000, description="At most this many runs (default: all)")
    offset: int = Field(0, ge=0, le=2**31 - 1, description="Skip this many runs")
    execution_date_gte: str | None = Field(
        None,
        description="Only runs at or after this date (a date as in the path)",
        json_schema_extra={"format": "date-time"},
    )
    execution_date_lte: str | None = Field(
        None,
        description="Only runs at or before this date (a date as in the path)",
        json_schema_extra={"format": "date-time"},
    )

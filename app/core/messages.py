"""Every text the API answers with, worded once: docs/api.md's, docs/airflow.md's and dagport's hints.

Where a text is Airflow's, it is Airflow's word for word: clients match on it, so it never changes.
What to do about such a problem goes in ``detail`` as a ``{"loc", "msg"}`` entry (a *hint*), like a
field problem. Services, schemas, the middleware and the backends' capability refusals import their
texts from here; tests/test_messages.py checks that no domain error elsewhere is raised with a
literal text. The DAG-definition compiler words its own problems (app/definitions/spec.py,
docs/dag-definitions.md).

Dates inside messages are written as Python prints them (``2016-11-16 11:34:15+00:00``, the
requested offset kept), as Airflow wrote them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

# -- lookups (docs/api.md section 1, "Errors"; checked in this order: app/core/lookups.py) --------


def dag_not_found(dag_id: str) -> str:
    return f"Dag id {dag_id} not found in DagModel"


def dag_id_not_found(dag_id: str) -> str:
    """The shorter text of the pause and delete endpoints."""
    return f"Dag id {dag_id} not found"


def task_not_found(dag_id: str, task_id: str) -> str:
    return f"Task {task_id} not found in dag {dag_id}"


def run_not_found(dag_id: str, execution_date: object) -> str:
    return f"Dag Run for date {execution_date} not found in dag {dag_id}"


def task_instance_not_found(task_id: str, execution_date: object) -> str:
    return f"Task {task_id} instance for date {execution_date} not found"


def pool_not_found(name: str) -> str:
    return f"Pool '{name}' doesn't exist"


# -- dates (section 2) -----------------------------------------------------------------------------

EXAMPLE_DATE_FORMAT = "2015-11-16T14:34:15+00:00"


def unreadable_date(value: object) -> str:
    return (
        f"Given execution date, {value}, could not be identified as a date. "
        f"Example date format: {EXAMPLE_DATE_FORMAT}"
    )


# -- trigger (3.1) ---------------------------------------------------------------------------------


def triggered(dag_id: str, execution_date: object, run_id: str, state: str, queued_at: object) -> str:
    """The trigger's ``message``: Airflow's repr of the run, which clients parse."""
    return (
        f"Created <DagRun {dag_id} @ {execution_date}: {run_id}, state:{state}, "
        f"queued_at: {queued_at}. externally triggered: True>"
    )


def before_start_date(execution_date: datetime, start_date: datetime) -> str:
    return (
        f"The execution_date [{execution_date.isoformat()}] should be >= "
        f"start_date [{start_date.isoformat()}] from DAG's default_args"
    )


def duplicate_run(dag_id: str, execution_date: object, run_id: str) -> str:
    return f"A DAG Run already exists for DAG {dag_id} at {execution_date} with run id {run_id}"


# A trigger without execution_date is dated now, to the second: a second one in that second collides.
SAME_SECOND_HINT = (
    "A run of this DAG was already triggered in this second (a run without execution_date is dated "
    "now with its microseconds zeroed): pass an execution_date of its own, or "
    '"replace_microseconds": false to keep the microseconds of now'
)


def same_second_detail() -> list[dict[str, str]]:
    return [{"loc": "body.execution_date", "msg": SAME_SECOND_HINT}]


CONF_NOT_AN_OBJECT = "Dag Run conf must be a dictionary object, other types are not supported"
SEND_CONF = "send conf as a JSON object, or as a string holding one"


def conf_is(kind: str) -> str:
    """The hint of a conf that is no object: ``kind`` is "an array", "a number", ..."""
    return f"conf is {kind}, not an object: {SEND_CONF}"


def conf_string_not_json(problem: str, line: int, column: int) -> str:
    return f"conf is a string that is not valid JSON ({problem} at line {line}, column {column}): {SEND_CONF}"


def conf_string_number_too_large(problem: str, line: int, column: int) -> str:
    return f"conf is a string holding {problem} (line {line}, column {column})"


def conf_string_holds(kind: str) -> str:
    return f"conf is a string holding JSON {kind}, not an object: {SEND_CONF}"


def run_id_not_a_string(value: object) -> str:
    return f"run_id must be a string, got {value!r}"


def bad_run_id(value: object) -> str:
    return f"run_id must be 1 to 250 characters without '/', got {value!r}"


def bad_replace_microseconds(value: object) -> str:
    return f"replace_microseconds must be true or false, got '{value}'"


# -- runs: listings (3.2), state changes (4.2) -----------------------------------------------------


def unknown_state(value: object, expected: Iterable[str | None]) -> str:
    """A state outside the ones an endpoint takes (``value`` quoted as given)."""
    allowed = ", ".join("null" if s is None else s for s in expected)
    return f"Invalid state {value!r}; expected one of: {allowed}"


def unknown_listing_state(value: str, expected: Iterable[str]) -> str:
    """The listing's ``state`` filter, quoted as sent (any case) in single quotes."""
    return f"Invalid state '{value}'; expected one of: {', '.join(expected)}"


def repeated_query_parameter(name: str) -> str:
    return invalid_value(f"query.{name}", "given more than once")


def expected_one_value(values: list[str]) -> str:
    return f"Expected one value, got {values!r}"


# -- task instances (4.3) --------------------------------------------------------------------------


def pid_not_an_integer(value: object) -> str:
    return f"pid must be an integer, got {value!r}"


def not_entities(field: str, value: object) -> str:
    return f"{field} must be a list of objects with a string 'type', got {value!r}"


# -- lineage (3.5) ----------------------------------------------------------------------------------


def lineage_of(dag_id: str, execution_date: object) -> str:
    return f"Lineage for dag {dag_id} at {execution_date}"


# -- DAGs (section 3 and 4.1) -----------------------------------------------------------------------


def bad_paused(value: str) -> str:
    return f"paused must be 'true' or 'false', got '{value}'"


def removed(count: int) -> str:
    return f"Removed {count} record(s)"


# What a PUT of YAML without a YAML Content-Type is told (the body is read as JSON then).
YAML_CONTENT_TYPE_HINT = "send YAML with `Content-Type: application/yaml`"

# A backend without the DEFINITIONS capability (docs/airflow.md).
DEFINITIONS_ELSEWHERE = "DAG definitions are Python files in Airflow's DAG bundle; PUT is not available when dagport fronts Airflow"

# -- pools (3.4) ------------------------------------------------------------------------------------

POOL_NAME_EMPTY = "Pool name shouldn't be empty"
DEFAULT_POOL_UNDELETABLE = "default_pool cannot be deleted"


def pool_name_too_long(limit: int) -> str:
    return f"Pool name can't be more than {limit} characters"


def pool_name_not_a_string(value: object) -> str:
    return f"Pool name must be a string, got {value!r}"


def bad_slots(value: object) -> str:
    return f"Bad value for `slots`: {value}"


# -- values of any field -----------------------------------------------------------------------------


def not_a_string(field: str, value: object) -> str:
    return f"{field} must be a string, got {value!r}"


def not_a_string_or_null(field: str, value: object) -> str:
    return f"{field} must be a string or null, got {value!r}"


def not_a_boolean(field: str, value: object) -> str:
    return f"{field} must be true or false, got {value!r}"


def unsafe_identifier(field: str, value: object) -> str:
    return f"{field} must not contain control characters or bidirectional overrides, got {value!r}"


def missing_field(name: object) -> str:
    return f"Missing required field '{name}'"


def invalid_value(loc: str, problem: str) -> str:
    """A query or path parameter's problem (FastAPI's validation, a repeated parameter)."""
    return f"Invalid value for {loc}: {problem}"


def invalid_field(loc: str, problem: str) -> str:
    """A body field's problem, where the validator's own text is not the API's message."""
    return f"Invalid {loc}: {problem}"


def with_value(problem: str, value: object) -> str:
    """A validator's problem, quoting the value it was given."""
    return f"{problem}, got {value!r}"


# -- requests (section 1) ---------------------------------------------------------------------------

BODY_NOT_JSON = "Request body is not valid JSON"
BODY_NOT_AN_OBJECT = "Request body must be a JSON object"
BODY_NOT_UTF8 = "Request body must be UTF-8 text"
BODY_HOLDS_NUL = "Request body contains a NUL character (\\u0000), which cannot be stored"
URL_HOLDS_NUL = "Request URL contains a NUL character"


def body_number_too_large(problem: str, line: int, column: int) -> str:
    return f"Request body holds {problem} (line {line}, column {column})"


def body_too_deep(levels: int) -> str:
    return f"Request body is nested more than {levels} levels deep"


def body_too_large(limit: int) -> str:
    return f"Request body is larger than {limit} bytes"


def head_too_large(limit: int) -> str:
    return f"Request line and headers are larger than {limit} bytes"


def too_many_headers(limit: int) -> str:
    return f"Request has more than {limit} header fields"


def head_too_slow(seconds: float) -> str:
    return f"Request headers not received within {seconds:g} s"


NOT_FOUND = "Not Found"
METHOD_NOT_ALLOWED = "Method Not Allowed"
INTERNAL_ERROR = "Internal server error"

# -- authentication (section 6) ---------------------------------------------------------------------

UNAUTHORIZED = "Unauthorized"  # Airflow's text
ACCEPTED_CREDENTIALS = "send `Authorization: Bearer <token>`, or HTTP Basic with the token as the password"
NO_CREDENTIALS = "No credentials were sent"
UNREADABLE_CREDENTIALS = "The Authorization header is neither `Bearer <token>` nor Basic with a password"
UNKNOWN_TOKEN = "The token is not accepted (unknown or revoked)"
CANNOT_VERIFY = "Cannot verify credentials, try again shortly"


def unauthorized_detail(problem: str) -> list[dict[str, str]]:
    """What a 401 says besides Airflow's "Unauthorized": what was wrong and what is accepted."""
    return [{"loc": "header.Authorization", "msg": f"{problem}: {ACCEPTED_CREDENTIALS}"}]


# -- the store behind dagport -------------------------------------------------------------------------

DATABASE_UNAVAILABLE = "Database unavailable, try again shortly"
CANNOT_STORE = "Invalid input: the database cannot store a value in this request"


def failure(exc: BaseException) -> str:
    """A failure as a log line names it (a token reload that failed: the client is told CANNOT_VERIFY)."""
    return f"{type(exc).__name__}: {exc}"


def not_ready(fronts_airflow: bool) -> str:
    """What /ready says while the store does not answer (section 5)."""
    return "Airflow unavailable" if fronts_airflow else "Database unavailable"


# -- in front of Airflow (docs/airflow.md) ------------------------------------------------------------


def task_instance_state_not_settable(settable: Iterable[str | None], state: str | None) -> str:
    """A backend that lets a client set only some task-instance states (its capabilities)."""
    names = ", ".join("null" if s is None else s for s in settable)
    return (
        f"In front of Airflow a task instance's state can be set to {names} "
        f"(Airflow's scheduler sets the others), got '{state}'"
    )


def unaddressable_run(run_id: str) -> str:
    return (
        f"The run_id {run_id!r} cannot be addressed through Airflow's REST API (a path segment of "
        "only dots, or ~): change this run in Airflow itself"
    )


def unaddressable_pool(name: str) -> str:
    return f"The pool name {name!r} cannot be addressed through Airflow's REST API"


DEFAULT_POOL_DESCRIPTION_FIXED = "Airflow 3 does not let default_pool's description change"
AIRFLOW_REFUSED_CONNECTION = "Airflow refused the connection"
AIRFLOW_REFUSED_SERVICE_CREDENTIALS = "Airflow refused dagport's credentials"
MALFORMED_BASIC = "Malformed HTTP Basic credentials"


def airflow_refused_request(detail: str) -> str:
    return f"Airflow refused the request: {detail}"


def airflow_refused_credentials(detail: str) -> str:
    return f"Airflow refused the credentials: {detail}"


def airflow_timeout(seconds: float) -> str:
    return f"Airflow did not answer within {seconds:g} s"


def airflow_broke_connection(kind: str) -> str:
    return f"Airflow broke the connection ({kind})"


def airflow_answer_not_read(kind: str) -> str:
    return f"Airflow's answer could not be read ({kind})"


def airflow_failed(status: int, reason: str, detail: str) -> str:
    return f"Airflow answered {status} {reason}: {detail}"


def airflow_answered(status: int) -> str:
    return f"Airflow answered {status}"


def airflow_unreadable(model: str, where: str, problem: object) -> str:
    return f"Airflow answered a {model} dagport cannot read ({where}: {problem})"


def airflow_token_endpoint_failed(template: str, status: int) -> str:
    return f"Airflow's {template} answered {status}"


def too_many_airflow_calls(limit: int) -> str:
    return (
        f"This request needs more than {limit} calls to Airflow, the most dagport makes for one "
        "request (DAGPORT_AIRFLOW_MAX_CALLS): ask for less (a smaller limit) or raise that setting"
    )

"""Domain errors: what went wrong, in the API's words (docs/api.md), without HTTP.

Services raise them; ``app/error_handlers.py`` is the one place that maps each kind to its status
and renders the envelope. The messages of the lookups are built here, once, in the order they
are checked: DAG, task, run, task instance. So are the hints that say what to do where the
message itself is Airflow's sentence, which clients match and so must not change: such a hint
goes in ``detail`` as ``{"loc", "msg"}``, like a field problem.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal with the message a client reads and, for field problems, ``detail``."""

    def __init__(
        self, message: str, *, detail: list[dict[str, Any]] | None = None, title: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        # The API's own name for this error where it has one (Airflow 2's stable API puts some
        # messages there: "DAG not found"); the experimental API does not show it.
        self.title = title


class Invalid(DomainError):
    """The request itself is wrong: a bad value, a date before the DAG's start, a blank name."""


class Conflict(DomainError):
    """The request clashes with what exists (a run at that date or with that run id)."""


class NotFound(DomainError):
    """A DAG, task, run, task instance or pool that does not exist."""


class Unavailable(DomainError):
    """The store behind dagport does not answer now; the client may retry."""

    def __init__(self, message: str = "Database unavailable, try again shortly") -> None:
        super().__init__(message)


class StoreFailure(DomainError):
    """The store failed in a way that is neither the client's doing nor an outage (a bug)."""


class TooLarge(DomainError):
    """A request body over the configured limit."""


class InUse(DomainError):
    """What the request would remove is still in use (a fronted Airflow's running task instances)."""


class NotSupported(DomainError):
    """An endpoint the backend serving the API cannot offer (PUT of a definition in front of Airflow)."""


class Unauthenticated(DomainError):
    """The caller's credentials were refused by the system that checks them (Airflow, in passthrough)."""


class Forbidden(DomainError):
    """The caller is known but may not do this (Airflow's permissions, in passthrough)."""


class Disabled(DomainError):
    """The system dagport fronts has the operation switched off by its configuration (Airflow's
    ``[api] expose_config``, ``[core] test_connection``): the message says so."""


class UpstreamFailure(DomainError):
    """The system dagport fronts answered with an error of its own (an Airflow 5xx, refused credentials)."""


class UpstreamTimeout(DomainError):
    """The system dagport fronts did not answer in time."""


class TooMuchWork(DomainError):
    """Answering would take more calls to the system dagport fronts than one request may make."""


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


UNAUTHORIZED = "Unauthorized"  # Airflow's text
ACCEPTED_CREDENTIALS = "send `Authorization: Bearer <token>`, or HTTP Basic with the token as the password"
NO_CREDENTIALS = "No credentials were sent"
UNREADABLE_CREDENTIALS = "The Authorization header is neither `Bearer <token>` nor Basic with a password"
UNKNOWN_TOKEN = "The token is not accepted (unknown or revoked)"


def unauthorized_detail(problem: str) -> list[dict[str, str]]:
    """What a 401 says besides Airflow's "Unauthorized": what was wrong and what is accepted."""
    return [{"loc": "header.Authorization", "msg": f"{problem}: {ACCEPTED_CREDENTIALS}"}]

"""Domain errors: what went wrong, in the API's words (docs/api.md), without HTTP.

Services raise them; ``app/error_handlers.py`` is the one place that maps each kind to its status
and renders the envelope. Their texts are worded in ``app/core/messages.py`` (with the hints that
go in ``detail`` where the message itself is Airflow's sentence), the lookups' order in
``app/core/lookups.py``.
"""

from __future__ import annotations

from typing import Any

from app.core import messages


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

    def __init__(self, message: str = messages.DATABASE_UNAVAILABLE) -> None:
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

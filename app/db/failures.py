"""What a database failure means: the one reading of SQLSTATEs and driver exceptions.

:func:`meaning_of` says what a SQLSTATE stands for; two renderings use it:

- :func:`domain_error_of`: the domain error a failure leaves a unit of work as (app/db/backend.py),
  so no layer above knows a driver's exceptions;
- :func:`database_advice`: the one line of advice a command prints for a database it cannot use
  (app/cli/, app/startup.py), or ``None`` for anything else, which keeps its traceback.
"""

from __future__ import annotations

import os
import socket
from enum import Enum
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from app.config import Settings
from app.core.messages import CANNOT_STORE
from app.errors import DomainError, Invalid, StoreFailure, Unavailable

# SQLSTATE classes that mean "the database is not there right now", not "your request is wrong":
# 08 connection exception, 57 operator intervention (shutting down, starting up), 53 insufficient
# resources (too many connections).
UNAVAILABLE_SQLSTATE_CLASSES = ("08", "57", "53")

# The errors by which asyncpg says the server or the connection is gone.
ASYNCPG_UNAVAILABLE = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
)

# Everything by which a read fails when the database is down, refusing or too slow (a lost
# connection, a refused login, a missing table, a timeout): what a reader that fails closed catches.
READ_FAILURES = (OSError, TimeoutError, SQLAlchemyError, asyncpg.PostgresError, asyncpg.InterfaceError)


class Meaning(Enum):
    """What a SQLSTATE says about a failure."""

    UNAVAILABLE = "the database is not there right now"  # classes 08, 57, 53
    REFUSED_VALUE = "the database cannot store a value"  # class 22, data exception (NUL in text)
    LOGIN_REFUSED = "the login was refused"  # class 28, invalid authorization
    MISSING_DATABASE = "the database does not exist"  # 3D000, invalid catalog name
    OTHER = "any other error the database reports"


def sqlstate_of(exc: BaseException | None) -> str | None:
    value = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    return value if isinstance(value, str) else None


def meaning_of(state: str | None) -> Meaning:
    state = state or ""
    if state[:2] in UNAVAILABLE_SQLSTATE_CLASSES:
        return Meaning.UNAVAILABLE
    if state.startswith("22"):
        return Meaning.REFUSED_VALUE
    if state.startswith("28"):
        return Meaning.LOGIN_REFUSED
    if state == "3D000":
        return Meaning.MISSING_DATABASE
    return Meaning.OTHER


def domain_error_of(exc: BaseException) -> DomainError | None:
    """The domain error a database failure means; ``None`` for what is not a database failure.

    A lost or refused connection, a full pool or a database restarting is ``Unavailable``; a value
    the database refuses (SQLSTATE class 22, e.g. NUL in text on Postgres) is the client's input;
    any other error the database reports is a ``StoreFailure`` (a 500, logged with its cause).
    """
    if isinstance(exc, PoolTimeoutError):
        return Unavailable()
    if isinstance(exc, DBAPIError):
        meaning = meaning_of(sqlstate_of(exc.orig))
        if exc.connection_invalidated or meaning is Meaning.UNAVAILABLE:
            return Unavailable()
        if meaning is Meaning.REFUSED_VALUE:
            return Invalid(CANNOT_STORE)
        return Unavailable() if isinstance(exc, OperationalError) else StoreFailure(str(exc))
    if isinstance(exc, asyncpg.PostgresError):
        meaning = meaning_of(sqlstate_of(exc))
        if meaning is Meaning.UNAVAILABLE:
            return Unavailable()
        return Invalid(CANNOT_STORE) if meaning is Meaning.REFUSED_VALUE else StoreFailure(str(exc))
    if isinstance(exc, (*ASYNCPG_UNAVAILABLE, TimeoutError)):  # TimeoutError: no read connection in time
        return Unavailable()
    return None


def database_advice(exc: BaseException, settings: Settings) -> str | None:
    """One line of advice for a database a command cannot use; ``None`` for anything else (a bug
    keeps its traceback)."""
    url = make_url(settings.database_url)
    if settings.is_sqlite:
        if isinstance(exc, DBAPIError) and "unable to open database file" in str(exc.orig):
            path = Path(url.database or "").resolve()
            return f"cannot open the SQLite file {path}: does {path.parent} exist, and is it writable?"
        return None
    server = f"{url.host or 'localhost'}:{url.port or 5432}"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the database host {url.host!r} ({exc.strerror}): check DAGPORT_DATABASE_URL"
    if isinstance(exc, (OSError, TimeoutError)):
        reason = os.strerror(exc.errno) if exc.errno else str(exc) or type(exc).__name__
        return f"cannot connect to Postgres at {server} ({reason}): is Postgres running?"
    if not isinstance(exc, DBAPIError):
        return None
    meaning = meaning_of(sqlstate_of(exc.orig))
    message = str(exc.orig).splitlines()[0] if str(exc.orig) else type(exc.orig).__name__
    if meaning is Meaning.MISSING_DATABASE:
        user = f" -U {url.username}" if url.username else ""
        create = f"createdb -h {url.host or 'localhost'} -p {url.port or 5432}{user} {url.database}"
        return f'database "{url.database}" does not exist on {server}: create it with `{create}`'
    if meaning is Meaning.LOGIN_REFUSED:
        return f"Postgres at {server} refused the login ({message}): check the user and password"
    if meaning is Meaning.UNAVAILABLE:
        return f"Postgres at {server} cannot take the connection now ({message})"
    return None

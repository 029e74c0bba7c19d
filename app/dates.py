"""execution_date rules (docs/api.md section 2): parsing, matching and formatting in one place.

Every date that enters dagport through a path segment or a JSON value goes through
:func:`parse_date`; every date that leaves it goes through one of the formatters below.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from app.core import messages

# Date (extended or basic form), optional time (extended or basic, seconds and fraction optional),
# optional offset. `(?P<fixed> \d\d:\d\d)` is a `+HH:MM` offset whose `+` a client or proxy
# form-decoded into a space (Airflow's most reported bug read it as midnight and answered 404).
_DATE_RE = re.compile(
    r"""
    ^(?P<year>\d{4})(?P<dsep>-?)(?P<month>\d{2})(?P=dsep)(?P<day>\d{2})
    (?:
        [Tt\ ]
        (?P<hour>\d{2})
        (?:
            (?P<tsep>:?)(?P<minute>\d{2})
            (?:(?P=tsep)(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?
        )
        (?:
            (?P<z>[Zz])
          | (?P<sign>[+-])(?P<oh>\d{2})(?::?(?P<om>\d{2}))?
          | \ (?P<fh>\d{2}):(?P<fm>\d{2})
        )?
    )?$
    """,
    re.VERBOSE | re.ASCII,  # \d means 0-9 only: "٢٠١٦" is not a year here
)


class InvalidDateError(ValueError):
    """A value that cannot be read as an execution date; ``str()`` is the exact 400 message."""

    def __init__(self, value: object) -> None:
        self.value = value
        super().__init__(messages.unreadable_date(value))


# The form nearly every client sends, an aware datetime's isoformat() ("2015-11-16T14:34:15+00:00",
# with or without six fraction digits), with every field in its range: datetime.fromisoformat reads
# it far faster than the general pattern, to the same value (tests/test_dates.py compares both on
# generated strings of this shape, valid or not).
_ISOFORMAT_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{6})?[+-](?:[01]\d|2[0-3]):[0-5]\d",
    re.ASCII,
)


def parse_date(value: object, *, default_tz: tzinfo = UTC) -> datetime:
    """Read ``value`` as an aware datetime, keeping the caller's offset.

    A naive value is placed in ``default_tz``. Anything that is not a string in one of the
    accepted ISO 8601 forms raises :class:`InvalidDateError` (never another exception).
    """
    if type(value) is str and _ISOFORMAT_RE.fullmatch(value):
        try:
            parsed = datetime.fromisoformat(value)
            parsed.astimezone(UTC)  # the instant must exist in UTC, as below
            return parsed
        except (ValueError, OverflowError):
            pass  # a day the month does not have, year 0, ...: the general path says why
    return _parse_general(value, default_tz)


def _parse_general(value: object, default_tz: tzinfo) -> datetime:
    if not isinstance(value, str):
        raise InvalidDateError(value)
    m = _DATE_RE.match(value.strip()) if len(value) <= 64 else None
    if m is None:
        raise InvalidDateError(value)
    g = m.groupdict()
    fraction = g["fraction"] or ""
    microsecond = int((fraction + "000000")[:6]) if fraction else 0
    offset: tzinfo | None = None
    if g["z"]:
        offset = UTC
    elif g["sign"]:
        offset = _fixed_offset(g["sign"], g["oh"], g["om"] or "00", value)
    elif g["fh"]:
        offset = _fixed_offset("+", g["fh"], g["fm"], value)
    try:
        parsed = datetime(
            int(g["year"]),
            int(g["month"]),
            int(g["day"]),
            int(g["hour"] or 0),
            int(g["minute"] or 0),
            int(g["second"] or 0),
            microsecond,
            tzinfo=offset,
        )
        if offset is None:
            parsed = _localize(parsed, default_tz)
        # The instant must exist in UTC too (9999-12-31T23:00-05:00 does not): it is stored in UTC.
        parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidDateError(value) from None
    return parsed


def _fixed_offset(sign: str, hours: str, minutes: str, value: object) -> tzinfo:
    h, m = int(hours), int(minutes)
    if h > 23 or m > 59:
        raise InvalidDateError(value)
    delta = timedelta(hours=h, minutes=m)
    if delta == timedelta(0):
        return UTC
    return timezone(-delta if sign == "-" else delta)


def _localize(naive: datetime, tz: tzinfo) -> datetime:
    aware = naive.replace(tzinfo=tz)
    # Probe the offset now so an out-of-range instant fails here, inside the 400 path.
    aware.utcoffset()
    return aware


def to_utc(value: datetime) -> datetime:
    """The same instant in UTC (what is stored and compared); no work when it already is."""
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def iso_utc(value: datetime | None) -> str | None:
    """JSON date fields: ISO 8601 in UTC, ``+00:00`` never ``Z``, microseconds only when non-zero."""
    if value is None:
        return None
    return to_utc(value).isoformat()


def str_utc(value: datetime | None) -> str:
    """A stored date inside a message or a stringified value, as Python ``str()`` renders it, in UTC."""
    if value is None:
        return "None"
    return str(value.astimezone(UTC))


def dag_run_url(base_url: str, dag_id: str, execution_date: datetime) -> str:
    """Airflow's graph view link: ``str(date)`` in UTC, form-encoded (space -> ``+``, ``+`` -> ``%2B``)."""
    return dag_run_urls(base_url, [dag_id], [to_utc(execution_date).isoformat()])[0]


def dag_run_urls(base_url: str, dag_ids: list[str], iso_dates: list[str]) -> list[str]:
    """:func:`dag_run_url` for many runs, from their UTC dates' ``isoformat()`` text.

    ``str()`` of a UTC datetime is its ISO text with a space for the ``T``, and holds only digits,
    ``-``, ``:``, ``.``, the space and ``+``: the form encoding (``quote_plus(value, safe=":")``)
    is two replacements, done here once over every date joined (no ISO text holds a newline).
    """
    if not iso_dates:
        return []
    encoded = "\n".join(iso_dates).replace("+", "%2B").replace("T", "+").split("\n")
    prefix = f"{base_url}/dags/"
    return [
        f"{prefix}{dag_id}/graph?execution_date={date}" for dag_id, date in zip(dag_ids, encoded, strict=True)
    ]


def utcnow() -> datetime:
    return datetime.now(UTC)

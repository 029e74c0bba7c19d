"""app/dates.py against docs/api.md section 2: parsing, rejecting and formatting execution dates (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.dates import (
    InvalidDateError,
    _parse_general,
    dag_run_url,
    dag_run_urls,
    iso_utc,
    parse_date,
    str_utc,
    to_utc,
)

BERLIN = ZoneInfo("Europe/Berlin")


def message(value: object) -> str:
    return (
        f"Given execution date, {value}, could not be identified as a date. "
        "Example date format: 2015-11-16T14:34:15+00:00"
    )


def assert_rejected(value: object, **kwargs: object) -> None:
    with pytest.raises(InvalidDateError) as caught:
        parse_date(value, **kwargs)
    assert str(caught.value) == message(value)
    assert caught.value.value == value


# -- accepted forms ------------------------------------------------------------------------------

# input -> (isoformat with the caller's offset kept, the same instant in UTC)
ACCEPTED = {
    "2016-11-16T11:34:15": ("2016-11-16T11:34:15+00:00", "2016-11-16T11:34:15+00:00"),
    "2016-11-16T11:34:15Z": ("2016-11-16T11:34:15+00:00", "2016-11-16T11:34:15+00:00"),
    "2016-11-16T11:34:15+00:00": ("2016-11-16T11:34:15+00:00", "2016-11-16T11:34:15+00:00"),
    "2016-11-16T11:34:15-00:00": ("2016-11-16T11:34:15+00:00", "2016-11-16T11:34:15+00:00"),
    "2016-11-16T11:34:15+02:00": ("2016-11-16T11:34:15+02:00", "2016-11-16T09:34:15+00:00"),
    "2016-11-16T11:34:15-05:30": ("2016-11-16T11:34:15-05:30", "2016-11-16T17:04:15+00:00"),
    "2016-11-16T11:34:15+0530": ("2016-11-16T11:34:15+05:30", "2016-11-16T06:04:15+00:00"),
    "2016-11-16T11:34:15+23:59": ("2016-11-16T11:34:15+23:59", "2016-11-15T11:35:15+00:00"),
    "2016-11-16T11:34:15.123456+02:00": (
        "2016-11-16T11:34:15.123456+02:00",
        "2016-11-16T09:34:15.123456+00:00",
    ),
    "2016-11-16 11:34:15": ("2016-11-16T11:34:15+00:00", "2016-11-16T11:34:15+00:00"),
    "2016-11-16 11:34:15+01:00": ("2016-11-16T11:34:15+01:00", "2016-11-16T10:34:15+00:00"),
    "2016-11-16": ("2016-11-16T00:00:00+00:00", "2016-11-16T00:00:00+00:00"),
    "2016-11-16T11:34": ("2016-11-16T11:34:00+00:00", "2016-11-16T11:34:00+00:00"),
    "2016-11-16T11:34+02:00": ("2016-11-16T11:34:00+02:00", "2016-11-16T09:34:00+00:00"),
    "2016-11-16T11:34:15.5": ("2016-11-16T11:34:15.500000+00:00", "2016-11-16T11:34:15.500000+00:00"),
    "2016-11-16T11:34:15.05": ("2016-11-16T11:34:15.050000+00:00", "2016-11-16T11:34:15.050000+00:00"),
    "2016-11-16T11:34:15.123": ("2016-11-16T11:34:15.123000+00:00", "2016-11-16T11:34:15.123000+00:00"),
    "2016-11-16T11:34:15.000001": (
        "2016-11-16T11:34:15.000001+00:00",
        "2016-11-16T11:34:15.000001+00:00",
    ),
    "2016-11-16T11:34:15.000000": ("2016-11-16T11:34:15+00:00", "2016-11-16T11:34:15+00:00"),
    "2016-11-16T11:34:15.1234567": (
        "2016-11-16T11:34:15.123456+00:00",
        "2016-11-16T11:34:15.123456+00:00",
    ),
    "2016-11-16T11:34:15.999999999Z": (
        "2016-11-16T11:34:15.999999+00:00",
        "2016-11-16T11:34:15.999999+00:00",
    ),
    "2016-11-16T11:34:15.123456789+02:00": (
        "2016-11-16T11:34:15.123456+02:00",
        "2016-11-16T09:34:15.123456+00:00",
    ),
    "20161116T113415": ("2016-11-16T11:34:15+00:00", "2016-11-16T11:34:15+00:00"),
    "20161116T113415Z": ("2016-11-16T11:34:15+00:00", "2016-11-16T11:34:15+00:00"),
    "20161116T113415+0200": ("2016-11-16T11:34:15+02:00", "2016-11-16T09:34:15+00:00"),
    "20161116": ("2016-11-16T00:00:00+00:00", "2016-11-16T00:00:00+00:00"),
    "2016-02-29T00:00:00": ("2016-02-29T00:00:00+00:00", "2016-02-29T00:00:00+00:00"),
    # `+HH:MM` whose `+` was form-decoded into a space: read as the offset, not as midnight.
    "2016-11-16T11:34:15 00:00": ("2016-11-16T11:34:15+00:00", "2016-11-16T11:34:15+00:00"),
    "2016-11-16T11:34:15 02:00": ("2016-11-16T11:34:15+02:00", "2016-11-16T09:34:15+00:00"),
    "2016-11-16T11:34:15.123456 05:30": (
        "2016-11-16T11:34:15.123456+05:30",
        "2016-11-16T06:04:15.123456+00:00",
    ),
    "2016-11-16 11:34:15 00:00": ("2016-11-16T11:34:15+00:00", "2016-11-16T11:34:15+00:00"),
    "2016-11-16T11:34 02:00": ("2016-11-16T11:34:00+02:00", "2016-11-16T09:34:00+00:00"),
}


@pytest.mark.parametrize(("value", "expected"), ACCEPTED.items(), ids=list(ACCEPTED))
def test_accepted_form_keeps_the_callers_offset(value: str, expected: tuple[str, str]) -> None:
    parsed = parse_date(value)
    assert parsed.tzinfo is not None
    assert parsed.isoformat() == expected[0]


@pytest.mark.parametrize(("value", "expected"), ACCEPTED.items(), ids=list(ACCEPTED))
def test_accepted_form_names_the_utc_instant(value: str, expected: tuple[str, str]) -> None:
    assert to_utc(parse_date(value)).isoformat() == expected[1]


def test_form_decoded_offset_is_the_same_instant_as_the_plus_form() -> None:
    assert parse_date("2016-11-16T11:34:15 00:00") == parse_date("2016-11-16T11:34:15+00:00")
    assert parse_date("2016-11-16T11:34:15 00:00") != parse_date("2016-11-16T00:00:00+00:00")


def test_z_and_zero_offset_parse_to_utc() -> None:
    assert parse_date("2016-11-16T11:34:15Z").tzinfo is UTC
    assert parse_date("2016-11-16T11:34:15+00:00").tzinfo is UTC


def test_explicit_offset_is_an_offset_not_a_zone() -> None:
    parsed = parse_date("2016-11-16T11:34:15+02:00")
    assert parsed.utcoffset() == timedelta(hours=2)
    assert parsed == datetime(2016, 11, 16, 9, 34, 15, tzinfo=UTC)


# -- naive values in DAGPORT_DEFAULT_TIMEZONE ----------------------------------------------------

BERLIN_NAIVE = {
    # winter time, +01:00
    "2016-11-16T11:34:15": ("2016-11-16T11:34:15+01:00", "2016-11-16T10:34:15+00:00"),
    "2016-11-16": ("2016-11-16T00:00:00+01:00", "2016-11-15T23:00:00+00:00"),
    # summer time, +02:00
    "2016-07-16T11:34:15": ("2016-07-16T11:34:15+02:00", "2016-07-16T09:34:15+00:00"),
    "2016-07-16T11:34:15.5": ("2016-07-16T11:34:15.500000+02:00", "2016-07-16T09:34:15.500000+00:00"),
    # either side of the spring-forward gap (2016-03-27 02:00 -> 03:00)
    "2016-03-27T01:59:59": ("2016-03-27T01:59:59+01:00", "2016-03-27T00:59:59+00:00"),
    "2016-03-27T03:00:00": ("2016-03-27T03:00:00+02:00", "2016-03-27T01:00:00+00:00"),
    # either side of the fall-back overlap (2016-10-30 03:00 -> 02:00)
    "2016-10-30T01:59:59": ("2016-10-30T01:59:59+02:00", "2016-10-29T23:59:59+00:00"),
    "2016-10-30T03:00:00": ("2016-10-30T03:00:00+01:00", "2016-10-30T02:00:00+00:00"),
}


@pytest.mark.parametrize(("value", "expected"), BERLIN_NAIVE.items(), ids=list(BERLIN_NAIVE))
def test_naive_value_is_in_the_default_timezone(value: str, expected: tuple[str, str]) -> None:
    parsed = parse_date(value, default_tz=BERLIN)
    assert parsed.isoformat() == expected[0]
    assert to_utc(parsed).isoformat() == expected[1]


@pytest.mark.parametrize("value", ["2016-03-27T02:30:00", "2016-10-30T02:30:00"])
def test_naive_value_in_a_dst_transition_is_accepted(value: str) -> None:
    parsed = parse_date(value, default_tz=BERLIN)
    assert parsed.utcoffset() in (timedelta(hours=1), timedelta(hours=2))
    assert parsed.replace(tzinfo=None) == datetime.fromisoformat(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2016-07-16T11:34:15Z", "2016-07-16T11:34:15+00:00"),
        ("2016-07-16T11:34:15+00:00", "2016-07-16T11:34:15+00:00"),
        ("2016-07-16T11:34:15-03:00", "2016-07-16T11:34:15-03:00"),
        ("2016-07-16T11:34:15 05:00", "2016-07-16T11:34:15+05:00"),
    ],
)
def test_explicit_offset_ignores_the_default_timezone(value: str, expected: str) -> None:
    assert parse_date(value, default_tz=BERLIN).isoformat() == expected


# -- rejects -------------------------------------------------------------------------------------

REJECTED = [
    "foo",
    "2016-13-01",
    "2016-00-10",
    "2016-11-00",
    "2016-11-32",
    "2016-02-30",
    "2015-02-29",
    "1479296055",
    "1479296055.123",
    "",
    " ",
    "2016",
    "2016-11",
    "2016-11-16T",
    "2016-11-16T11",
    "2016-11-16T11:34:15.",
    "2016-11-16T24:00:00",
    "2016-11-16T25:00:00",
    "2016-11-16T11:60:00",
    "2016-11-16T11:34:60",
    "16-11-16",
    "2016/11/16",
    "16.11.2016",
    "Nov 16 2016",
    "2016-11-16T11:34:15+24:00",
    "2016-11-16T11:34:15-24:00",
    "2016-11-16T11:34:15+99:00",
    "2016-11-16T11:34:15+05:60",
    "2016-11-16T11:34:15 24:00",
    "2016-11-16T11:34:15 12:60",
    "2016-11-16T11:34:15+5",
    "2016-11-16T11:34:15+00:00:00",
    "2016-11-16T11:34:15+00:00x",
    "2016-11-16T11:34:15Zfoo",
    "2016-11-16T11:34:15 UTC",
    "2016-11-16T11:34:15  00:00",
    "2016-11-16T11:34:15 0000",
    "2016-11-16T11:34:15 garbage",
    "2016-11-16foo",
    "2016-11-16T11:34:15\x00",
    "2016-11-16\x00T11:34:15",
    "2016-11-16T11:34:15;DROP TABLE dag_run",
    "2016-11-16T11:34:15" + "x" * 10_000,
    "9" * 10_000,
    "2016-11-16T11:34:15." + "1" * 10_000,
]


@pytest.mark.parametrize("value", REJECTED, ids=[v[:40] or "<empty>" for v in REJECTED])
def test_unreadable_string_is_rejected_with_the_airflow_message(value: str) -> None:
    assert_rejected(value)


@pytest.mark.parametrize("value", [None, True, False, 1479296055, 1479296055.0, [], {}, b"2016-11-16"])
def test_non_string_is_rejected_with_the_airflow_message(value: object) -> None:
    assert_rejected(value)


def test_reject_message_names_the_input_exactly() -> None:
    with pytest.raises(InvalidDateError) as caught:
        parse_date("foo")
    assert str(caught.value) == (
        "Given execution date, foo, could not be identified as a date. "
        "Example date format: 2015-11-16T14:34:15+00:00"
    )
    with pytest.raises(InvalidDateError) as caught:
        parse_date(1479296055)
    assert str(caught.value) == (
        "Given execution date, 1479296055, could not be identified as a date. "
        "Example date format: 2015-11-16T14:34:15+00:00"
    )


def test_invalid_date_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_date("2016-13-01")


def test_rejects_do_not_depend_on_the_default_timezone() -> None:
    assert_rejected("2016-02-30", default_tz=BERLIN)
    assert_rejected("2016-11-16T11:34:15+24:00", default_tz=BERLIN)


@pytest.mark.parametrize("value", ["٢٠١٦-١١-١٦", "２０１６-１１-１６T１１:３４:１５"])
def test_non_ascii_digits_are_rejected(value: str) -> None:
    assert_rejected(value)


@pytest.mark.parametrize(
    ("value", "default_tz"),
    [
        ("0001-01-01T00:00:00+01:00", UTC),
        ("9999-12-31T23:59:59-01:00", UTC),
        ("0001-01-01T00:00:00", BERLIN),
    ],
)
def test_value_without_a_utc_instant_is_rejected(value: str, default_tz: ZoneInfo) -> None:
    assert_rejected(value, default_tz=default_tz)


# -- formatting ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2016, 11, 16, 11, 34, 15, tzinfo=UTC), "2016-11-16T11:34:15+00:00"),
        (datetime(2016, 11, 16, 11, 34, 15, 123456, tzinfo=UTC), "2016-11-16T11:34:15.123456+00:00"),
        (datetime(2016, 11, 16, 11, 34, 15, 500000, tzinfo=UTC), "2016-11-16T11:34:15.500000+00:00"),
        (
            datetime(2016, 11, 16, 13, 34, 15, tzinfo=timezone(timedelta(hours=2))),
            "2016-11-16T11:34:15+00:00",
        ),
        (datetime(2016, 7, 16, 11, 34, 15, 1, tzinfo=BERLIN), "2016-07-16T09:34:15.000001+00:00"),
        (None, None),
    ],
)
def test_iso_utc_is_utc_with_plus_zero_and_microseconds_only_when_non_zero(
    value: datetime | None, expected: str | None
) -> None:
    assert iso_utc(value) == expected


def test_iso_utc_never_writes_z() -> None:
    assert not iso_utc(parse_date("2016-11-16T11:34:15Z")).endswith("Z")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2016, 11, 16, 11, 34, 15, tzinfo=UTC), "2016-11-16 11:34:15+00:00"),
        (datetime(2016, 11, 16, 11, 34, 15, 123456, tzinfo=UTC), "2016-11-16 11:34:15.123456+00:00"),
        (
            datetime(2016, 11, 16, 13, 34, 15, tzinfo=timezone(timedelta(hours=2))),
            "2016-11-16 11:34:15+00:00",
        ),
        (datetime(2016, 11, 16, 11, 34, 15, tzinfo=BERLIN), "2016-11-16 10:34:15+00:00"),
        (None, "None"),
    ],
)
def test_str_utc_is_python_str_in_utc(value: datetime | None, expected: str) -> None:
    assert str_utc(value) == expected


@pytest.mark.parametrize(
    ("base_url", "dag_id", "value", "expected"),
    [
        (
            "",
            "example_bash",
            datetime(2016, 11, 16, 11, 34, 15, tzinfo=UTC),
            "/dags/example_bash/graph?execution_date=2016-11-16+11:34:15%2B00:00",
        ),
        (
            "",
            "example_bash",
            datetime(2016, 11, 22, 11, 34, 15, 123456, tzinfo=UTC),
            "/dags/example_bash/graph?execution_date=2016-11-22+11:34:15.123456%2B00:00",
        ),
        (
            "",
            "example_bash",
            datetime(2016, 11, 19, 11, 34, 15, tzinfo=timezone(timedelta(hours=2))),
            "/dags/example_bash/graph?execution_date=2016-11-19+09:34:15%2B00:00",
        ),
        (
            "https://airflow.example.com",
            "simple_dag",
            datetime(2016, 11, 1, tzinfo=UTC),
            "https://airflow.example.com/dags/simple_dag/graph?execution_date=2016-11-01+00:00:00%2B00:00",
        ),
        (
            "https://example.com/airflow",
            "simple_dag",
            datetime(2016, 11, 16, 11, 34, 15, tzinfo=BERLIN),
            "https://example.com/airflow/dags/simple_dag/graph?execution_date=2016-11-16+10:34:15%2B00:00",
        ),
    ],
)
def test_dag_run_url_form_encodes_str_of_the_utc_date(
    base_url: str, dag_id: str, value: datetime, expected: str
) -> None:
    assert dag_run_url(base_url, dag_id, value) == expected


# -- properties ----------------------------------------------------------------------------------

NEAR_DATES = st.from_regex(
    r"\d{4}-?\d{2}-?\d{2}([T ]\d{2}(:?\d{2}(:?\d{2}([.,]\d{1,12})?)?)?)?(Z|[+-]\d{2}(:?\d{2})?| \d{2}:\d{2})?",
    fullmatch=True,
)
# Whole-minute offsets strictly inside a day (what an ISO 8601 / RFC 3339 offset can say).
OFFSETS = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
FIXED = st.builds(
    lambda naive, tz: naive.replace(tzinfo=tz),
    # A day's margin at both ends so every value has a UTC instant.
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.one_of(st.just(UTC), OFFSETS),
)
# Zones whose offsets are whole minutes over these years (no local mean time), DST gaps and folds included.
ZONED = st.builds(
    lambda naive, tz: naive.replace(tzinfo=tz),
    st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2200, 1, 1)),
    st.sampled_from([BERLIN, ZoneInfo("America/St_Johns"), ZoneInfo("Australia/Lord_Howe")]),
)
AWARE = st.one_of(FIXED, ZONED)


def same_instant_and_offset(parsed: datetime, value: datetime) -> bool:
    # Compared in UTC: Python never calls a datetime in a DST fold equal to one in another zone.
    return to_utc(parsed) == to_utc(value) and parsed.utcoffset() == value.utcoffset()


# Strings shaped like an aware datetime's isoformat(), any digits (out-of-range fields included).
ISOFORMAT_SHAPED = st.from_regex(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?[+-]\d{2}:\d{2}", fullmatch=True
)


def assert_fast_path_reads_as_general(value: str) -> None:
    """parse_date (which may take the fromisoformat path) answers exactly as the general pattern:
    the same datetime with the same offset and tzinfo, or the same error."""
    answers: list[datetime | str] = []
    for parse in (parse_date, lambda v: _parse_general(v, UTC)):
        try:
            answers.append(parse(value))
        except InvalidDateError as exc:
            answers.append(str(exc))
    parsed, expected = answers
    assert parsed == expected
    if isinstance(parsed, datetime):
        assert isinstance(expected, datetime)
        assert (parsed.tzinfo, parsed.utcoffset()) == (expected.tzinfo, expected.utcoffset())


@given(st.one_of(ISOFORMAT_SHAPED, FIXED.map(datetime.isoformat)))
def test_the_isoformat_fast_path_reads_what_the_general_pattern_reads(value: str) -> None:
    assert_fast_path_reads_as_general(value)


@pytest.mark.parametrize(
    "value",
    [
        "2020-01-01T00:00:00+00:00",
        "2020-01-01T00:00:00-00:00",
        "2020-01-01T00:00:00.000001+05:30",
        "2020-01-01T00:00:00+05:60",  # fromisoformat alone would read it as +06:00
        "2020-01-01T00:00:00+24:00",
        "2020-01-01T24:00:00+00:00",
        "2020-02-30T00:00:00+00:00",
        "0000-01-01T00:00:00+00:00",
        "0001-01-01T00:00:00+01:00",  # no UTC instant
        "9999-12-31T23:00:00-05:00",  # no UTC instant
        "2020-01-01T00:00:00.1234567+00:00",
    ],
)
def test_edges_of_the_isoformat_fast_path(value: str) -> None:
    assert_fast_path_reads_as_general(value)


@given(st.one_of(st.text(), NEAR_DATES))
def test_any_text_parses_to_an_aware_datetime_or_raises_invalid_date(value: str) -> None:
    try:
        parsed = parse_date(value)
    except InvalidDateError as exc:
        assert str(exc) == message(value)
    else:
        assert parsed.tzinfo is not None
        assert parsed.utcoffset() is not None
        assert to_utc(parsed) == parsed  # the instant exists in UTC (it is stored there)


@given(st.one_of(st.text(), NEAR_DATES))
def test_any_text_in_a_zone_parses_to_an_aware_datetime_or_raises_invalid_date(value: str) -> None:
    try:
        parsed = parse_date(value, default_tz=BERLIN)
    except InvalidDateError as exc:
        assert str(exc) == message(value)
    else:
        assert parsed.utcoffset() is not None
        assert to_utc(parsed) == parsed


@given(AWARE)
def test_isoformat_of_any_aware_datetime_round_trips(value: datetime) -> None:
    parsed = parse_date(value.isoformat())
    assert parsed.isoformat() == value.isoformat()
    assert same_instant_and_offset(parsed, value)


@given(AWARE)
def test_str_of_any_aware_datetime_round_trips(value: datetime) -> None:
    assert same_instant_and_offset(parse_date(str(value)), value)


@given(AWARE)
def test_iso_utc_output_parses_back_to_the_same_instant(value: datetime) -> None:
    assert to_utc(parse_date(iso_utc(value))) == to_utc(value)  # type: ignore[arg-type]


@given(st.lists(AWARE, max_size=20))
def test_batch_formatting_matches_isoformat_and_quote_plus_of_str(values: list[datetime]) -> None:
    """The listings' links (dag_run_urls, from the dates' isoformat() text as the database writes
    it: tests/routers/test_dag_runs.py) against the plain definition."""
    from urllib.parse import quote_plus

    utc = [to_utc(v) for v in values]
    texts = [v.isoformat() for v in utc]  # type: ignore[union-attr]
    dag_ids = [f"dag_{i}" for i in range(len(values))]
    expected = [
        f"http://ui/dags/{d}/graph?execution_date={quote_plus(str(v), safe=':')}"
        for d, v in zip(dag_ids, utc, strict=True)
    ]
    assert dag_run_urls("http://ui", dag_ids, texts) == expected

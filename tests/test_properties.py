"""Properties, with hypothesis, of two input-heavy parts of the API, through HTTP on both databases.

- Dates (docs/api.md section 2): whatever text stands in the `{execution_date}` segment of
  GET /dags/example_bash/dag_runs/{execution_date}, the answer is the run's state (200), the 404 of
  a parsed date without a run, or the 400 whose text is exactly Airflow's; never a 5xx. The
  parser's own properties are in tests/test_dates.py.
- DAG definitions (docs/dag-definitions.md): a random valid definition is stored (201, or 200 when it
  replaces one), its text comes back unchanged from /code, its task ids in order from GET /dags/{id},
  and each task's fields from GET /tasks/{task_id}; a valid definition with one defect put in
  (unknown key, wrong type, duplicate task_id, unknown upstream, cycle, end before start, empty
  task list, a tag over 100 characters, an integer beyond 64 bits in a free-form object) is a 400
  whose `detail` names the place and quotes the value, and nothing is stored (nor replaced).

Hypothesis runs derandomized with a bounded number of examples, so CI is deterministic and quick.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.dates import InvalidDateError, iso_utc, parse_date, str_utc
from app.definitions.spec import TRIGGER_RULES, WEIGHT_RULES
from tests.helpers import date_error, put_dag, reference_definition

BOUNDED = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    # `client` and the seeded state are per test, shared by its examples, on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NUL_URL = "Request URL contains a NUL character"


def answer(response: httpx.Response) -> tuple[int, dict[str, Any]]:
    """Status and JSON body; an error's request id is checked against the header and taken out."""
    body = response.json()
    if response.status_code >= 400:
        assert body.pop("request_id") == response.headers["x-request-id"]
    return response.status_code, body


# -- dates through HTTP ---------------------------------------------------------------------------

RUN_DATE = "2016-11-16T00:00:00+00:00"
RUN_INSTANT = datetime(2016, 11, 16, tzinfo=UTC)


def two_digits(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map("{:02d}".format)


# Date-like text assembled from parts, valid or nearly so: out-of-range fields, odd separators,
# offsets with and without a colon or sign (a space is a form-decoded `+`), 0 to 9 fraction digits.
YEARS = st.sampled_from(["2016", "0001", "9999", "0000"]) | st.text("0123456789", min_size=1, max_size=6)
TIMES = st.builds(
    "{}{}{}{}{}".format,
    st.sampled_from(["T", "t", " ", "_"]),
    two_digits(0, 24),
    st.sampled_from([":", ""]),
    two_digits(0, 60),
    st.just("") | st.builds("{}{}".format, st.sampled_from([":", ""]), two_digits(0, 60)),
)
FRACTIONS = st.just("") | st.builds(
    "{}{}".format, st.sampled_from([".", ","]), st.text("0123456789", max_size=9)
)
OFFSETS = st.sampled_from(["", "Z", "z"]) | st.builds(
    "{}{}{}{}".format,
    st.sampled_from(["+", "-", " "]),
    two_digits(0, 25),
    st.sampled_from([":", ""]),
    st.just("") | two_digits(0, 60),
)
DATE_LIKE = st.builds(
    "{}{}{}{}{}{}{}{}{}{}".format,
    st.sampled_from(["", " "]),
    YEARS,
    st.sampled_from(["-", ""]),
    two_digits(0, 13),
    st.sampled_from(["-", ""]),
    two_digits(0, 32),
    st.just("") | TIMES,
    FRACTIONS,
    OFFSETS,
    st.sampled_from(["", " ", "\t"]),
)
# The run's own instant, in forms that must all find it.
RUN_DATE_TEXTS = [
    RUN_DATE,
    "2016-11-16",
    "2016-11-16T00:00:00Z",
    "2016-11-16 00:00:00 00:00",
    "2016-11-16T01:00:00+01:00",
    "2016-11-15T19:00:00-05:00",
    "20161116T000000",
    "2016-11-16T00:00:00.000000+00:00",
]
RUN_DATE_FORMS = st.sampled_from(RUN_DATE_TEXTS)
# Any text but `/` (a path segment cannot hold one) and surrogates (not UTF-8 encodable).
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="/"), min_size=1)


def segment(text: str) -> str:
    """Every byte percent-encoded: the app must decode the segment exactly once."""
    return "".join(f"%{byte:02X}" for byte in text.encode())


def expected_date_answer(text: str) -> tuple[int, dict[str, Any]]:
    if "\x00" in text:
        return 400, {"error": NUL_URL}  # refused before routing, whatever the route (app/middleware.py)
    try:
        parsed = parse_date(text)
    except InvalidDateError:
        return 400, {"error": date_error(text)}
    if parsed == RUN_INSTANT:
        return 200, {"state": "queued"}
    return 404, {"error": f"Dag Run for date {parsed} not found in dag example_bash"}


@pytest.fixture
async def example_bash_run(client: httpx.AsyncClient) -> None:
    await put_dag(client, reference_definition("example_bash"))
    response = await client.post("/dags/example_bash/dag_runs", json={"execution_date": RUN_DATE})
    assert response.status_code == 200, response.text


async def assert_date_segment_answer(client: httpx.AsyncClient, text: str) -> None:
    response = await client.get(f"/dags/example_bash/dag_runs/{segment(text)}")
    event(f"status {response.status_code}")  # --hypothesis-show-statistics shows the mix
    assert answer(response) == expected_date_answer(text)


@BOUNDED
@given(text=ANY_TEXT)
async def test_any_text_as_the_date_segment_is_the_run_a_404_or_the_date_400(
    client, example_bash_run, text
) -> None:
    await assert_date_segment_answer(client, text)


@BOUNDED
@given(text=DATE_LIKE | RUN_DATE_FORMS)
async def test_date_like_text_as_the_date_segment_is_the_run_a_404_or_the_date_400(
    client, example_bash_run, text
) -> None:
    await assert_date_segment_answer(client, text)


async def test_the_run_date_forms_all_find_the_run(client, example_bash_run) -> None:
    """The strategy above can only show the 200 path if these forms do reach it."""
    for text in RUN_DATE_TEXTS:
        assert answer(await client.get(f"/dags/example_bash/dag_runs/{segment(text)}")) == (
            200,
            {"state": "queued"},
        )


# -- DAG definitions --------------------------------------------------------------------------------

ABSENT = object()  # a field left out of the document
# docs/dag-definitions.md ids; `.` and `..` are excluded because an HTTP client folds them as path segments.
IDS = st.from_regex(r"[A-Za-z0-9_.-]{1,30}", fullmatch=True).filter(lambda v: v not in (".", ".."))
TEXT = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12
) | st.sampled_from(
    ["\\u0000", "\\\\u0000", "ü", "\u2028", "'\"", "{{ ds }}"]  # a backslash-u text is not a NUL
)
NONEMPTY = TEXT.filter(bool)
TAGS = st.lists(TEXT | st.just("t" * 100), max_size=3)  # 100 characters: the longest tag
INT32 = st.integers(-(2**31), 2**31 - 1)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
OBJECTS = st.dictionaries(TEXT, JSON_VALUES, max_size=3)
ENTITIES = st.lists(
    st.fixed_dictionaries({"type": NONEMPTY}, optional={"url": TEXT, "name": TEXT}), max_size=2
)
DURATIONS = st.integers(0, 10**6) | st.builds(
    "{}:{:02d}:{:02d}".format, st.integers(0, 99), st.integers(0, 59), st.integers(0, 59)
)
# Task fields with their types (docs/dag-definitions.md); dates are drawn per definition, in order.
TASK_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "operator": NONEMPTY,
    "owner": TEXT,
    "email": st.none() | TEXT | st.lists(TEXT, max_size=2),
    "email_on_failure": st.booleans(),
    "email_on_retry": st.booleans(),
    "retries": st.integers(0, 2**31 - 1),
    "retry_delay": DURATIONS,
    "retry_exponential_backoff": st.booleans(),
    "max_retry_delay": st.none() | DURATIONS,
    "execution_timeout": st.none() | DURATIONS,
    "depends_on_past": st.booleans(),
    "wait_for_downstream": st.booleans(),
    "pool": NONEMPTY,
    "pool_slots": st.integers(1, 2**31 - 1),
    "queue": NONEMPTY,
    "priority_weight": INT32,
    "weight_rule": st.sampled_from(WEIGHT_RULES),
    "trigger_rule": st.sampled_from(TRIGGER_RULES),
    "params": OBJECTS,
    "inlets": ENTITIES,
    "outlets": ENTITIES,
    "doc_md": st.none() | TEXT,
}
TASK_DEFAULTS = {"operator": "EmptyOperator", "owner": "airflow", "retries": 0, "pool": "default_pool"}
TASK_DEFAULTS |= {"queue": "default", "pool_slots": 1, "priority_weight": 1, "weight_rule": "downstream"}
TASK_DEFAULTS |= {"trigger_rule": "all_success", "email": None, "email_on_failure": True}
TASK_DEFAULTS |= {"depends_on_past": False, "retry_delay": 300, "max_retry_delay": None}
TASK_DEFAULTS |= {"execution_timeout": None, "params": {}, "inlets": [], "outlets": [], "doc_md": None}
DATES = st.builds(
    lambda naive, tz: naive.replace(tzinfo=tz),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1)),
    st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=5, minutes=30))]),
)


def optional(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.just(ABSENT) | values


def put_in(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not ABSENT:
        target[key] = value


@st.composite
def valid_definitions(draw: st.DrawFn) -> dict[str, Any]:
    """A definition docs/dag-definitions.md accepts: unique ids, upstream only to earlier tasks (no cycle),
    fields of their types, and dates drawn in order (start <= middle <= end) so no end precedes a start."""
    task_ids = draw(st.lists(IDS, min_size=1, max_size=6, unique=True))
    start, middle, end = (d.isoformat() for d in sorted(draw(st.lists(DATES, min_size=3, max_size=3))))
    doc: dict[str, Any] = {"dag_id": draw(IDS)}
    put_in(doc, "description", draw(optional(st.none() | TEXT)))
    put_in(doc, "schedule_interval", draw(optional(st.none() | TEXT)))
    put_in(doc, "start_date", draw(optional(st.none() | st.just(start))))
    put_in(doc, "end_date", draw(optional(st.none() | st.just(end))))
    put_in(doc, "is_paused_upon_creation", draw(optional(st.booleans())))
    put_in(doc, "tags", draw(optional(TAGS)))
    defaults = draw(st.fixed_dictionaries({}, optional=TASK_FIELDS))
    put_in(defaults, "start_date", draw(optional(st.just(start))))
    put_in(defaults, "end_date", draw(optional(st.just(end))))
    put_in(doc, "default_args", defaults if defaults or draw(st.booleans()) else ABSENT)
    doc["tasks"] = []
    for i, task_id in enumerate(task_ids):
        task = {"task_id": task_id, **draw(st.fixed_dictionaries({}, optional=TASK_FIELDS))}
        earlier = st.lists(st.sampled_from(task_ids[:i]), max_size=3, unique=True) if i else st.just([])
        put_in(task, "upstream", draw(optional(earlier)))
        put_in(task, "start_date", draw(optional(st.none() | st.just(middle))))
        put_in(task, "end_date", draw(optional(st.none() | st.just(end))))
        put_in(task, "arguments", draw(optional(OBJECTS)))
        doc["tasks"].append(task)
    return doc


def definition_text(doc: dict[str, Any], *, indent: int | None, ascii_only: bool) -> str:
    return json.dumps(doc, indent=indent, ensure_ascii=ascii_only)


TEXT_STYLES = st.fixed_dictionaries({"indent": st.sampled_from([None, 2]), "ascii_only": st.booleans()})


def field(doc: dict[str, Any], task: dict[str, Any], key: str) -> Any:
    """A task's value of ``key``: its own, else default_args', else Airflow's default."""
    return task.get(key, doc.get("default_args", {}).get(key, TASK_DEFAULTS.get(key)))


def duration(value: int | str | None) -> timedelta | None:
    """A drawn duration: seconds, or `H:MM:SS`."""
    if isinstance(value, str):
        hours, minutes, seconds = map(int, value.split(":"))
        return timedelta(hours=hours, minutes=minutes, seconds=seconds)
    return None if value is None else timedelta(seconds=value)


def py_str(value: Any) -> str:
    return "None" if value is None else str(value)


def python_set(values: list[str]) -> str:
    return "{" + ", ".join(repr(v) for v in sorted(values)) + "}" if values else "set()"


# docs/api.md 3.3: the fixed keys of task info.
TASK_INFO_KEYS = {
    *("task_id", "dag_id", "operator", "owner", "email", "email_on_failure", "email_on_retry", "retries"),
    *("retry_delay", "retry_exponential_backoff", "max_retry_delay", "execution_timeout", "start_date"),
    *("end_date", "depends_on_past", "wait_for_downstream", "pool", "pool_slots", "queue"),
    *("priority_weight", "weight_rule", "trigger_rule", "params", "inlets", "outlets", "doc_md"),
    *("upstream_task_ids", "downstream_task_ids"),
}


def expected_task_info(doc: dict[str, Any], task: dict[str, Any]) -> dict[str, str]:
    """The task info fields checked: identity, the fields drawn above, and the graph."""
    downstream = [t["task_id"] for t in doc["tasks"] if task["task_id"] in t.get("upstream", [])]
    info = {"task_id": task["task_id"], "dag_id": doc["dag_id"]}
    for key in ("operator", "owner", "pool", "queue", "weight_rule", "trigger_rule"):
        info[key] = field(doc, task, key)
    for key in ("retries", "pool_slots", "priority_weight", "email", "email_on_failure", "depends_on_past"):
        info[key] = py_str(field(doc, task, key))
    for key in ("retry_delay", "max_retry_delay", "execution_timeout"):
        info[key] = py_str(duration(field(doc, task, key)))
    for key in ("params", "inlets", "outlets", "doc_md"):
        info[key] = py_str(field(doc, task, key))
    for key in ("start_date", "end_date"):
        # A task's own date, else default_args', else the DAG's (whose start falls back to default_args').
        own = task.get(key) or doc.get("default_args", {}).get(key) or doc.get(key)
        info[key] = str_utc(parse_date(own) if own else None)
    info["upstream_task_ids"] = python_set(task.get("upstream", []))
    info["downstream_task_ids"] = python_set(downstream)
    return info


async def stored_dag(client: httpx.AsyncClient, dag_id: str) -> tuple[int, dict[str, Any]]:
    return answer(await client.get(f"/dags/{dag_id}"))


async def stored_state(client: httpx.AsyncClient, dag_id: str) -> tuple[tuple[int, Any], tuple[int, Any]]:
    """The DAG's detail and its source text, as the API shows them."""
    code = await client.get(f"/dags/{dag_id}/code")
    source = (code.status_code, code.text) if code.status_code == 200 else answer(code)
    return await stored_dag(client, dag_id), source


@BOUNDED
@given(doc=valid_definitions(), style=TEXT_STYLES)
async def test_a_valid_definition_is_stored_and_read_back_as_submitted(client, doc, style) -> None:
    dag_id, task_ids = doc["dag_id"], [t["task_id"] for t in doc["tasks"]]
    existed = (await client.get(f"/dags/{dag_id}")).status_code == 200
    text = definition_text(doc, **style)

    response = await client.put(f"/dags/{dag_id}", content=text, headers={"Content-Type": "application/json"})

    assert response.status_code == (200 if existed else 201), response.text
    code = await client.get(f"/dags/{dag_id}/code")
    assert (code.status_code, code.headers["content-type"], code.text) == (
        200,
        "text/plain; charset=utf-8",
        text,
    )
    status, detail = await stored_dag(client, dag_id)
    start = doc.get("start_date") or doc.get("default_args", {}).get("start_date")
    assert status == 200
    assert detail["tasks"] == task_ids
    if not existed:  # a replacement keeps the pause state
        assert detail["is_paused"] is doc.get("is_paused_upon_creation", True)
    assert detail["owners"] == sorted({field(doc, t, "owner") for t in doc["tasks"]})
    assert detail["tags"] == doc.get("tags", [])
    assert detail["start_date"] == iso_utc(parse_date(start) if start else None)
    assert (detail["description"], detail["schedule_interval"]) == (
        doc.get("description"),
        doc.get("schedule_interval"),
    )
    for task in doc["tasks"]:
        status, info = answer(await client.get(f"/dags/{dag_id}/tasks/{task['task_id']}"))
        assert status == 200
        expected = expected_task_info(doc, task)
        assert {key: info[key] for key in expected} == expected
        # Operator arguments show as strings too, except where a task attribute has the same name.
        arguments = {k: v for k, v in task.get("arguments", {}).items() if k not in TASK_INFO_KEYS}
        assert {k: info[k] for k in arguments} == {k: py_str(v) for k, v in arguments.items()}


# -- invalid definitions: one defect put into a valid one ------------------------------------------

KNOWN_TASK_KEYS = {*TASK_FIELDS, "task_id", "upstream", "start_date", "end_date", "arguments"}
UNKNOWN_KEYS = st.sampled_from(
    ["retrys", "upstreams", "Owner", "dependencies", "pool_slot"]
) | NONEMPTY.filter(lambda key: key not in KNOWN_TASK_KEYS)
# Values each field refuses, and its message (the value quoted as Python's repr).
WRONG_TYPES: dict[str, tuple[str, list[Any]]] = {
    "retries": ("retries must be an integer >= 0, got {!r}", ["3", 1.5, True, -1, None]),
    "pool_slots": ("pool_slots must be an integer >= 1, got {!r}", [0, "1", False]),
    "priority_weight": ("priority_weight must be an integer, got {!r}", ["1", 2.5, None]),
    "owner": ("owner must be a string, got {!r}", [1, None, ["a"]]),
    "pool": ("pool must be a non-empty string, got {!r}", ["", 5]),
    "operator": ("operator must be a non-empty string, got {!r}", ["", None]),
    "email_on_failure": ("email_on_failure must be true or false, got {!r}", ["yes", 1, None]),
    "weight_rule": ("weight_rule must be one of: downstream, upstream, absolute; got {!r}", ["sideways", 1]),
    "params": ("params must be an object, got {!r}", [[], "x", 3]),
    "doc_md": ("doc_md must be a string or null, got {!r}", [5, []]),
    "retry_delay": (
        "retry_delay must be a number of seconds >= 0 or an 'H:MM:SS' string, got {!r}",
        [-1, "5 minutes"],
    ),
}


DEFECTS = (
    "unknown key",
    "wrong type",
    "duplicate",
    "unknown upstream",
    "cycle",
    "end before start",
    "empty",
    "long tag",
    "huge integer",
)


@st.composite
def broken_definitions(draw: st.DrawFn, defect: str) -> tuple[dict[str, Any], str, str]:
    """A valid definition with ``defect`` put in, the `loc` naming it and a text its message holds."""
    doc = draw(valid_definitions())
    tasks = doc["tasks"]
    i = draw(st.integers(0, len(tasks) - 1))
    task = tasks[i]
    if defect == "unknown key":
        key = draw(UNKNOWN_KEYS)
        task[key] = draw(JSON_VALUES)
        return doc, f"tasks[{i}].{key}", f"Unknown key {key!r}"
    if defect == "wrong type":
        name = draw(st.sampled_from(sorted(WRONG_TYPES)))
        message, values = WRONG_TYPES[name]
        task[name] = value = draw(st.sampled_from(values))
        return doc, f"tasks[{i}].{name}", message.format(value)
    if defect == "duplicate":
        tasks.append({"task_id": task["task_id"]})
        return doc, f"tasks[{len(tasks) - 1}].task_id", f"Duplicate task_id {task['task_id']!r}"
    if defect == "unknown upstream":
        ids = {t["task_id"] for t in tasks}
        unknown = draw(IDS.filter(lambda v: v not in ids))
        task["upstream"] = upstream = [*task.get("upstream", []), unknown]
        return (
            doc,
            f"tasks[{i}].upstream[{len(upstream) - 1}]",
            f"Upstream task {unknown!r} is not a task of this DAG",
        )
    if defect == "cycle":
        # Task j (i <= j) becomes upstream of task i, which is already upstream of j or is j itself.
        j = draw(st.integers(i, len(tasks) - 1))
        tasks[j]["upstream"] = [*tasks[j].get("upstream", []), task["task_id"]] if j != i else []
        task["upstream"] = [*task.get("upstream", []), tasks[j]["task_id"]]
        return doc, f"tasks[{i}].upstream", f"Dependency cycle: {task['task_id']} -> "
    if defect == "end before start":
        late, early = sorted((draw(DATES), draw(DATES) - timedelta(days=1)), reverse=True)
        if late == early:
            early -= timedelta(seconds=1)
        doc["start_date"], doc["end_date"] = late.isoformat(), early.isoformat()
        return doc, "end_date", f"end_date {str_utc(early)} is before start_date {str_utc(late)}"
    if defect == "long tag":  # the dag_tag column holds 100 characters (Airflow's TAG_MAX_LEN)
        tag = draw(
            st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=101, max_size=150)
        )
        doc["tags"] = tags = [*doc.get("tags", []), tag]
        return (
            doc,
            f"tags[{len(tags) - 1}]",
            f"tags[{len(tags) - 1}] must be at most 100 characters, got {shown(tag)}",
        )
    if defect == "huge integer":  # free-form values are stored as JSON, whose integers have 64 bits
        key = draw(TEXT)
        value = draw(st.integers(2**64, 2**70) | st.integers(-(2**70), -(2**63) - 1))
        task["params"] = {**task.get("params", {}), key: value}
        return (
            doc,
            f"tasks[{i}].params.{key}",
            f"params.{key} must be an integer of at most 64 bits, got {value}",
        )
    doc["tasks"] = []
    return doc, "tasks", "tasks must contain at least one task"


def shown(value: object) -> str:
    """How the validator quotes a value: its repr, cut to 100 characters."""
    text = repr(value)
    return text if len(text) <= 100 else text[:97] + "..."


@pytest.mark.parametrize("defect", DEFECTS)
@settings(BOUNDED, max_examples=8)  # per defect
@given(data=st.data(), style=TEXT_STYLES, stored_before=st.booleans())
async def test_a_definition_with_a_defect_is_a_400_naming_it_and_nothing_is_stored(
    client, defect, data, style, stored_before
) -> None:
    doc, loc, quoted = data.draw(broken_definitions(defect), label="definition, loc, message")
    dag_id = doc["dag_id"]
    await client.delete(f"/dags/{dag_id}")  # ids repeat across examples
    if stored_before:
        await put_dag(client, reference_definition("simple_dag") | {"dag_id": dag_id})
    before = await stored_state(client, dag_id)

    status, body = answer(await client.put(f"/dags/{dag_id}", content=definition_text(doc, **style)))

    assert status == 400
    assert body["error"] == f"Invalid DAG definition: {len(body['detail'])} problem(s)"
    named = [p for p in body["detail"] if p["loc"] == loc and quoted in p["msg"]]
    assert named, (loc, quoted, body["detail"])
    after = await stored_state(client, dag_id)
    assert after == before
    if not stored_before:
        assert after[0] == (404, {"error": f"Dag id {dag_id} not found in DagModel"})

"""app.definitions.spec: defaults, inheritance, every validation error, weights, loading."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from app.definitions.decoding import load_definition_text, yaml_loader
from app.definitions.spec import (
    TRIGGER_RULES,
    DagDefinitionError,
    DagSpec,
    TaskSpec,
    parse_dag_definition,
)
from tests.conftest import EXAMPLE_DAGS_DIR, REFERENCE_DAGS_DIR

EXAMPLE_FILES = sorted(EXAMPLE_DAGS_DIR.glob("*")) + sorted(REFERENCE_DAGS_DIR.glob("*"))
assert len(EXAMPLE_FILES) == 7


def dag(*tasks: dict, **fields: object) -> dict:
    """A minimal valid definition; ``tasks`` default to one task ``a``."""
    return {"dag_id": "d", **fields, "tasks": list(tasks) or [{"task_id": "a"}]}


def problems(doc: object, **kwargs: object) -> list[dict]:
    with pytest.raises(DagDefinitionError) as info:
        parse_dag_definition(doc, **kwargs)
    assert str(info.value) == f"Invalid DAG definition: {len(info.value.problems)} problem(s)"
    return info.value.problems


def only_problem(doc: object) -> dict:
    found = problems(doc)
    assert len(found) == 1, found
    return found[0]


def tasks_by_id(spec: DagSpec) -> dict[str, TaskSpec]:
    return {task.task_id: task for task in spec.tasks}


def chain(n: int, **task_fields: object) -> dict:
    return dag(
        *({"task_id": f"t{i}", "upstream": [f"t{i - 1}"] if i else [], **task_fields} for i in range(n))
    )


# --- defaults ---------------------------------------------------------------------------------------


def test_task_defaults_match_the_table() -> None:
    spec = parse_dag_definition(dag({"task_id": "a"}))
    task = spec.tasks[0]
    assert task == TaskSpec(
        task_id="a",
        operator="EmptyOperator",
        upstream=(),
        downstream=(),
        owner="airflow",
        email=None,
        email_on_failure=True,
        email_on_retry=True,
        retries=0,
        retry_delay=timedelta(seconds=300),
        retry_exponential_backoff=False,
        max_retry_delay=None,
        execution_timeout=None,
        start_date=None,
        end_date=None,
        depends_on_past=False,
        wait_for_downstream=False,
        pool="default_pool",
        pool_slots=1,
        queue="default",
        priority_weight=1,
        weight_rule="downstream",
        trigger_rule="all_success",
        params={},
        inlets=[],
        outlets=[],
        doc_md=None,
        arguments={},
        effective_priority_weight=1,
    )


def test_dag_defaults() -> None:
    spec = parse_dag_definition({"dag_id": "d", "tasks": [{"task_id": "a"}]})
    assert spec == DagSpec(
        dag_id="d",
        description=None,
        schedule_interval=None,
        start_date=None,
        end_date=None,
        is_paused_upon_creation=True,
        tags=[],
        default_args={},
        tasks=spec.tasks,
        owners=["airflow"],
    )


def test_mutable_defaults_are_not_shared_between_tasks() -> None:
    a, b = parse_dag_definition(dag({"task_id": "a"}, {"task_id": "b"})).tasks
    for field in ("params", "inlets", "outlets", "arguments"):
        assert getattr(a, field) is not getattr(b, field)


def test_specs_are_frozen() -> None:
    spec = parse_dag_definition(dag())
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.tasks[0].retries = 3  # type: ignore[misc]


def test_every_field_set_explicitly() -> None:
    task = {
        "task_id": "a.b-c_1",
        "operator": "BashOperator",
        "owner": "me",
        "email": "me@example.com",
        "email_on_failure": False,
        "email_on_retry": False,
        "retries": 4,
        "retry_delay": 1.5,
        "retry_exponential_backoff": True,
        "max_retry_delay": "1:00:00",
        "execution_timeout": "2 days, 0:00:30",
        "start_date": "2022-01-01T00:00:00+02:00",
        "end_date": "2023-01-01",
        "depends_on_past": True,
        "wait_for_downstream": True,
        "pool": "etl",
        "pool_slots": 3,
        "queue": "fast",
        "priority_weight": -5,
        "weight_rule": "absolute",
        "trigger_rule": "one_failed",
        "params": {"x": 1},
        "inlets": [{"type": "File", "url": "s3://b/in.csv"}],
        "outlets": [{"type": "Table", "database": "dw", "name": "t"}],
        "doc_md": "# Doc",
        "arguments": {"bash_command": "echo 1"},
    }
    doc = dag(
        task,
        description="desc",
        schedule_interval="@daily",
        start_date="2021-01-01T00:00:00+00:00",
        end_date="2024-01-01T00:00:00Z",
        is_paused_upon_creation=False,
        tags=["a", "b"],
    )
    spec = parse_dag_definition(doc)
    assert (spec.description, spec.schedule_interval, spec.is_paused_upon_creation, spec.tags) == (
        "desc",
        "@daily",
        False,
        ["a", "b"],
    )
    assert spec.start_date == datetime(2021, 1, 1, tzinfo=UTC)
    assert spec.end_date == datetime(2024, 1, 1, tzinfo=UTC)
    t = spec.tasks[0]
    assert t.retry_delay == timedelta(seconds=1.5)
    assert t.max_retry_delay == timedelta(hours=1)
    assert t.execution_timeout == timedelta(days=2, seconds=30)
    assert t.start_date == datetime(2021, 12, 31, 22, tzinfo=UTC)
    assert t.start_date.tzinfo is UTC
    assert t.end_date == datetime(2023, 1, 1, tzinfo=UTC)
    assert t.effective_priority_weight == -5
    assert spec.owners == ["me"]
    for key in ("operator", "owner", "email", "retries", "pool", "pool_slots", "queue", "trigger_rule"):
        assert getattr(t, key) == task[key]
    for key in ("params", "inlets", "outlets", "doc_md", "arguments", "depends_on_past"):
        assert getattr(t, key) == task[key]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, timedelta(0)),
        (300, timedelta(minutes=5)),
        (0.25, timedelta(milliseconds=250)),
        ("0:05:00", timedelta(minutes=5)),
        ("48:00:00", timedelta(days=2)),
        ("0:00:01.500000", timedelta(seconds=1.5)),
        ("1 day, 2:03:04", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("3 days, 0:00:00", timedelta(days=3)),
    ],
)
def test_duration_forms(value: object, expected: timedelta) -> None:
    assert parse_dag_definition(dag({"task_id": "a", "retry_delay": value})).tasks[0].retry_delay == expected


def test_email_forms() -> None:
    spec = parse_dag_definition(
        dag({"task_id": "a", "email": ["x@y", "z@y"]}, {"task_id": "b", "email": None})
    )
    assert [t.email for t in spec.tasks] == [["x@y", "z@y"], None]


@pytest.mark.parametrize("rule", TRIGGER_RULES)
def test_every_trigger_rule_is_accepted(rule: str) -> None:
    assert parse_dag_definition(dag({"task_id": "a", "trigger_rule": rule})).tasks[0].trigger_rule == rule


def test_naive_dates_use_default_tz() -> None:
    doc = dag(start_date="2021-06-01T12:00:00")
    assert parse_dag_definition(doc).start_date == datetime(2021, 6, 1, 12, tzinfo=UTC)
    spec = parse_dag_definition(doc, default_tz=ZoneInfo("Europe/Amsterdam"))
    assert spec.start_date == datetime(2021, 6, 1, 10, tzinfo=UTC)
    assert spec.start_date.tzinfo is UTC
    assert spec.tasks[0].start_date == spec.start_date
    offset = parse_dag_definition(
        dag(start_date="2021-06-01T12:00:00-03:00"), default_tz=timezone(timedelta(hours=5))
    )
    assert offset.start_date == datetime(2021, 6, 1, 15, tzinfo=UTC)


# --- default_args inheritance -----------------------------------------------------------------------


def test_default_args_inherited_and_overridden() -> None:
    doc = dag(
        {"task_id": "a"},
        {"task_id": "b", "retries": 5, "owner": "bob", "params": {"own": 1}, "email": None},
        default_args={
            "owner": "team",
            "retries": 2,
            "retry_delay": "0:01:00",
            "email": ["ops@example.com"],
            "pool": "etl",
            "params": {"shared": True},
            "trigger_rule": "all_done",
        },
    )
    spec = parse_dag_definition(doc)
    a, b = spec.tasks
    assert (a.owner, a.retries, a.retry_delay, a.email, a.pool, a.params, a.trigger_rule) == (
        "team",
        2,
        timedelta(minutes=1),
        ["ops@example.com"],
        "etl",
        {"shared": True},
        "all_done",
    )
    assert (b.owner, b.retries, b.retry_delay, b.email, b.pool, b.params) == (
        "bob",
        5,
        timedelta(minutes=1),
        None,
        "etl",
        {"own": 1},
    )
    assert spec.owners == ["bob", "team"]
    assert spec.default_args == doc["default_args"]


def test_start_date_resolution() -> None:
    only_defaults = dag({"task_id": "a"}, default_args={"start_date": "2020-01-01"})
    spec = parse_dag_definition(only_defaults)
    assert spec.start_date == spec.tasks[0].start_date == datetime(2020, 1, 1, tzinfo=UTC)

    both = dag(
        {"task_id": "a"},
        {"task_id": "b", "start_date": "2022-01-01", "end_date": "2023-01-01"},
        start_date="2021-01-01",
        end_date="2025-01-01",
        default_args={"start_date": "2020-01-01"},
    )
    spec = parse_dag_definition(both)
    assert spec.start_date == datetime(2021, 1, 1, tzinfo=UTC)  # the DAG's own wins
    a, b = spec.tasks
    assert a.start_date == datetime(2020, 1, 1, tzinfo=UTC)  # default_args before the DAG's
    assert a.end_date == datetime(2025, 1, 1, tzinfo=UTC)  # the DAG's
    assert (b.start_date, b.end_date) == (datetime(2022, 1, 1, tzinfo=UTC), datetime(2023, 1, 1, tzinfo=UTC))

    dag_only = parse_dag_definition(dag({"task_id": "a", "start_date": None}, start_date="2021-01-01"))
    assert dag_only.tasks[0].start_date == datetime(2021, 1, 1, tzinfo=UTC)


# --- validation errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", [[], "x", None, 3])
def test_top_level_must_be_an_object(doc: object) -> None:
    assert only_problem(doc) == {"loc": "", "msg": f"A DAG definition must be an object, got {doc!r}"}


def test_required_fields() -> None:
    assert problems({}) == [
        {"loc": "dag_id", "msg": "dag_id is required"},
        {"loc": "tasks", "msg": "tasks is required"},
    ]
    assert only_problem({"dag_id": "d", "tasks": [{"operator": "X"}]}) == {
        "loc": "tasks[0].task_id",
        "msg": "task_id is required",
    }


def test_empty_task_list() -> None:
    assert only_problem({"dag_id": "d", "tasks": []}) == {
        "loc": "tasks",
        "msg": "tasks must contain at least one task",
    }


@pytest.mark.parametrize(
    ("doc", "loc", "msg"),
    [
        (dag(foo=1), "foo", "Unknown key 'foo'"),
        (dag({"task_id": "a", "foo": 1}), "tasks[0].foo", "Unknown key 'foo'"),
        (dag({"task_id": "a", "retry": 1}), "tasks[0].retry", "Unknown key 'retry'"),
        (dag(default_args={"retires": 1}), "default_args.retires", "Unknown key 'retires'"),
        (
            dag(default_args={"task_id": "x"}),
            "default_args.task_id",
            "task_id cannot be set in default_args, only on a task",
        ),
        (
            dag(default_args={"upstream": []}),
            "default_args.upstream",
            "upstream cannot be set in default_args, only on a task",
        ),
        (
            dag(default_args={"arguments": {}}),
            "default_args.arguments",
            "arguments cannot be set in default_args, only on a task",
        ),
        (
            dag(default_args={"retries": "x"}),
            "default_args.retries",
            "retries must be an integer >= 0, got 'x'",
        ),
        (
            dag({"task_id": "a", "retries": True}),
            "tasks[0].retries",
            "retries must be an integer >= 0, got True",
        ),
        (dag({"task_id": "a", "retries": -1}), "tasks[0].retries", "retries must be an integer >= 0, got -1"),
        (
            dag({"task_id": "a", "retries": 1.0}),
            "tasks[0].retries",
            "retries must be an integer >= 0, got 1.0",
        ),
        (
            dag({"task_id": "a", "retries": 2**31}),
            "tasks[0].retries",
            "retries must be at most 2147483647, got 2147483648",
        ),
        (
            dag({"task_id": "a", "retries": None}),
            "tasks[0].retries",
            "retries must be an integer >= 0, got None",
        ),
        (
            dag({"task_id": "a", "pool_slots": 0}),
            "tasks[0].pool_slots",
            "pool_slots must be an integer >= 1, got 0",
        ),
        (
            dag({"task_id": "a", "priority_weight": "high"}),
            "tasks[0].priority_weight",
            "priority_weight must be an integer, got 'high'",
        ),
        (
            dag({"task_id": "a", "priority_weight": False}),
            "tasks[0].priority_weight",
            "priority_weight must be an integer, got False",
        ),
        (
            dag({"task_id": "a", "weight_rule": "sideways"}),
            "tasks[0].weight_rule",
            "weight_rule must be one of: downstream, upstream, absolute; got 'sideways'",
        ),
        (
            dag({"task_id": "a", "trigger_rule": "all_sucess"}),
            "tasks[0].trigger_rule",
            "trigger_rule must be one of: " + ", ".join(TRIGGER_RULES) + "; got 'all_sucess'",
        ),
        (
            dag({"task_id": "a", "retry_delay": "5 minutes"}),
            "tasks[0].retry_delay",
            "retry_delay must be a number of seconds >= 0 or an 'H:MM:SS' string, got '5 minutes'",
        ),
        (
            dag({"task_id": "a", "retry_delay": None}),
            "tasks[0].retry_delay",
            "retry_delay must be a number of seconds >= 0 or an 'H:MM:SS' string, got None",
        ),
        (
            dag({"task_id": "a", "retry_delay": -1}),
            "tasks[0].retry_delay",
            "retry_delay must be a number of seconds >= 0 or an 'H:MM:SS' string, got -1",
        ),
        (
            dag({"task_id": "a", "execution_timeout": True}),
            "tasks[0].execution_timeout",
            "execution_timeout must be a number of seconds >= 0 or an 'H:MM:SS' string, or null, got True",
        ),
        (
            dag({"task_id": "a", "max_retry_delay": "0:61:00"}),
            "tasks[0].max_retry_delay",
            "max_retry_delay must be a number of seconds >= 0 or an 'H:MM:SS' string, or null, got '0:61:00'",
        ),
        (
            dag({"task_id": "a", "max_retry_delay": float("inf")}),
            "tasks[0].max_retry_delay",
            "max_retry_delay must be a number of seconds >= 0 or an 'H:MM:SS' string, or null, got inf",
        ),
        (
            dag({"task_id": "a", "depends_on_past": "yes"}),
            "tasks[0].depends_on_past",
            "depends_on_past must be true or false, got 'yes'",
        ),
        (
            dag(is_paused_upon_creation=1),
            "is_paused_upon_creation",
            "is_paused_upon_creation must be true or false, got 1",
        ),
        (
            dag({"task_id": "a", "email": 5}),
            "tasks[0].email",
            "email must be a string, a list of strings, or null, got 5",
        ),
        (
            dag({"task_id": "a", "email": ["a@b", 1]}),
            "tasks[0].email",
            "email must be a string, a list of strings, or null, got ['a@b', 1]",
        ),
        (dag({"task_id": "a", "params": []}), "tasks[0].params", "params must be an object, got []"),
        (
            dag({"task_id": "a", "arguments": "x"}),
            "tasks[0].arguments",
            "arguments must be an object, got 'x'",
        ),
        (dag({"task_id": "a", "owner": 1}), "tasks[0].owner", "owner must be a string, got 1"),
        (dag({"task_id": "a", "pool": ""}), "tasks[0].pool", "pool must be a non-empty string, got ''"),
        (
            dag({"task_id": "a", "operator": None}),
            "tasks[0].operator",
            "operator must be a non-empty string, got None",
        ),
        (dag({"task_id": "a", "doc_md": 1}), "tasks[0].doc_md", "doc_md must be a string or null, got 1"),
        (dag(description=["x"]), "description", "description must be a string or null, got ['x']"),
        (
            dag(schedule_interval=86400),
            "schedule_interval",
            "schedule_interval must be a string or null, got 86400",
        ),
        (dag(tags="etl"), "tags", "tags must be a list of strings, got 'etl'"),
        (dag(tags=["etl", 3]), "tags[1]", "tags[1] must be a string, got 3"),
        (dag(default_args=[]), "default_args", "default_args must be an object, got []"),
        (dag(default_args=None), "default_args", "default_args must be an object, got None"),
        ({"dag_id": "d", "tasks": {"a": {}}}, "tasks", "tasks must be a list of task objects, got {'a': {}}"),
        ({"dag_id": "d", "tasks": ["a"]}, "tasks[0]", "Each task must be an object, got 'a'"),
        (
            dag({"task_id": "a", "upstream": "b"}),
            "tasks[0].upstream",
            "upstream must be a list of task_id strings, got 'b'",
        ),
        (
            dag({"task_id": "a", "upstream": [1]}),
            "tasks[0].upstream[0]",
            "upstream[0] must be a task_id string, got 1",
        ),
        (
            dag({"task_id": "a", "inlets": {"type": "File"}}),
            "tasks[0].inlets",
            "inlets must be a list of objects with a string 'type', got {'type': 'File'}",
        ),
        (
            dag({"task_id": "a", "outlets": ["s3://x"]}),
            "tasks[0].outlets[0]",
            "outlets[0] must be an object with a 'type', got 's3://x'",
        ),
        (
            dag({"task_id": "a", "inlets": [{"type": "File"}, {"url": "x"}]}),
            "tasks[0].inlets[1].type",
            "inlets[1].type is required (e.g. 'File' or 'Table')",
        ),
        (
            dag({"task_id": "a", "inlets": [{"type": 3}]}),
            "tasks[0].inlets[0].type",
            "type must be a non-empty string, got 3",
        ),
        (
            dag(start_date="yesterday"),
            "start_date",
            "start_date must be a date such as 2015-11-16T14:34:15+00:00 (ISO 8601), or null, got 'yesterday'",
        ),
        (
            dag({"task_id": "a", "end_date": 1479296055}),
            "tasks[0].end_date",
            "end_date must be a date such as 2015-11-16T14:34:15+00:00 (ISO 8601), or null, got 1479296055",
        ),
    ],
)
def test_single_problem(doc: dict, loc: str, msg: str) -> None:
    assert only_problem(doc) == {"loc": loc, "msg": msg}


@pytest.mark.parametrize("bad", ["", "has space", "a/b", "é", "a\n", 7, None, ["a"]])
def test_invalid_ids(bad: object) -> None:
    pattern = "^[A-Za-z0-9_.-]{1,250}$"
    assert only_problem({"dag_id": bad, "tasks": [{"task_id": "a"}]}) == {
        "loc": "dag_id",
        "msg": f"dag_id must match {pattern}, got {bad!r}",
    }
    assert only_problem(dag({"task_id": bad})) == {
        "loc": "tasks[0].task_id",
        "msg": f"task_id must match {pattern}, got {bad!r}",
    }


def test_too_long_id_is_rejected_and_shortened_in_the_message() -> None:
    found = only_problem(dag({"task_id": "x" * 251}))
    assert found["loc"] == "tasks[0].task_id"
    assert found["msg"] == "task_id must match ^[A-Za-z0-9_.-]{1,250}$, got '" + "x" * 96 + "..."


def test_longest_valid_id() -> None:
    assert parse_dag_definition(dag({"task_id": "x" * 250})).tasks[0].task_id == "x" * 250


def test_duplicate_task_id() -> None:
    doc = dag({"task_id": "x"}, {"task_id": "y"}, {"task_id": "x"})
    assert only_problem(doc) == {"loc": "tasks[2].task_id", "msg": "Duplicate task_id 'x'"}


def test_unknown_upstream() -> None:
    doc = dag({"task_id": "x"}, {"task_id": "z", "upstream": ["x", "y"]})
    assert only_problem(doc) == {
        "loc": "tasks[1].upstream[1]",
        "msg": "Upstream task 'y' is not a task of this DAG",
    }


def test_duplicate_upstream_entries_are_dropped_and_order_kept() -> None:
    doc = dag({"task_id": "b"}, {"task_id": "a"}, {"task_id": "c", "upstream": ["b", "a", "b"]})
    by_id = tasks_by_id(parse_dag_definition(doc))
    assert by_id["c"].upstream == ("b", "a")
    assert by_id["a"].downstream == by_id["b"].downstream == ("c",)


def test_downstream_is_sorted() -> None:
    doc = dag({"task_id": "r"}, *({"task_id": n, "upstream": ["r"]} for n in ["z", "b", "m"]))
    assert parse_dag_definition(doc).tasks[0].downstream == ("b", "m", "z")


def test_cycle_message_names_the_tasks_in_order() -> None:
    doc = dag(
        {"task_id": "start"},
        {"task_id": "a", "upstream": ["start", "c"]},
        {"task_id": "b", "upstream": ["a"]},
        {"task_id": "c", "upstream": ["b"]},
        {"task_id": "after", "upstream": ["c"]},
    )
    assert only_problem(doc) == {"loc": "tasks[1].upstream", "msg": "Dependency cycle: a -> b -> c -> a"}


def test_self_dependency_is_a_cycle() -> None:
    assert only_problem(dag({"task_id": "a", "upstream": ["a"]})) == {
        "loc": "tasks[0].upstream",
        "msg": "Dependency cycle: a -> a",
    }


def test_separate_cycles_are_each_reported() -> None:
    doc = dag(
        {"task_id": "x", "upstream": ["y"]},
        {"task_id": "y", "upstream": ["x"]},
        {"task_id": "p", "upstream": ["q", "y"]},
        {"task_id": "q", "upstream": ["p"]},
    )
    msgs = [p["msg"] for p in problems(doc)]
    assert msgs == ["Dependency cycle: x -> y -> x", "Dependency cycle: p -> q -> p"]


def test_long_cycle_is_found_without_recursion() -> None:
    doc = chain(10_000)
    doc["tasks"][0]["upstream"] = ["t9999"]
    (found,) = problems(doc)
    assert found["loc"] == "tasks[0].upstream"
    assert found["msg"].startswith("Dependency cycle: t0 -> t1 -> t2 -> ")
    assert found["msg"].endswith(" -> t9999 -> t0")


def test_end_date_before_start_date() -> None:
    expected = "end_date 2020-01-01 00:00:00+00:00 is before start_date 2021-01-01 00:00:00+00:00"
    assert only_problem(dag(start_date="2021-01-01", end_date="2020-01-01")) == {
        "loc": "end_date",
        "msg": expected,
    }
    assert only_problem(dag({"task_id": "a", "end_date": "2020-01-01"}, start_date="2021-01-01")) == {
        "loc": "tasks[0].end_date",
        "msg": expected,
    }
    assert only_problem(dag({"task_id": "a", "start_date": "2021-01-01"}, end_date="2020-01-01")) == {
        "loc": "tasks[0].start_date",
        "msg": expected,
    }
    # Inherited by every task, reported once.
    doc = dag(
        {"task_id": "a"}, {"task_id": "b"}, start_date="2021-01-01", default_args={"end_date": "2020-01-01"}
    )
    assert only_problem(doc) == {"loc": "default_args.end_date", "msg": expected}
    doc = dag({"task_id": "a"}, end_date="2020-01-01", default_args={"start_date": "2021-01-01"})
    assert problems(doc) == [{"loc": "end_date", "msg": expected}]
    doc = dag(
        {"task_id": "a"},
        {"task_id": "b"},
        start_date="2019-01-01",
        end_date="2020-01-01",
        default_args={"start_date": "2021-01-01"},
    )
    assert only_problem(doc) == {"loc": "default_args.start_date", "msg": expected}


def test_equal_start_and_end_is_valid() -> None:
    spec = parse_dag_definition(dag(start_date="2021-01-01", end_date="2021-01-01T00:00:00+00:00"))
    assert spec.start_date == spec.end_date


def test_every_problem_is_reported_together() -> None:
    doc = {
        "dag_id": "bad id",
        "colour": "blue",
        "default_args": {"retries": -1, "owner": 7},
        "tasks": [
            {"task_id": "a", "upstream": ["ghost"], "foo": 1},
            {"task_id": "a", "pool_slots": 0},
            {"task_id": "b", "upstream": ["c"]},
            {"task_id": "c", "upstream": ["b"]},
            "oops",
        ],
    }
    assert problems(doc) == [
        {"loc": "dag_id", "msg": "dag_id must match ^[A-Za-z0-9_.-]{1,250}$, got 'bad id'"},
        {"loc": "colour", "msg": "Unknown key 'colour'"},
        {"loc": "default_args.retries", "msg": "retries must be an integer >= 0, got -1"},
        {"loc": "default_args.owner", "msg": "owner must be a string, got 7"},
        {"loc": "tasks[0].foo", "msg": "Unknown key 'foo'"},
        {"loc": "tasks[1].pool_slots", "msg": "pool_slots must be an integer >= 1, got 0"},
        {"loc": "tasks[4]", "msg": "Each task must be an object, got 'oops'"},
        {"loc": "tasks[1].task_id", "msg": "Duplicate task_id 'a'"},
        {"loc": "tasks[0].upstream[0]", "msg": "Upstream task 'ghost' is not a task of this DAG"},
        {"loc": "tasks[2].upstream", "msg": "Dependency cycle: b -> c -> b"},
    ]


def test_input_is_not_modified() -> None:
    doc = dag(
        {"task_id": "a", "upstream": []},
        {"task_id": "b", "upstream": ["a", "a"]},
        default_args={"retries": 1},
    )
    before = copy.deepcopy(doc)
    parse_dag_definition(doc)
    assert doc == before


# --- priority weights -------------------------------------------------------------------------------


def diamond(**fields: object) -> dict:
    """top -> (left, right) -> bottom, with distinct weights to make sums checkable."""
    return dag(
        {"task_id": "top", "priority_weight": 1, **fields},
        {"task_id": "left", "upstream": ["top"], "priority_weight": 10, **fields},
        {"task_id": "right", "upstream": ["top"], "priority_weight": 100, **fields},
        {"task_id": "bottom", "upstream": ["left", "right"], "priority_weight": 1000, **fields},
    )


def weights(doc: dict) -> dict[str, int]:
    return {t.task_id: t.effective_priority_weight for t in parse_dag_definition(doc).tasks}


def test_downstream_weight_counts_a_shared_task_once() -> None:
    assert weights(diamond()) == {"top": 1111, "left": 1010, "right": 1100, "bottom": 1000}


def test_upstream_weight_rule() -> None:
    assert weights(diamond(weight_rule="upstream")) == {"top": 1, "left": 11, "right": 101, "bottom": 1111}


def test_absolute_weight_rule() -> None:
    assert weights(diamond(weight_rule="absolute")) == {"top": 1, "left": 10, "right": 100, "bottom": 1000}


def test_weight_rules_mixed_and_inherited() -> None:
    doc = diamond()
    doc["default_args"] = {"weight_rule": "upstream", "priority_weight": 2}
    doc["tasks"][0]["weight_rule"] = "downstream"
    del doc["tasks"][3]["priority_weight"]  # bottom inherits 2
    assert weights(doc) == {"top": 1 + 10 + 100 + 2, "left": 11, "right": 101, "bottom": 113}
    spec = parse_dag_definition(doc)
    assert [t.priority_weight for t in spec.tasks] == [1, 10, 100, 2]  # own values kept


def test_negative_and_many_distinct_weights() -> None:
    # More distinct values than binary digits exercises the bit-plane path; negatives the offset.
    n = 50
    doc = chain(n)
    for i, task in enumerate(doc["tasks"]):
        task["priority_weight"] = i * 37 - 400
    got = weights(doc)
    for i in range(n):
        assert got[f"t{i}"] == sum(j * 37 - 400 for j in range(i, n))


def test_weights_match_a_brute_force_on_a_layered_dag() -> None:
    layers = [[f"l{layer}_{k}" for k in range(6)] for layer in range(6)]
    tasks = []
    for layer, names in enumerate(layers):
        for k, name in enumerate(names):
            ups = [layers[layer - 1][(k + s) % 6] for s in (0, 2)] if layer else []
            tasks.append({"task_id": name, "upstream": ups, "priority_weight": (k * 7 + layer) % 5})
    doc = dag(*tasks)
    children: dict[str, set[str]] = {t["task_id"]: set() for t in tasks}
    for t in tasks:
        for up in t["upstream"]:
            children[up].add(t["task_id"])
    own = {t["task_id"]: t["priority_weight"] for t in tasks}

    def reach(name: str) -> set[str]:
        seen, stack = {name}, [name]
        while stack:
            for c in children[stack.pop()]:
                if c not in seen:
                    seen.add(c)
                    stack.append(c)
        return seen

    assert weights(doc) == {name: sum(own[n] for n in reach(name)) for name in own}


def test_effective_weight_is_clamped_to_32_bits() -> None:
    doc = dag(
        {"task_id": "a", "priority_weight": 2**31 - 1},
        {"task_id": "b", "upstream": ["a"], "priority_weight": 2**31 - 1},
    )
    assert weights(doc)["a"] == 2**31 - 1


# --- scale ------------------------------------------------------------------------------------------


def test_ten_thousand_task_chain() -> None:
    spec = parse_dag_definition(chain(10_000))
    assert len(spec.tasks) == 10_000
    assert spec.tasks[0].effective_priority_weight == 10_000
    assert spec.tasks[-1].effective_priority_weight == 1
    assert spec.tasks[5000].upstream == ("t4999",) and spec.tasks[5000].downstream == ("t5001",)
    up = parse_dag_definition(chain(10_000, weight_rule="upstream"))
    assert up.tasks[-1].effective_priority_weight == 10_000


def test_ten_thousand_task_fan_out_fan_in() -> None:
    middle = [f"m{i}" for i in range(9_998)]
    doc = dag(
        {"task_id": "root"},
        *({"task_id": m, "upstream": ["root"]} for m in middle),
        {"task_id": "sink", "upstream": middle},
    )
    by_id = tasks_by_id(parse_dag_definition(doc))
    assert by_id["root"].effective_priority_weight == 10_000
    assert by_id["m0"].effective_priority_weight == 2
    assert len(by_id["root"].downstream) == 9_998


# --- text loading -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_example_files_load_and_validate(path: Path) -> None:
    text = path.read_text()
    spec = parse_dag_definition(load_definition_text(text, filename=path.name))
    assert spec.tasks and spec.start_date is not None
    # The same text decodes identically without a file name (JSON first, then YAML).
    assert parse_dag_definition(load_definition_text(text)) == spec


def load_example(name: str) -> DagSpec:
    for path in EXAMPLE_FILES:
        if path.name == name:
            return parse_dag_definition(load_definition_text(path.read_text(), filename=name))
    raise AssertionError(name)


def test_example_bash_expectations() -> None:
    spec = load_example("example_bash.json")
    by_id = tasks_by_id(spec)
    assert {k: t.effective_priority_weight for k, t in by_id.items()} == {
        "extract": 3,
        "transform": 2,
        "load": 1,
    }
    assert (by_id["extract"].pool, by_id["transform"].retries, by_id["load"].owner) == (
        "etl_pool",
        3,
        "loader",
    )
    assert by_id["extract"].retries == 2 and by_id["extract"].retry_delay == timedelta(minutes=5)
    assert by_id["extract"].arguments == {"bash_command": "echo extract {{ ds }}"}
    assert spec.owners == ["data-team", "loader"]
    assert spec.start_date == datetime(2016, 1, 1, tzinfo=UTC)


def test_lineage_dag_expectations() -> None:
    by_id = tasks_by_id(load_example("lineage_dag.json"))
    assert by_id["produce"].effective_priority_weight == 2
    assert by_id["consume"].outlets == [
        {"type": "Table", "database": "warehouse", "cluster": "main", "name": "results"}
    ]


def test_yaml_example_expectations() -> None:
    spec = load_example("etl_pipeline.yaml")
    by_id = tasks_by_id(spec)
    assert spec.start_date == datetime(2024, 1, 1, tzinfo=UTC)
    assert spec.schedule_interval == "@daily"
    assert by_id["extract"].retry_delay == timedelta(minutes=5)
    assert by_id["extract"].email == ["data-alerts@example.com"]
    assert (by_id["transform"].retries, by_id["load"].owner) == (3, "loader")
    assert by_id["extract"].effective_priority_weight == 3


def test_yaml_and_json_of_one_document_agree() -> None:
    doc = dag({"task_id": "a", "retry_delay": "0:01:00"}, start_date="2021-01-01", tags=["x"])
    yaml_text = (
        "dag_id: d\nstart_date: 2021-01-01\ntags: [x]\ntasks:\n  - task_id: a\n    retry_delay: '0:01:00'\n"
    )
    assert load_definition_text(yaml_text, filename="d.yml") == doc  # the date stays a string
    assert parse_dag_definition(
        load_definition_text(json.dumps(doc), filename="d.json")
    ) == parse_dag_definition(load_definition_text(yaml_text, filename="D.YAML"))


def test_unquoted_yaml_timestamp_stays_a_string() -> None:
    doc = load_definition_text("start_date: 2021-01-01T10:00:00+02:00\n", filename="x.yaml")
    assert doc == {"start_date": "2021-01-01T10:00:00+02:00"}


@pytest.mark.parametrize(
    ("text", "filename", "msg"),
    [
        (
            '{"dag_id": "d",}',
            "d.json",
            "Invalid JSON: Expecting property name enclosed in double quotes (line 1, column 16)",
        ),
        ('{"a": 1, "a": 2}', "d.json", "Invalid JSON: duplicate key 'a'"),
        ('{"a": NaN}', "d.json", "Invalid JSON: NaN is not allowed"),
        ('{"dag_id": ', "", "Invalid JSON: Expecting value (line 1, column 12)"),
        ("a: 1\na: 2\n", "d.yml", "Invalid YAML: duplicate key 'a' (line 2, column 1)"),
    ],
)
def test_syntax_errors(text: str, filename: str, msg: str) -> None:
    with pytest.raises(DagDefinitionError) as info:
        load_definition_text(text, filename=filename)
    assert info.value.problems == [{"loc": "", "msg": msg}]


@pytest.mark.parametrize(
    ("text", "filename", "where"),
    [("a: [1, 2\n", "d.yaml", "(line 2, column 1)"), ("a: 1\n b: 2\n", "", "(line 2, column 3)")],
)
def test_yaml_syntax_errors_name_the_position(text: str, filename: str, where: str) -> None:
    # The wording comes from libyaml or PyYAML's pure-Python parser, whichever is installed.
    with pytest.raises(DagDefinitionError) as info:
        load_definition_text(text, filename=filename)
    (problem,) = info.value.problems
    assert problem["loc"] == ""
    assert problem["msg"].startswith("Invalid YAML: ") and problem["msg"].endswith(where)


def test_text_that_looks_like_json_reports_the_json_error() -> None:
    with pytest.raises(DagDefinitionError) as info:
        load_definition_text('{"dag_id": "d", "tasks": [}')
    assert info.value.problems[0]["msg"].startswith("Invalid JSON: ")
    with pytest.raises(DagDefinitionError) as info:
        load_definition_text("dag_id: [d\n")
    assert info.value.problems[0]["msg"].startswith("Invalid YAML: ")


def test_json_extension_is_json_only_and_other_names_fall_back_to_yaml() -> None:
    text = "dag_id: d\ntasks: [{task_id: a}]\n"
    assert load_definition_text(text) == {"dag_id": "d", "tasks": [{"task_id": "a"}]}
    assert load_definition_text(text, filename="d.txt") == {"dag_id": "d", "tasks": [{"task_id": "a"}]}
    with pytest.raises(DagDefinitionError):
        load_definition_text(text, filename="d.json")


# The loader is built on libyaml's parser when PyYAML has it, else on PyYAML's own: both must agree.
YAML_BASES = [yaml.SafeLoader, *([yaml.CSafeLoader] if hasattr(yaml, "CSafeLoader") else [])]


@pytest.mark.parametrize("base", YAML_BASES, ids=lambda base: base.__name__)
@pytest.mark.parametrize("text", ["1:30", "-1:30", "+190:20:30", "1:30.5", "-1:20:30.25", "1_0:30"])
def test_yaml_base_60_numbers_are_strings(base: type, text: str) -> None:
    """YAML 1.1 reads `1:30` as 90 (and PyYAML computes a long one in quadratic time); YAML 1.2,
    and a definition, as the text "1:30"."""
    assert yaml.load(f"v: {text}\n", Loader=yaml_loader(base)) == {"v": text}
    assert load_definition_text(f"v: {text}\n", filename="d.yaml") == {"v": text}


@pytest.mark.parametrize("base", YAML_BASES, ids=lambda base: base.__name__)
def test_yaml_numbers_but_base_60_read_as_yaml_1_1_reads_them(base: type) -> None:
    forms = {
        "685230": 685230,
        "+685_230": 685230,
        "-685230": -685230,
        "0": 0,
        "-0": 0,
        "0x_0A_74_AE": 685230,
        "02472256": 685230,
        "0b1010_0111_0100_1010_1110": 685230,
        "6.8523015e+5": 685230.15,
        "685.230_15e+03": 685230.15,
        "685_230.15": 685230.15,
        ".5": 0.5,
        "1.": 1.0,
        "-.inf": -math.inf,
        "+.INF": math.inf,
        "1e5": "1e5",  # no point: text in YAML 1.1
        "0o17": "0o17",  # YAML 1.2's octal: text in YAML 1.1
        "!!float 1": 1.0,
        '!!int "0x1f"': 31,
    }
    loaded = yaml.load("\n".join(f"{i}: {text}" for i, text in enumerate(forms)), Loader=yaml_loader(base))
    assert list(loaded.values()) == list(forms.values())
    assert [type(v) for v in loaded.values()] == [type(v) for v in forms.values()]
    assert math.isnan(yaml.load("v: .NaN", Loader=yaml_loader(base))["v"])


@pytest.mark.parametrize("base", YAML_BASES, ids=lambda base: base.__name__)
@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("!!int 1:30", "'1:30' is not an integer: base 60 (YAML 1.1) is not read"),
        ("!!float 1:30.5", "'1:30.5' is not a number: base 60 (YAML 1.1) is not read"),
    ],
)
def test_yaml_base_60_tagged_as_a_number_is_refused(base: type, text: str, problem: str) -> None:
    with pytest.raises(yaml.constructor.ConstructorError) as raised:
        yaml.load(f"v: {text}\n", Loader=yaml_loader(base))
    assert raised.value.problem == problem
    with pytest.raises(DagDefinitionError) as info:
        load_definition_text(f"v: {text}\n", filename="d.yaml")
    assert info.value.problems == [{"loc": "", "msg": f"Invalid YAML: {problem} (line 1, column 4)"}]


def test_yaml_merge_keys_are_not_duplicates() -> None:
    text = "base: &b {owner: x, retries: 1}\nmerged:\n  <<: *b\n  retries: 2\n"
    assert load_definition_text(text, filename="d.yaml")["merged"] == {"owner": "x", "retries": 2}


def test_byte_order_mark_is_ignored() -> None:
    assert load_definition_text('\ufeff{"dag_id": "d"}') == {"dag_id": "d"}

"""YAML anchors and aliases cannot make a small definition expand without bound.

A few hundred bytes of nested aliases stand for millions of values; expanding them blocked the
event loop for seconds and took hundreds of MB before validation could refuse the result. The
expanded size is now counted on the composed document (each alias's value once) before anything
is built, against DAGPORT_MAX_DEFINITION_NODES; a recursive alias is refused the same way.
"""

from __future__ import annotations

import pytest

from app.definitions.decoding import DagDefinitionError, expanded_size, load_definition_text
from tests.helpers import client_for

YAML = {"Content-Type": "application/yaml"}


def too_large(limit: int) -> str:
    return (
        f"Invalid YAML: the document expands to more than {limit} values (anchors and aliases repeat "
        "what they name; DAGPORT_MAX_DEFINITION_NODES), or an alias refers to a value containing it"
    )


def nested_aliases(levels: int, width: int = 9) -> str:
    """The alias bomb: each level a list of ``width`` aliases of the level below."""
    lines = [
        "dag_id: bomb",
        "tasks: [{task_id: t}]",
        "params:",
        "  l0: &l0 [" + ", ".join(["x"] * width) + "]",
    ]
    lines += [f"  l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_the_expanded_size_counts_each_alias_as_the_value_it_repeats() -> None:
    import yaml

    node = yaml.compose("a: &a [1, 2]\nb: [*a, *a, *a]\n")
    # mapping 1 + keys 2 + a's list (1 + 2) + b's list (1 + 3 * 3)
    assert expanded_size(node, 100) == 16
    assert expanded_size(node, 15) is None
    assert expanded_size(yaml.compose("a: &a [*a]\n"), 100) is None


def test_an_alias_bomb_is_refused_before_it_is_built() -> None:
    text = nested_aliases(9)  # 9**10 values: expanding it would not finish here
    assert len(text) < 700
    with pytest.raises(DagDefinitionError) as raised:
        load_definition_text(text, filename="bomb.yaml")
    assert raised.value.problems == [{"loc": "", "msg": too_large(1_000_000)}]


def test_a_recursive_alias_is_refused() -> None:
    with pytest.raises(DagDefinitionError) as raised:
        load_definition_text("dag_id: d\ntasks: &t [{task_id: a, upstream: *t}]\n", filename="d.yaml")
    assert raised.value.problems == [{"loc": "", "msg": too_large(1_000_000)}]


async def test_put_refuses_a_definition_over_the_configured_expansion(app_factory) -> None:
    async with client_for(app_factory(max_definition_nodes=2_000)) as client:
        response = await client.put("/dags/bomb", content=nested_aliases(3), headers=YAML)  # 9**4 values
        assert response.status_code == 400
        assert response.json()["error"] == "Invalid DAG definition: 1 problem(s)"
        assert response.json()["detail"] == [{"loc": "", "msg": too_large(2_000)}]
        assert (await client.get("/dags/bomb")).status_code == 404  # nothing stored


async def test_aliases_within_the_bound_still_work(app_factory) -> None:
    text = (
        "dag_id: shared\n"
        "default_args: &defaults {owner: team, retries: 1}\n"
        "tasks:\n"
        "  - {task_id: a}\n"
        "  - {task_id: b}\n"
        "  - {task_id: c, upstream: &both [a, b]}\n"
        "  - {task_id: d, upstream: *both}\n"
    )
    async with client_for(app_factory(max_definition_nodes=2_000)) as client:
        response = await client.put("/dags/shared", content=text, headers=YAML)
        assert response.status_code == 201, response.text
        assert response.json()["tasks"] == ["a", "b", "c", "d"]
        task = await client.get("/dags/shared/tasks/d")
        assert task.json()["upstream_task_ids"] == "{'a', 'b'}"
        assert task.json()["owner"] == "team"


# -- the definition's size once decoded: tasks, upstream entries, values as stored ---------------


def fan_in(tasks: int, upstream: int) -> dict:
    """``upstream`` roots, then tasks each naming every root: tasks * upstream upstream entries."""
    roots = [{"task_id": f"r{i}"} for i in range(upstream)]
    leaves = [{"task_id": f"t{i}", "upstream": [f"r{j}" for j in range(upstream)]} for i in range(tasks)]
    return {"dag_id": "fan", "tasks": roots + leaves}


async def test_put_refuses_more_tasks_than_the_limit(app_factory) -> None:
    async with client_for(app_factory(max_definition_tasks=50)) as client:
        response = await client.put("/dags/fan", json=fan_in(tasks=48, upstream=3))  # 51 tasks
        assert response.status_code == 400
        assert response.json()["detail"] == [
            {
                "loc": "tasks",
                "msg": "tasks holds 51 tasks; a definition may have at most 50 (DAGPORT_MAX_DEFINITION_TASKS)",
            }
        ]
        response = await client.put("/dags/fan", json=fan_in(tasks=47, upstream=3))  # 50: the limit
        assert response.status_code == 201, response.text


async def test_put_refuses_more_upstream_entries_than_the_limit(app_factory) -> None:
    async with client_for(app_factory(max_definition_edges=100)) as client:
        response = await client.put("/dags/fan", json=fan_in(tasks=101, upstream=1))
        assert response.status_code == 400
        assert response.json()["detail"] == [
            {
                "loc": "tasks",
                "msg": "The tasks' upstream lists hold 101 entries; a definition may have at most 100 "
                "(DAGPORT_MAX_DEFINITION_EDGES)",
            }
        ]
        assert (await client.get("/dags/fan")).status_code == 404
        assert (await client.put("/dags/fan", json=fan_in(tasks=50, upstream=2))).status_code == 201


async def test_a_shared_upstream_alias_counts_each_entry(app_factory) -> None:
    """`upstream: *u` on every task repeats the whole list: 200 tasks naming 20 roots are 4,000 edges."""
    roots = ", ".join(f"r{i}" for i in range(20))
    lines = ["dag_id: fan", "tasks:"]
    lines += [f"  - {{task_id: r{i}}}" for i in range(20)]
    lines.append(f"  - {{task_id: t0, upstream: &u [{roots}]}}")
    lines += [f"  - {{task_id: t{i}, upstream: *u}}" for i in range(1, 200)]
    async with client_for(app_factory(max_definition_edges=3_999)) as client:
        response = await client.put("/dags/fan", content="\n".join(lines), headers=YAML)
        assert response.status_code == 400
        assert response.json()["detail"][0]["msg"].startswith("The tasks' upstream lists hold 4000 entries")


async def test_default_args_count_once_for_every_task_that_inherits_them(app_factory) -> None:
    """A large default_args value is stored with each task: 100 tasks inheriting 100 values hold
    10,000 values (a few hundred bytes of definition otherwise multiply into megabytes stored)."""
    definition = {
        "dag_id": "inherit",
        "default_args": {"params": {f"k{i}": i for i in range(50)}},  # 1 + 50 keys + 50 values
        "tasks": [{"task_id": f"t{i}"} for i in range(100)],
    }
    async with client_for(app_factory(max_definition_nodes=10_000)) as client:
        response = await client.put("/dags/inherit", json=definition)
        assert response.status_code == 400
        (problem,) = response.json()["detail"]
        assert problem["loc"] == ""
        assert problem["msg"].startswith("The definition holds ")
        assert problem["msg"].endswith(
            " values once default_args are applied to every task; at most 10000 are allowed "
            "(DAGPORT_MAX_DEFINITION_NODES)"
        )
        definition["tasks"][0]["params"] = {}  # a task with params of its own does not inherit them
        definition["tasks"] = definition["tasks"][:90]
        assert (await client.put("/dags/inherit", json=definition)).status_code == 201


async def test_the_loader_applies_the_same_limits(app_factory, tmp_path) -> None:
    import json
    from datetime import UTC, datetime

    from app.dag_loader import load_files
    from app.definitions.decoding import DefinitionLimits

    big = tmp_path / "big.json"
    big.write_text(json.dumps(fan_in(tasks=10, upstream=2)))
    app = app_factory()
    lines: list[str] = []
    failures = await load_files(
        app.state.backend,
        [big],
        now=lambda: datetime.now(UTC),
        default_tz=UTC,
        report=lines.append,
        limits=DefinitionLimits(tasks=11),
    )
    assert failures == 1
    assert lines == [
        f"[1/1] {big}: invalid: tasks: tasks holds 12 tasks; a definition may have at most 11 "
        "(DAGPORT_MAX_DEFINITION_TASKS)"
    ]

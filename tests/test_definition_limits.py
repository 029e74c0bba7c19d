"""YAML anchors and aliases cannot make a small definition expand without bound.

A few hundred bytes of nested aliases stand for millions of values; expanding them blocked the
event loop for seconds and took hundreds of MB before validation could refuse the result. The
expanded size is now counted on the composed document (each alias's value once) before anything
is built, against DAGPORT_MAX_DEFINITION_NODES; a recursive alias is refused the same way.
"""

from __future__ import annotations

import pytest

from app.schemas.definition_text import DagDefinitionError, expanded_size, load_definition_text
from tests.helpers import client_for

YAML = {"Content-Type": "application/yaml"}


def too_large(limit: int) -> str:
    return (
        f"Invalid YAML: the document expands to more than {limit} values (anchors and aliases repeat "
        "what they name), or an alias refers to a value containing it"
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

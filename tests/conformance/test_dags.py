"""DAGs: their detail and listing, source, pause state and deletion (docs/api.md section 3 and 4.1),
in every world.

Storing a definition (PUT, 4.1) is Capability.DEFINITIONS: its validation and what a replaced
definition keeps are dagport's store's, in tests/routers/test_dags.py.
"""

from __future__ import annotations

import pytest

from app.core import messages
from app.core.ports import Capability
from tests.conformance.support import DECLARED, DEFINITIONS, definition, error_of, iso, trigger_at

DAG = "conformance_chain"
CONFORMANCE_DAGS = sorted(DEFINITIONS)


async def test_a_dag_s_detail(api):
    response = await api.get(f"/dags/{DAG}")
    assert response.status_code == 200, response.text
    dag = response.json()
    assert set(dag) == {
        "dag_id", "description", "is_paused", "owners", "tags", "schedule_interval", "start_date",
        "fileloc", "tasks",
    }  # fmt: skip
    assert {k: v for k, v in dag.items() if k not in ("fileloc", "tasks")} == {
        "dag_id": DAG,
        "description": None,
        "is_paused": True,
        "owners": ["airflow"],
        "tags": ["conformance"],
        "schedule_interval": None,
        "start_date": "2021-01-01T00:00:00+00:00",
    }
    # The definition's order where the backend keeps it; Airflow's API lists them by task_id
    # (docs/airflow.md, The mapping: GET /dags).
    assert sorted(dag["tasks"]) == ["extract", "load", "transform"]


async def test_an_unknown_dag_is_404(api):
    response = await api.get("/dags/no_such_dag")
    assert (response.status_code, error_of(response)) == (
        404,
        {"error": messages.dag_not_found("no_such_dag")},
    )


async def test_the_conformance_dags_are_the_same_in_every_world(api):
    """tests/conformance/dags/*.json and tests/airflow_dags/conformance_*.py: the same ids and tasks."""
    for dag_id in DEFINITIONS:
        defined = sorted(t["task_id"] for t in definition(dag_id)["tasks"])
        assert sorted((await api.get(f"/dags/{dag_id}")).json()["tasks"]) == defined, dag_id


async def test_a_listing_by_tag_is_ordered_by_dag_id_and_counts_its_filter(api):
    response = await api.get("/dags", params={"tag": "conformance"})
    assert response.status_code == 200, response.text
    listed = response.json()
    assert [d["dag_id"] for d in listed["dags"]] == CONFORMANCE_DAGS
    assert listed["total_entries"] == len(CONFORMANCE_DAGS)
    assert listed["dags"][0] == (await api.get(f"/dags/{CONFORMANCE_DAGS[0]}")).json()
    page = (await api.get("/dags", params={"tag": "conformance", "limit": 2, "offset": 1})).json()
    assert ([d["dag_id"] for d in page["dags"]], page["total_entries"]) == (CONFORMANCE_DAGS[1:3], 4)
    past = (await api.get("/dags", params={"tag": "conformance", "offset": 10})).json()
    assert past == {"dags": [], "total_entries": 4}
    assert (await api.get("/dags", params={"tag": "no_such_tag"})).json() == {"dags": [], "total_entries": 0}


async def test_a_listing_filtered_by_pause_state(api):
    async def listed(paused: str) -> list[str]:
        response = await api.get("/dags", params={"tag": "conformance", "paused": paused})
        assert response.status_code == 200, response.text
        return [d["dag_id"] for d in response.json()["dags"]]

    paused, unpaused = await listed("true"), await listed("false")
    assert DAG in paused and DAG not in unpaused
    assert sorted(paused + unpaused) == CONFORMANCE_DAGS


async def test_the_code_is_the_definition_s_text(api):
    response = await api.get(f"/dags/{DAG}/code")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert DAG in response.text
    missing = await api.get("/dags/no_such_dag/code")
    assert (missing.status_code, error_of(missing)) == (404, {"error": messages.dag_not_found("no_such_dag")})


async def test_a_definition_is_stored_where_the_backend_takes_definitions(api, world):
    """PUT replaces a definition, or is 501 where the backend lacks Capability.DEFINITIONS
    (docs/airflow.md, The mapping)."""
    response = await api.put(f"/dags/{DAG}", content=DEFINITIONS[DAG])
    if Capability.DEFINITIONS in DECLARED[world].capabilities:
        assert response.status_code == 200, response.text
    else:
        assert (response.status_code, error_of(response)) == (501, {"error": messages.DEFINITIONS_ELSEWHERE})


# -- pause state ------------------------------------------------------------------------------------


async def test_pausing_and_unpausing_in_any_case(api):
    dag = "conformance_pause"
    assert (await api.get(f"/dags/{dag}/paused")).json() == {"is_paused": True}
    try:
        for value, expected in (("false", False), ("FALSE", False), ("True", True), ("true", True)):
            response = await api.get(f"/dags/{dag}/paused/{value}")
            assert (response.status_code, response.json()) == (200, {"response": "ok"})
            assert (await api.get(f"/dags/{dag}/paused")).json() == {"is_paused": expected}
            assert (await api.get(f"/dags/{dag}")).json()["is_paused"] is expected
    finally:
        await api.get(f"/dags/{dag}/paused/true")


@pytest.mark.parametrize("value", ["garbage", "1", "yes"])
async def test_a_pause_value_other_than_true_or_false_is_400_and_changes_nothing(api, value):
    response = await api.get(f"/dags/{DAG}/paused/{value}")
    assert (response.status_code, error_of(response)) == (400, {"error": messages.bad_paused(value)})
    assert (await api.get(f"/dags/{DAG}/paused")).json() == {"is_paused": True}


@pytest.mark.parametrize("path", ["/dags/no_such_dag/paused", "/dags/no_such_dag/paused/true"])
async def test_the_pause_state_of_an_unknown_dag_is_404(api, path):
    response = await api.get(path)
    assert (response.status_code, error_of(response)) == (
        404,
        {"error": messages.dag_id_not_found("no_such_dag")},
    )


# -- DELETE /dags/{dag_id} ------------------------------------------------------------------------------


async def test_a_deleted_dag_is_counted_and_gone_everywhere_and_others_stay(api, day):
    """One run of two task instances: 3 records (docs/api.md section 3). In front of Airflow the
    DAG's file stays in its bundle: the DAG comes back on the next parse (docs/airflow.md)."""
    dag = "conformance_throwaway"
    await trigger_at(api, DAG, day)
    await trigger_at(api, dag, day)
    response = await api.delete(f"/dags/{dag}")
    assert (response.status_code, response.json()) == (200, {"count": 3, "message": messages.removed(3)})
    for method, path, status, message in (
        ("GET", f"/dags/{dag}", 404, messages.dag_not_found(dag)),
        ("GET", f"/dags/{dag}/dag_runs", 400, messages.dag_not_found(dag)),
        ("GET", f"/dags/{dag}/paused", 404, messages.dag_id_not_found(dag)),
        ("GET", f"/dags/{dag}/tasks/first", 404, messages.dag_not_found(dag)),
        ("GET", f"/dags/{dag}/dag_runs/{iso(day)}/tasks/first", 404, messages.dag_not_found(dag)),
        ("DELETE", f"/dags/{dag}", 404, messages.dag_id_not_found(dag)),
    ):
        answer = await api.request(method, path)
        assert (answer.status_code, error_of(answer)) == (status, {"error": message}), path
    others = (await api.get(f"/dags/{DAG}/dag_runs", params={"execution_date_gte": iso(day)})).json()
    assert [r["execution_date"] for r in others] == [iso(day)]
    assert (await api.get(f"/dags/{DAG}/dag_runs/{iso(day)}")).status_code == 200


async def test_deleting_an_unknown_dag_is_404(api):
    response = await api.delete("/dags/no_such_dag")
    assert (response.status_code, error_of(response)) == (
        404,
        {"error": messages.dag_id_not_found("no_such_dag")},
    )

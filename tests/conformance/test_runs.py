"""Runs: lookups by date, listings and their filters, latest_runs, a client's state change
(docs/api.md sections 2, 3, 3.2 and 4.2), in every world.

What only dagport's store shows stays in tests/routers/test_dag_runs.py: listing ids that are the
database's, dates written by the database, start dates from dagport's clock, the listing cache.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from app.core import messages
from app.core.ports import Capability
from tests.conformance.support import World, error_of, iso, requires, shown, trigger_at

DAG = "conformance_chain"
OTHER = "conformance_lineage"
URL = f"/dags/{DAG}/dag_runs"


async def listing(api: httpx.AsyncClient, day: datetime, days: int = 10, **params) -> list[dict]:
    """The DAG's runs within the test's own days (where no other test's run is)."""
    window = {"execution_date_gte": iso(day), "execution_date_lte": iso(day + timedelta(days=days)), **params}
    response = await api.get(URL, params=window)
    assert response.status_code == 200, response.text
    return response.json()


async def ti_state(api: httpx.AsyncClient, when: datetime, task_id: str) -> str:
    response = await api.get(f"{URL}/{iso(when)}/tasks/{task_id}")
    assert response.status_code == 200, response.text
    return response.json()["state"]


async def set_ti(api: httpx.AsyncClient, when: datetime, task_id: str, state: str) -> None:
    response = await api.patch(f"{URL}/{iso(when)}/tasks/{task_id}", json={"state": state})
    assert response.status_code == 200, response.text


# -- GET /dags/{dag_id}/dag_runs ----------------------------------------------------------------------


async def test_a_listing_is_ordered_by_execution_date_with_whole_items(conformance: World, day):
    api = conformance.api
    third, first, second = day + timedelta(days=4), day, day + timedelta(days=2, hours=-2)
    for when in (third, first):
        await trigger_at(api, DAG, when)
    await api.post(URL, json={"execution_date": second.astimezone(timezone(timedelta(hours=2))).isoformat()})
    items = await listing(api, day)
    assert [set(item) for item in items] == [
        {"dag_id", "dag_run_url", "execution_date", "id", "run_id", "start_date", "state"}
    ] * 3
    assert [(i["dag_id"], i["execution_date"], i["state"], i["start_date"]) for i in items] == [
        (DAG, iso(first), "queued", ""),
        (DAG, iso(second), "queued", ""),
        (DAG, iso(third), "queued", ""),
    ]
    assert items[1]["run_id"] == f"manual__{second.astimezone(timezone(timedelta(hours=2))).isoformat()}"
    for item in items:
        assert item["dag_run_url"] == conformance.links(DAG, item["execution_date"], item["run_id"])
    ids = [item["id"] for item in items]
    assert all(isinstance(i, int) for i in ids) and len(set(ids)) == 3
    assert [item["id"] for item in await listing(api, day)] == ids  # stable across requests


async def test_a_dag_without_runs_lists_none(api):
    response = await api.get("/dags/conformance_pause/dag_runs")
    assert (response.status_code, response.json()) == (200, [])


async def test_a_listing_shows_only_the_dag_s_own_runs(api, day):
    await trigger_at(api, OTHER, day)
    await trigger_at(api, DAG, day + timedelta(days=1))
    assert [i["execution_date"] for i in await listing(api, day)] == [iso(day + timedelta(days=1))]


async def test_a_listing_keeps_microseconds(api, day):
    when = day.replace(microsecond=123456)
    await trigger_at(api, DAG, when)
    [item] = await listing(api, day)
    assert item["execution_date"] == iso(when)


async def two_runs_one_success(api: httpx.AsyncClient, day: datetime) -> None:
    await trigger_at(api, DAG, day)
    await trigger_at(api, DAG, day + timedelta(days=1))
    response = await api.patch(f"{URL}/{iso(day + timedelta(days=1))}", json={"state": "success"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("state", ["success", "SUCCESS", "Success"])
async def test_the_state_filter_is_case_insensitive(api, day, state):
    await two_runs_one_success(api, day)
    assert [(i["execution_date"], i["state"]) for i in await listing(api, day, state=state)] == [
        (iso(day + timedelta(days=1)), "success")
    ]


async def test_the_state_filter_queued_and_running(api, day):
    await two_runs_one_success(api, day)
    assert [i["execution_date"] for i in await listing(api, day, state="QUEUED")] == [iso(day)]
    assert await listing(api, day, state="running") == []


async def test_an_empty_state_means_no_filter(api, day):
    await two_runs_one_success(api, day)
    assert len(await listing(api, day, state="")) == 2


async def test_a_listing_of_an_unknown_dag_is_400(api):
    response = await api.get("/dags/no_such_dag/dag_runs")
    assert (response.status_code, error_of(response)) == (
        400,
        {"error": messages.dag_not_found("no_such_dag")},
    )


def _days(items: list[dict], day: datetime) -> list[int]:
    return [(datetime.fromisoformat(i["execution_date"]) - day).days for i in items]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"limit": 2}, [0, 1]),
        ({"limit": 1, "offset": 1}, [1]),
        ({"offset": 3}, [3, 4]),
        ({"offset": 5}, []),
        ({"limit": 10000}, [0, 1, 2, 3, 4]),
        ({"execution_date_gte": 2}, [2, 3, 4]),
        ({"execution_date_lte": 2}, [0, 1, 2]),
        ({"execution_date_gte": 1, "execution_date_lte": 3}, [1, 2, 3]),
        ({"execution_date_gte": 1, "limit": 2, "offset": 1}, [2, 3]),
    ],
    ids=str,
)
async def test_paging_and_date_bounds(api, day, params, expected):
    for offset in (4, 0, 2, 1, 3):
        await trigger_at(api, DAG, day + timedelta(days=offset))
    query = {k: iso(day + timedelta(days=v)) if k.startswith("execution") else v for k, v in params.items()}
    window = {"execution_date_gte": iso(day), "execution_date_lte": iso(day + timedelta(days=4)), **query}
    response = await api.get(URL, params=window)
    assert response.status_code == 200, response.text
    assert _days(response.json(), day) == expected


async def test_a_date_bound_is_an_instant_whatever_its_offset(api, day):
    for offset in (0, 1):
        await trigger_at(api, DAG, day + timedelta(days=offset))
    plus_two = (day + timedelta(days=1)).astimezone(timezone(timedelta(hours=2))).isoformat()
    assert _days(await listing(api, day, execution_date_gte=plus_two), day) == [1]
    just_after = iso(day + timedelta(days=1, microseconds=1))
    assert _days(await listing(api, day, execution_date_lte=just_after), day) == [0, 1]


# -- GET /dags/{dag_id}/dag_runs/{execution_date} ---------------------------------------------------------

# Forms of 11:34:15 UTC on the test's day (docs/api.md section 2): "%2B" is a "+", a space a "+"
# a client form-encoded.
PATH_FORMS = [
    "%Y-%m-%dT11:34:15",
    "%Y-%m-%dT11%%3A34%%3A15",
    "%Y-%m-%dT11%%3A34%%3A15%%2B00%%3A00",
    "%Y-%m-%dT11:34:15+00:00",
    "%Y-%m-%dT11:34:15%%2B00:00",
    "%Y-%m-%dT13:34:15%%2B02:00",
    "%Y-%m-%dT13:34:15+02:00",
    "%Y-%m-%dT06:34:15-05:00",
    "%Y-%m-%dT11:34:15Z",
    "%Y-%m-%d 11:34:15",
    "%Y-%m-%dT11:34:15 00:00",
    "%Y-%m-%dT11:34:15%%2000:00",
    "%Y-%m-%dT13:34:15 02:00",
    "%Y%m%dT113415",
    "%Y-%m-%dT11:34:15.000000",
]


@pytest.mark.parametrize("form", PATH_FORMS)
async def test_a_run_is_found_by_any_form_of_its_instant(api, day, form):
    await trigger_at(api, DAG, day.replace(hour=11, minute=34, second=15))
    response = await api.get(f"{URL}/{day.strftime(form)}")
    assert (response.status_code, response.json()) == (200, {"state": "queued"})


async def test_a_run_is_found_by_its_date_alone(api, day):
    await trigger_at(api, DAG, day)
    assert (await api.get(f"{URL}/{day:%Y-%m-%d}")).json() == {"state": "queued"}


async def test_a_run_is_found_only_with_its_microseconds(api, day):
    when = day.replace(hour=11, microsecond=123456)
    await trigger_at(api, DAG, when)
    assert (await api.get(f"{URL}/{day:%Y-%m-%d}T11:00:00.123456")).json() == {"state": "queued"}
    response = await api.get(f"{URL}/{day:%Y-%m-%d}T11:00:00")
    assert response.status_code == 404
    assert error_of(response) == {"error": messages.run_not_found(DAG, shown(when.replace(microsecond=0)))}


async def test_a_missing_run_s_message_keeps_the_requested_offset(api, day):
    response = await api.get(f"{URL}/{day:%Y-%m-%d}T02:00:00.5%2B02:00")
    assert response.status_code == 404
    assert error_of(response) == {
        "error": f"Dag Run for date {day:%Y-%m-%d} 02:00:00.500000+02:00 not found in dag {DAG}"
    }


async def test_an_unknown_dag_is_reported_before_the_run(api, day):
    response = await api.get(f"/dags/no_such_dag/dag_runs/{iso(day)}")
    assert (response.status_code, error_of(response)) == (
        404,
        {"error": messages.dag_not_found("no_such_dag")},
    )


@pytest.mark.parametrize(
    ("path_date", "shown_date"),
    [
        ("foo", "foo"),
        ("2016-13-01T00:00:00", "2016-13-01T00:00:00"),
        ("1479296055", "1479296055"),
        ("2016-11-16T11:34:15%252B00:00", "2016-11-16T11:34:15%2B00:00"),  # decoded once only
    ],
)
async def test_a_bad_date_in_the_path_is_400_before_any_lookup(api, path_date, shown_date):
    response = await api.get(f"/dags/no_such_dag/dag_runs/{path_date}")
    assert (response.status_code, error_of(response)) == (
        400,
        {"error": messages.unreadable_date(shown_date)},
    )


# -- GET /latest_runs ---------------------------------------------------------------------------------------


async def test_latest_runs_has_each_dag_s_run_with_the_greatest_date_by_dag_id(conformance: World, day):
    api = conformance.api
    await trigger_at(api, DAG, day + timedelta(days=3))
    await trigger_at(api, DAG, day + timedelta(days=1))
    await trigger_at(api, OTHER, day + timedelta(days=2))
    response = await api.get("/latest_runs")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["dag_id"] for i in items] == sorted(i["dag_id"] for i in items)
    mine = {i["dag_id"]: i for i in items if i["dag_id"] in (DAG, OTHER, "conformance_pause")}
    assert set(mine) == {DAG, OTHER}  # a DAG without runs is left out
    for dag_id, when in ((DAG, day + timedelta(days=3)), (OTHER, day + timedelta(days=2))):
        assert set(mine[dag_id]) == {"dag_id", "execution_date", "start_date", "dag_run_url"}
        assert (mine[dag_id]["execution_date"], mine[dag_id]["start_date"]) == (iso(when), "")
        assert mine[dag_id]["dag_run_url"] == conformance.links(dag_id, iso(when), f"manual__{iso(when)}")


# -- PATCH /dags/{dag_id}/dag_runs/{execution_date} -----------------------------------------------------------


@pytest.mark.parametrize("state", ["success", "failed"])
async def test_a_finishing_state_ends_the_run_and_answers_it(api, day, state):
    answer = await trigger_at(api, DAG, day)
    response = await api.patch(f"{URL}/{iso(day)}", json={"state": state})
    assert response.status_code == 200, response.text
    run = response.json()
    assert set(run) == {"dag_id", "run_id", "execution_date", "state", "start_date", "end_date"}
    assert (run["dag_id"], run["run_id"], run["execution_date"], run["state"], run["start_date"]) == (
        DAG,
        answer["run_id"],
        iso(day),
        state,
        None,  # it never started
    )
    datetime.fromisoformat(run["end_date"])
    assert (await api.get(f"{URL}/{iso(day)}")).json() == {"state": state}


async def test_queued_clears_the_run_s_dates(api, day):
    await trigger_at(api, DAG, day)
    await api.patch(f"{URL}/{iso(day)}", json={"state": "success"})
    response = await api.patch(f"{URL}/{iso(day)}", json={"state": "queued"})
    assert response.status_code == 200, response.text
    run = response.json()
    assert (run["state"], run["start_date"], run["end_date"]) == ("queued", None, None)
    assert (await api.get(f"{URL}/{iso(day)}")).json() == {"state": "queued"}


@requires(Capability.RUN_STATE_CASCADE)
@pytest.mark.parametrize("state", ["success", "failed"])
async def test_a_finishing_state_finishes_the_unfinished_task_instances_and_keeps_the_finished(
    api, day, state
):
    await trigger_at(api, DAG, day)
    await set_ti(api, day, "extract", "failed" if state == "success" else "success")
    await api.patch(f"{URL}/{iso(day)}", json={"state": state})
    finished = "failed" if state == "success" else "success"
    assert [await ti_state(api, day, t) for t in ("extract", "transform", "load")] == [finished, state, state]


@requires(Capability.RUN_STATE_CASCADE)
async def test_queued_clears_the_task_instances(api, day):
    await trigger_at(api, DAG, day)
    await set_ti(api, day, "extract", "success")
    await api.patch(f"{URL}/{iso(day)}", json={"state": "failed"})
    await api.patch(f"{URL}/{iso(day)}", json={"state": "queued"})
    assert [await ti_state(api, day, t) for t in ("extract", "transform", "load")] == ["None"] * 3


async def test_a_run_is_changed_by_another_offset_of_its_date(api, day):
    await trigger_at(api, DAG, day)
    other = day.astimezone(timezone(timedelta(hours=2))).isoformat().replace("+", "%2B")
    response = await api.patch(f"{URL}/{other}", json={"state": "failed"})
    assert response.status_code == 200, response.text
    assert response.json()["execution_date"] == iso(day)


async def test_a_change_of_an_unknown_dag_or_run_is_404(api, day):
    response = await api.patch(f"/dags/no_such_dag/dag_runs/{iso(day)}", json={"state": "success"})
    assert (response.status_code, error_of(response)) == (
        404,
        {"error": messages.dag_not_found("no_such_dag")},
    )
    response = await api.patch(f"{URL}/{iso(day)}", json={"state": "success"})
    assert (response.status_code, error_of(response)) == (
        404,
        {"error": messages.run_not_found(DAG, shown(day))},
    )

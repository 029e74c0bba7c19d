"""The Store of app/services/backend.py over Airflow 3's REST API v2 (docs/airflow.md has the mapping).

A run's execution date here is Airflow's ``logical_date``; a run with a null ``logical_date``
(created outside dagport) is addressed by its ``run_after``. Airflow's listings are paged (at most
100 items a page): where the experimental API returns everything, every page is read, the pages
after the first concurrently (at most ``DAGPORT_AIRFLOW_FANOUT`` calls at once). The store knows no
api.md message: it reports what exists, as dagport's own store does, and raises a domain error only
for what Airflow refuses (``Invalid``, ``InUse``) or cannot do (``NotSupported``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote

from app.airflow.client import AirflowClient, Answer
from app.airflow.ids import IdRegistry
from app.errors import InUse, Invalid, NotSupported
from app.services.backend import UNSET
from app.services.dags import DEFINITIONS_ELSEWHERE
from app.services.results import (
    Dag,
    DagDefinition,
    DagPage,
    LatestRun,
    LineageLookup,
    ListedRun,
    Pool,
    Run,
    RunFilter,
    RunLookup,
    RunsVersion,
    StoredDag,
    Task,
    TaskInstance,
    TaskInstanceLookup,
    TaskInstanceReport,
    TaskLineage,
    TaskLookup,
    TriggerCommand,
    TriggerOutcome,
)

PAGE = 100  # Airflow's [api] maximum_page_limit default
NO_DAG = object()  # a lookup's answer when the DAG itself is unknown
EARLIEST = "0001-01-01T00:00:00+00:00"
# The task-instance states Airflow 3 lets a client set (PATCH .../taskInstances/{task_id}).
SETTABLE_TI_STATES = ("success", "failed", "skipped")

T = TypeVar("T")


def q(value: str) -> str:
    """One path segment (run ids hold ``+`` and ``:``, pool names anything)."""
    return quote(value, safe="")


def parse_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


def iso(value: str | None) -> str | None:
    """Airflow's ``...Z`` text as the experimental API writes it (``isoformat()`` in UTC)."""
    parsed = parse_time(value)
    return None if parsed is None else parsed.isoformat()


def execution_date(run: dict[str, Any]) -> datetime:
    """The run's date in this mode: its logical_date, else its run_after."""
    when = parse_time(run.get("logical_date") or run["run_after"])
    assert when is not None
    return when


def to_run(run: dict[str, Any]) -> Run:
    return Run(
        id=None,
        dag_id=run["dag_id"],
        run_id=run["dag_run_id"],
        execution_date=execution_date(run),
        state=run["state"],
        start_date=parse_time(run.get("start_date")),
        end_date=parse_time(run.get("end_date")),
        queued_at=parse_time(run.get("queued_at")),
        external_trigger=run.get("run_type") == "manual",
    )


def refused(answer: Answer) -> Invalid:
    return Invalid(f"Airflow refused the request: {answer.detail}")


def expect(answer: Answer, *statuses: int) -> Any:
    """The body of an answer with one of ``statuses``; any other 4xx is the caller's problem (400)."""
    if answer.status not in statuses:
        raise refused(answer)
    return answer.body


def seconds(value: Any) -> float | None:
    """Airflow's serialised timedelta (``{"__type": "TimeDelta", "days", "seconds", ...}``) or a number."""
    if value is None:
        return None
    if isinstance(value, dict):
        return timedelta(
            days=value.get("days", 0),
            seconds=value.get("seconds", 0),
            microseconds=value.get("microseconds", 0),
        ).total_seconds()
    return float(value)


class AirflowStore:
    def __init__(self, client: AirflowClient, ids: IdRegistry, *, fanout: int) -> None:
        self.client = client
        self.ids = ids
        self.fanout = fanout

    async def _bounded(self, calls: list[Callable[[], Awaitable[T]]]) -> list[T]:
        gate = asyncio.Semaphore(self.fanout)

        async def run(call: Callable[[], Awaitable[T]]) -> T:
            async with gate:
                return await call()

        return list(await asyncio.gather(*(run(c) for c in calls)))

    async def _pages(self, path: str, params: dict[str, Any], key: str, *, template: str) -> list[Any] | None:
        """Every item of a paged listing, or ``None`` if Airflow answers 404 (an unknown DAG)."""
        first = await self.client.get(path, {**params, "limit": PAGE, "offset": 0}, template=template)
        if first.status == 404:
            return None
        body = expect(first, 200)
        items: list[Any] = list(body[key])
        total = body.get("total_entries") or 0
        if len(items) < PAGE or total <= PAGE:
            return items
        offsets = range(PAGE, total, PAGE)
        pages = await self._bounded(
            [
                (lambda o=o: self.client.get(path, {**params, "limit": PAGE, "offset": o}, template=template))
                for o in offsets
            ]
        )
        for page in pages:
            items.extend(expect(page, 200)[key])
        return items

    # -- runs ----------------------------------------------------------------------------------------

    async def _run_at(self, dag_id: str, when: datetime) -> dict[str, Any] | object | None:
        """The run at ``when``: by logical_date, else a run without one whose run_after is ``when``."""
        path = f"/dags/{dag_id}/dagRuns"
        template = "/dags/{dag_id}/dagRuns"
        at = when.astimezone(UTC).isoformat()
        answer = await self.client.get(
            path, {"logical_date_gte": at, "logical_date_lte": at}, template=template
        )
        if answer.status == 404:
            return NO_DAG
        runs = expect(answer, 200)["dag_runs"]
        if runs:
            return runs[0]
        answer = await self.client.get(path, {"run_after_gte": at, "run_after_lte": at}, template=template)
        if answer.status == 404:
            return NO_DAG
        undated = [r for r in expect(answer, 200)["dag_runs"] if r.get("logical_date") is None]
        return undated[0] if undated else None

    async def find_run(self, *, dag_id: str, execution_date: datetime) -> RunLookup:
        found = await self._run_at(dag_id, execution_date)
        if found is NO_DAG:
            return RunLookup(dag_exists=False, run=None)
        return RunLookup(dag_exists=True, run=None if found is None else to_run(found))  # type: ignore[arg-type]

    @staticmethod
    def _run_params(filters: RunFilter) -> dict[str, Any]:
        params: dict[str, Any] = {"order_by": "logical_date"}
        if filters.state is not None:
            params["state"] = filters.state
        if filters.execution_date_gte is not None:
            params["logical_date_gte"] = filters.execution_date_gte.astimezone(UTC).isoformat()
        if filters.execution_date_lte is not None:
            params["logical_date_lte"] = filters.execution_date_lte.astimezone(UTC).isoformat()
        return params

    async def _listed(self, dag_id: str, runs: list[dict[str, Any]]) -> list[ListedRun]:
        numbers = await self.ids.ids("run", dag_id, [r["dag_run_id"] for r in runs])
        return [
            ListedRun(
                numbers[r["dag_run_id"]],
                r["dag_run_id"],
                execution_date(r).isoformat(),
                r["state"],
                iso(r.get("start_date")),
            )
            for r in runs
        ]

    def _run_window(
        self, dag_id: str, filters: RunFilter, page_size: int = PAGE
    ) -> AsyncGenerator[dict[str, Any] | None]:
        return self._window(
            f"/dags/{dag_id}/dagRuns",
            self._run_params(filters),
            "dag_runs",
            offset=filters.offset,
            limit=filters.limit,
            page_size=page_size,
            template="/dags/{dag_id}/dagRuns",
        )

    async def list_runs(self, *, dag_id: str, filters: RunFilter, dag_known: bool) -> list[ListedRun] | None:
        if filters.limit is None and filters.offset == 0:
            path, template = f"/dags/{dag_id}/dagRuns", "/dags/{dag_id}/dagRuns"
            runs = await self._pages(path, self._run_params(filters), "dag_runs", template=template)
        else:
            runs = []
            async for body in self._run_window(dag_id, filters):
                if body is None:
                    return None
                runs.extend(body["dag_runs"])
        return None if runs is None else await self._listed(dag_id, runs)

    async def stream_runs(
        self, *, dag_id: str, filters: RunFilter, chunk_rows: int
    ) -> AsyncGenerator[list[ListedRun]]:
        """Airflow's pages one at a time (at most 100 runs each, never more than ``chunk_rows``)."""
        async for body in self._run_window(dag_id, filters, max(1, min(PAGE, chunk_rows))):
            if body is None:
                return
            if body["dag_runs"]:
                yield await self._listed(dag_id, body["dag_runs"])

    async def _window(
        self,
        path: str,
        params: dict[str, Any],
        key: str,
        *,
        offset: int,
        limit: int | None,
        page_size: int,
        template: str,
        missing: bool = True,
    ) -> AsyncGenerator[dict[str, Any] | None]:
        """The bodies of a paged listing, page after page: at most ``limit`` items of ``key`` from
        ``offset`` (all when ``limit`` is None). ``missing``: a 404 yields one ``None`` (an unknown
        DAG) rather than refusing the request."""
        taken = 0
        while limit is None or taken < limit:
            size = page_size if limit is None else min(page_size, limit - taken)
            answer = await self.client.get(
                path, {**params, "limit": size, "offset": offset + taken}, template=template
            )
            if missing and answer.status == 404:
                yield None
                return
            body = expect(answer, 200)
            yield body
            taken += len(body[key])
            if len(body[key]) < size:
                return

    async def runs_version(self, *, dag_id: str) -> RunsVersion:
        """Whether the DAG exists; Airflow offers no change stamp, so listings are read every time."""
        answer = await self.client.get(f"/dags/{dag_id}", template="/dags/{dag_id}")
        if answer.status == 404:
            return RunsVersion(dag_exists=False, version=None)
        expect(answer, 200)
        return RunsVersion(dag_exists=True, version=None)

    async def latest_runs(self) -> list[LatestRun]:
        dags = await self._pages("/dags", {"order_by": "dag_id"}, "dags", template="/dags")
        found = await self._bounded([(lambda d=d["dag_id"]: self._newest(d)) for d in dags or ()])
        return [run for run in found if run is not None]

    async def _newest(self, dag_id: str) -> LatestRun | None:
        """The DAG's run with the greatest date of this mode. Airflow sorts null logical_dates first
        in a descending order (on Postgres): the first run is either the newest dated run or the
        newest undated one by run_after; in the second case the newest dated run is read too."""
        path, template = f"/dags/{dag_id}/dagRuns", "/dags/{dag_id}/dagRuns"
        top = await self.client.get(
            path, {"order_by": ["-logical_date", "-run_after"], "limit": 1}, template=template
        )
        if top.status == 404:
            return None  # deleted meanwhile
        runs = expect(top, 200)["dag_runs"]
        if not runs:
            return None
        best = runs[0]
        if best.get("logical_date") is None:
            dated = await self.client.get(
                path,
                {"order_by": "-logical_date", "logical_date_gte": EARLIEST, "limit": 1},
                template=template,
            )
            candidates = expect(dated, 200)["dag_runs"] if dated.status == 200 else []
            if candidates and execution_date(candidates[0]) >= execution_date(best):
                best = candidates[0]
        return LatestRun(
            dag_id, execution_date(best).isoformat(), iso(best.get("start_date")), best["dag_run_id"]
        )

    async def latest_runs_version(self) -> int | None:
        return None

    async def trigger(self, command: TriggerCommand) -> TriggerOutcome:
        details = await self.client.get(f"/dags/{command.dag_id}/details", template="/dags/{dag_id}/details")
        if details.status == 404:
            return TriggerOutcome(dag_exists=False, dag_start_date=None, created=False)
        dag = expect(details, 200)
        start = parse_time(dag.get("start_date") or (dag.get("default_args") or {}).get("start_date"))
        if start is not None and start > command.execution_date:
            return TriggerOutcome(dag_exists=True, dag_start_date=start, created=False)
        body: dict[str, Any] = {
            "dag_run_id": command.run_id,
            "logical_date": command.execution_date.astimezone(UTC).isoformat(),
        }
        if command.conf is not None:
            body["conf"] = command.conf
        answer = await self.client.send(
            "POST", f"/dags/{command.dag_id}/dagRuns", json=body, template="/dags/{dag_id}/dagRuns"
        )
        if answer.status == 404:
            return TriggerOutcome(dag_exists=False, dag_start_date=None, created=False)
        if answer.status == 409:  # a run with that run_id or logical_date
            return TriggerOutcome(dag_exists=True, dag_start_date=start, created=False)
        created = expect(answer, 200, 201)
        return TriggerOutcome(dag_exists=True, dag_start_date=start, created=True, run=to_run(created))

    async def set_run_state(
        self, *, dag_id: str, execution_date: datetime, state: str, now: datetime
    ) -> RunLookup:
        found = await self._run_at(dag_id, execution_date)
        if found is NO_DAG or found is None:
            return RunLookup(dag_exists=found is not NO_DAG, run=None)
        run_id = found["dag_run_id"]  # type: ignore[index]
        answer = await self.client.send(
            "PATCH",
            f"/dags/{dag_id}/dagRuns/{q(run_id)}",
            json={"state": state},
            template="/dags/{dag_id}/dagRuns/{dag_run_id}",
        )
        if answer.status == 404:
            return RunLookup(dag_exists=True, run=None)
        return RunLookup(dag_exists=True, run=to_run(expect(answer, 200)))

    # -- tasks and task instances ------------------------------------------------------------------

    async def _tasks(self, dag_id: str) -> list[dict[str, Any]] | None:
        answer = await self.client.get(f"/dags/{dag_id}/tasks", template="/dags/{dag_id}/tasks")
        if answer.status == 404:
            return None
        return list(expect(answer, 200)["tasks"])

    async def find_task(self, *, dag_id: str, task_id: str) -> TaskLookup:
        tasks = await self._tasks(dag_id)
        if tasks is None:
            return TaskLookup(dag_exists=False, task=None)
        by_id = {t["task_id"]: t for t in tasks}
        if task_id not in by_id:
            return TaskLookup(dag_exists=True, task=None)
        upstream = sorted(t["task_id"] for t in tasks if task_id in (t.get("downstream_task_ids") or ()))
        return TaskLookup(dag_exists=True, task=to_task(dag_id, by_id[task_id], upstream))

    async def find_task_instance(
        self, *, dag_id: str, execution_date: datetime, task_id: str
    ) -> TaskInstanceLookup:
        return (await self._find_instance(dag_id, execution_date, task_id))[0]

    async def _find_instance(
        self, dag_id: str, execution_date: datetime, task_id: str
    ) -> tuple[TaskInstanceLookup, dict[str, Any] | None]:
        """The lookup, and the run it found (Airflow's object), for a caller that goes on with it."""
        task, run = await asyncio.gather(
            self.client.get(f"/dags/{dag_id}/tasks/{q(task_id)}", template="/dags/{dag_id}/tasks/{task_id}"),
            self._run_at(dag_id, execution_date),
        )
        if run is NO_DAG:
            return TaskInstanceLookup(False, False, False, None), None
        if task.status == 404:
            return TaskInstanceLookup(True, False, run is not None, None), None
        expect(task, 200)
        if run is None:
            return TaskInstanceLookup(True, True, False, None), None
        return await self._instance(dag_id, run, task_id), run  # type: ignore[arg-type]

    async def _instance(self, dag_id: str, run: dict[str, Any], task_id: str) -> TaskInstanceLookup:
        answer = await self.client.get(
            f"/dags/{dag_id}/dagRuns/{q(run['dag_run_id'])}/taskInstances/{q(task_id)}",
            template="/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}",
        )
        if answer.status == 404:  # the scheduler has not created it yet
            return TaskInstanceLookup(True, True, True, None)
        return TaskInstanceLookup(True, True, True, to_task_instance(expect(answer, 200), run))

    async def report_task_instance(
        self,
        *,
        dag_id: str,
        execution_date: datetime,
        task_id: str,
        report: TaskInstanceReport,
        now: datetime,
    ) -> TaskInstanceLookup:
        lookup, run = await self._find_instance(dag_id, execution_date, task_id)
        if lookup.instance is None or run is None:
            return lookup
        if report.state not in SETTABLE_TI_STATES:
            raise Invalid(
                f"In front of Airflow a task instance's state can be set to {', '.join(SETTABLE_TI_STATES)} "
                f"(Airflow's scheduler sets the others), got '{report.state}'"
            )
        if lookup.instance.state == report.state:  # Airflow refuses a change to the state it is in
            return lookup
        run_id = lookup.instance.run_id
        answer = await self.client.send(
            "PATCH",
            f"/dags/{dag_id}/dagRuns/{q(run_id)}/taskInstances/{q(task_id)}",
            json={"new_state": report.state},
            template="/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}",
        )
        expect(answer, 200)
        return await self._instance(dag_id, run, task_id)

    async def run_lineage(self, *, dag_id: str, execution_date: datetime) -> LineageLookup:
        run = await self._run_at(dag_id, execution_date)
        if run is NO_DAG or run is None:
            return LineageLookup(dag_exists=run is not NO_DAG, run_exists=False, tasks=[])
        run_id = run["dag_run_id"]  # type: ignore[index]
        emitted, consumed = await asyncio.gather(
            self._pages(
                "/assets/events",
                {"source_dag_id": dag_id, "source_run_id": run_id, "order_by": "timestamp"},
                "asset_events",
                template="/assets/events",
            ),
            self.client.get(
                f"/dags/{dag_id}/dagRuns/{q(run_id)}/upstreamAssetEvents",
                template="/dags/{dag_id}/dagRuns/{dag_run_id}/upstreamAssetEvents",
            ),
        )
        inlets = [asset_entity(e) for e in (expect(consumed, 200).get("asset_events") or [])]
        outlets: dict[str, list[dict[str, Any]]] = {}
        for event in emitted or ():
            task = event.get("source_task_id")
            if task:
                outlets.setdefault(task, []).append(asset_entity(event))
        tasks = [TaskLineage(task_id=t, inlets=inlets, outlets=o) for t, o in sorted(outlets.items())]
        return LineageLookup(dag_exists=True, run_exists=True, tasks=tasks)

    # -- DAGs ----------------------------------------------------------------------------------------

    async def _dag(self, dag_id: str) -> Dag | None:
        details, tasks = await asyncio.gather(
            self.client.get(f"/dags/{dag_id}/details", template="/dags/{dag_id}/details"),
            self._tasks(dag_id),
        )
        if details.status == 404 or tasks is None:
            return None
        return to_dag(expect(details, 200), [t["task_id"] for t in tasks])

    async def get_dag(self, *, dag_id: str) -> Dag | None:
        return await self._dag(dag_id)

    async def list_dags(self, *, limit: int, offset: int, paused: bool | None, tag: str | None) -> DagPage:
        params: dict[str, Any] = {"order_by": "dag_id"}
        if paused is not None:
            params["paused"] = str(paused).lower()
        if tag is not None:
            params["tags"] = tag
        listed: list[dict[str, Any]] = []
        total = 0
        pages = self._window(
            "/dags",
            params,
            "dags",
            offset=offset,
            limit=limit,
            page_size=PAGE,
            template="/dags",
            missing=False,
        )
        async for body in pages:
            assert body is not None  # missing=False: a 404 is refused, not yielded
            total = body["total_entries"]
            listed.extend(body["dags"])
        dags = await self._bounded([(lambda d=d["dag_id"]: self._dag(d)) for d in listed])
        return DagPage(dags=[d for d in dags if d is not None], total=total)

    async def dag_source(self, *, dag_id: str) -> str | None:
        answer = await self.client.get(f"/dagSources/{dag_id}", template="/dagSources/{dag_id}")
        if answer.status == 404:
            return None
        return str(expect(answer, 200).get("content") or "")

    async def is_paused(self, *, dag_id: str) -> bool | None:
        answer = await self.client.get(f"/dags/{dag_id}", template="/dags/{dag_id}")
        if answer.status == 404:
            return None
        return bool(expect(answer, 200)["is_paused"])

    async def set_paused(self, *, dag_id: str, paused: bool) -> bool:
        answer = await self.client.send(
            "PATCH", f"/dags/{dag_id}", json={"is_paused": paused}, template="/dags/{dag_id}"
        )
        if answer.status == 404:
            return False
        expect(answer, 200)
        return True

    async def delete_dag(self, *, dag_id: str) -> int | None:
        runs, instances = await asyncio.gather(
            self.client.get(f"/dags/{dag_id}/dagRuns", {"limit": 1}, template="/dags/{dag_id}/dagRuns"),
            self.client.get(
                f"/dags/{dag_id}/dagRuns/~/taskInstances",
                {"limit": 1},
                template="/dags/{dag_id}/dagRuns/~/taskInstances",
            ),
        )
        if runs.status == 404:
            return None
        count = int(expect(runs, 200)["total_entries"]) + int(expect(instances, 200)["total_entries"])
        answer = await self.client.send("DELETE", f"/dags/{dag_id}", template="/dags/{dag_id}")
        if answer.status == 404:
            return None
        if answer.status == 409:  # task instances still running
            raise InUse(answer.detail)
        expect(answer, 200, 204)
        return count

    async def upsert_dag(
        self, *, definition: DagDefinition, source_text: str, fileloc: str, now: datetime
    ) -> StoredDag:
        raise NotSupported(DEFINITIONS_ELSEWHERE)

    # -- pools ---------------------------------------------------------------------------------------

    async def _numbered(self, pools: list[dict[str, Any]]) -> list[Pool]:
        # default_pool is numbered with the first pool ever seen, so it lists first (as its id 1 does
        # in dagport's own store).
        numbers = await self.ids.ids("pool", "", ["default_pool", *(p["name"] for p in pools)])
        return [to_pool(numbers[p["name"]], p) for p in pools]

    async def list_pools(self) -> list[Pool]:
        pools = await self._pages("/pools", {"order_by": "id"}, "pools", template="/pools") or []
        return sorted(await self._numbered(pools), key=lambda p: p.id)

    async def _get_pool(self, name: str) -> dict[str, Any] | None:
        answer = await self.client.get(f"/pools/{q(name)}", template="/pools/{pool_name}")
        if answer.status == 404:
            return None
        return expect(answer, 200)  # type: ignore[no-any-return]

    async def get_pool(self, *, name: str) -> Pool | None:
        found = await self._get_pool(name)
        return None if found is None else (await self._numbered([found]))[0]

    async def upsert_pool(
        self, *, name: str, slots: int, description: Any = UNSET, include_deferred: Any = UNSET
    ) -> Pool:
        body: dict[str, Any] = {"name": name, "slots": slots}
        if description is not UNSET:
            body["description"] = description
        if include_deferred is not UNSET:
            body["include_deferred"] = include_deferred
        answer = await self.client.send("POST", "/pools", json=body, template="/pools")
        if answer.status == 409:  # exists: updated with the fields the caller sent
            current = await self._get_pool(name)
            if current is None:
                raise refused(answer)
            mask = ["slots"]
            patch: dict[str, Any] = {
                "pool": name,
                "slots": slots,
                "include_deferred": current["include_deferred"],
            }
            if include_deferred is not UNSET:
                patch["include_deferred"] = include_deferred
                mask.append("include_deferred")
            if description is not UNSET and name != "default_pool":
                patch["description"] = description
                mask.append("description")
            elif description is not UNSET and description != current.get("description"):
                raise Invalid("Airflow 3 does not let default_pool's description change")
            answer = await self.client.send(
                "PATCH",
                f"/pools/{q(name)}",
                json=patch,
                params={"update_mask": mask},
                template="/pools/{pool_name}",
            )
        return (await self._numbered([expect(answer, 200, 201)]))[0]

    async def delete_pool(self, *, name: str) -> Pool | None:
        found = await self._get_pool(name)
        if found is None:
            return None
        answer = await self.client.send("DELETE", f"/pools/{q(name)}", template="/pools/{pool_name}")
        if answer.status == 404:
            return None
        expect(answer, 200, 204)
        return (await self._numbered([found]))[0]


# -- Airflow's objects as dagport's results ------------------------------------------------------------


def to_pool(number: int, pool: dict[str, Any]) -> Pool:
    return Pool(
        id=number,
        pool=pool["name"],
        slots=int(pool["slots"]),
        description=pool.get("description"),
        include_deferred=bool(pool.get("include_deferred")),
    )


def to_dag(dag: dict[str, Any], task_ids: list[str]) -> Dag:
    return Dag(
        dag_id=dag["dag_id"],
        description=dag.get("description"),
        is_paused=bool(dag.get("is_paused")),
        owners=list(dag.get("owners") or []),
        tags=sorted(t["name"] if isinstance(t, dict) else str(t) for t in dag.get("tags") or []),
        schedule_interval=dag.get("timetable_summary"),
        start_date=parse_time(dag.get("start_date")),
        fileloc=dag.get("fileloc") or "",
        tasks=task_ids,
    )


def _int(value: Any, default: int = 0) -> int:
    return default if value is None else int(value)


def to_task(dag_id: str, task: dict[str, Any], upstream: list[str]) -> Task:
    """Airflow 3.3 does not expose email, email_on_*, max_retry_delay, inlets, outlets or operator
    arguments: those are None (arguments: none listed)."""
    return Task(
        task_id=task["task_id"],
        dag_id=dag_id,
        operator=task.get("operator_name") or (task.get("class_ref") or {}).get("class_name") or "",
        owner=task.get("owner") or "",
        email=None,
        email_on_failure=None,
        email_on_retry=None,
        retries=_int(task.get("retries")),
        retry_delay=seconds(task.get("retry_delay")) or 0.0,
        retry_exponential_backoff=bool(task.get("retry_exponential_backoff")),
        max_retry_delay=None,
        execution_timeout=seconds(task.get("execution_timeout")),
        start_date=parse_time(task.get("start_date")),
        end_date=parse_time(task.get("end_date")),
        depends_on_past=bool(task.get("depends_on_past")),
        wait_for_downstream=bool(task.get("wait_for_downstream")),
        pool=task.get("pool") or "default_pool",
        pool_slots=_int(task.get("pool_slots"), 1),
        queue=task.get("queue") or "default",
        priority_weight=_int(task.get("priority_weight"), 1),
        weight_rule=str(task.get("weight_rule") or "downstream"),
        trigger_rule=str(task.get("trigger_rule") or "all_success"),
        params=dict(task.get("params") or {}),
        inlets=None,
        outlets=None,
        doc_md=task.get("doc_md"),
        arguments={},
        upstream_task_ids=upstream,
        downstream_task_ids=sorted(task.get("downstream_task_ids") or []),
    )


def to_task_instance(ti: dict[str, Any], run: dict[str, Any]) -> TaskInstance:
    return TaskInstance(
        task_id=ti["task_id"],
        dag_id=ti["dag_id"],
        run_id=ti["dag_run_id"],
        execution_date=execution_date(run),
        state=ti.get("state"),
        try_number=_int(ti.get("try_number")),
        max_tries=_int(ti.get("max_tries")),
        start_date=parse_time(ti.get("start_date")),
        end_date=parse_time(ti.get("end_date")),
        duration=ti.get("duration"),
        hostname=ti.get("hostname") or "",
        unixname=ti.get("unixname") or "",
        job_id=None,
        pid=ti.get("pid"),
        pool=ti.get("pool") or "default_pool",
        pool_slots=_int(ti.get("pool_slots"), 1),
        queue=ti.get("queue") or "default",
        priority_weight=_int(ti.get("priority_weight"), 1),
        operator=ti.get("operator") or ti.get("operator_name") or "",
        queued_dttm=parse_time(ti.get("queued_when")),
        executor_config=ti.get("executor_config"),
        updated_at=None,
    )


def asset_entity(event: dict[str, Any]) -> dict[str, Any]:
    """An asset event's asset as a lineage entity."""
    return {"type": "Asset", "uri": event.get("uri"), "name": event.get("name")}

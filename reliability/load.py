"""The mixed workload: N concurrent asyncio clients on httpx, every request and answer recorded.

Targets are named: ``nginx`` (the balancer) and ``r1``/``r2`` (each replica directly). Actions:

- ``trigger``: POST a run with a unique execution_date and run_id;
- ``burst``: the same trigger sent concurrently to every live target, two copies each (both
  replicas directly and nginx): exactly one may create the run;
- ``read``: a run's state, a task instance, a run listing, latest_runs, pools or a task;
- ``ti``: PATCH a task instance of an acknowledged run to ``running``, then to ``success``;
- ``pool``: POST the same new pool name concurrently to both replicas (and nginx), with
  different slots: the upserts must leave one row.

Nothing is retried: a request's first answer (or transport error) is what is recorded, so the
checks see exactly what a client would have seen. Every request carries an ``X-Request-ID`` that
dagport writes to its access log, so an answer can be matched with what a replica processed.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from reliability.stack import API, AUTH

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
CLIENT_TIMEOUT = 10.0  # a request unanswered after this long counts as a hang

# Unique trigger dates start here, one minute apart; bursts start at BURST_BASE, one hour apart.
TRIGGER_BASE = datetime(2031, 1, 1, tzinfo=UTC)
BURST_BASE = datetime(2041, 1, 1, tzinfo=UTC)


@dataclass
class Exchange:
    """One request and what came back."""

    seq: int
    phase: str
    kind: str  # trigger, burst, read, ti, pool, probe, limit...
    target: str
    method: str
    path: str
    request_id: str
    started: float
    ended: float = 0.0
    status: int | None = None
    body: Any = None  # the parsed JSON answer, else its text
    is_json: bool = False
    error: str | None = None  # transport error class (ConnectError, ReadTimeout, ...)
    payload: Any = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def idempotent(self) -> bool:
        return self.method in IDEMPOTENT

    def outcome(self) -> str:
        return self.error if self.error else str(self.status)

    def in_flight_at(self, moment: float) -> bool:
        return self.started <= moment <= self.ended

    def describe(self) -> str:
        answer = self.error or f"{self.status} {str(self.body)[:160]}"
        return f"{self.method} {self.target}{self.path} [{self.request_id}] -> {answer}"


class Recorder:
    """httpx clients per target and the list of every exchange made through them."""

    def __init__(self, targets: dict[str, str], *, run_tag: str, timeout: float = CLIENT_TIMEOUT) -> None:
        self.timeout = timeout
        self.clients: dict[str, httpx.AsyncClient] = {}
        for name, url in targets.items():
            self.add_target(name, url)
        self.exchanges: list[Exchange] = []
        self.phase = "setup"
        self._seq = itertools.count(1)
        self._tag = run_tag

    def add_target(self, name: str, url: str) -> None:
        # Idle connections are dropped well before uvicorn closes them (timeout_keep_alive, 5 s):
        # with both at 5 s, a request sent on a connection the server was closing at that instant
        # failed with ReadError without reaching it, a client-side race, not a server fault.
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=50, keepalive_expiry=2.0)
        self.clients[name] = httpx.AsyncClient(
            base_url=url, headers=AUTH, timeout=self.timeout, limits=limits
        )

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()

    async def send(
        self,
        target: str,
        method: str,
        path: str,
        *,
        kind: str,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        meta: dict[str, Any] | None = None,
        answer_within: float | None = None,
    ) -> Exchange:
        seq = next(self._seq)
        request_id = f"{self._tag}-{seq}"
        ex = Exchange(seq, self.phase, kind, target, method, path, request_id, time.monotonic(), payload=json)
        ex.meta = meta or {}
        self.exchanges.append(ex)
        extra = {"timeout": answer_within} if answer_within is not None else {}
        try:
            response = await self.clients[target].request(
                method,
                path,
                json=json,
                content=content,
                headers={"X-Request-ID": request_id, **(headers or {})},
                **extra,
            )
        except httpx.TransportError as exc:
            ex.error = type(exc).__name__
        else:
            ex.status = response.status_code
            try:
                ex.body, ex.is_json = response.json(), True
            except ValueError:
                ex.body = response.text[:2000]
        ex.ended = time.monotonic()
        return ex

    def where(self, *, phase: str | None = None, kind: str | None = None) -> list[Exchange]:
        return [
            e
            for e in self.exchanges
            if (phase is None or e.phase == phase) and (kind is None or e.kind == kind)
        ]


def date_path(value: str) -> str:
    return quote(value, safe="")


@dataclass
class RunKey:
    dag_id: str
    execution_date: str
    run_id: str


class Workload:
    """The mixed load. ``dags`` maps dag_id to its task ids; ``targets`` may change while it runs."""

    WEIGHTS = (("read", 45), ("trigger", 25), ("ti", 15), ("burst", 6), ("pool", 9))

    def __init__(
        self, recorder: Recorder, dags: dict[str, list[str]], targets: Iterable[str], *, seed: int = 7
    ) -> None:
        self.recorder = recorder
        self.dags = dags
        self.targets = list(targets)
        self.direct_targets = [t for t in self.targets if t != "nginx"]
        self.rng = random.Random(seed)
        self.acknowledged: list[RunKey] = []
        self.ti_queue: list[tuple[RunKey, str]] = []
        self._trigger_no = itertools.count()
        self._burst_no = itertools.count()
        self._pool_no = itertools.count()
        self.requests_issued = 0

    # -- target choice -------------------------------------------------------------------------------

    def exclude(self, target: str) -> None:
        """Stop sending to ``target`` (a replica about to be killed, or just killed)."""
        self.targets = [t for t in self.targets if t != target]
        self.direct_targets = [t for t in self.direct_targets if t != target]

    def include(self, target: str) -> None:
        if target not in self.targets:
            self.targets.append(target)
        if target != "nginx" and target not in self.direct_targets:
            self.direct_targets.append(target)

    def _target(self) -> str:
        # through the balancer most of the time, like real clients; directly now and then
        if "nginx" in self.targets and (self.rng.random() < 0.6 or not self.direct_targets):
            return "nginx"
        return self.rng.choice(self.direct_targets or self.targets)

    # -- actions -----------------------------------------------------------------------------------

    async def trigger(self) -> int:
        n = next(self._trigger_no)
        dag_id = self.rng.choice(list(self.dags))
        date = (TRIGGER_BASE + timedelta(minutes=n)).isoformat()
        key = RunKey(dag_id, date, f"rel_{n}")
        body = {"execution_date": date, "run_id": key.run_id, "conf": {"n": n}}
        ex = await self.recorder.send(
            self._target(),
            "POST",
            f"{API}/dags/{dag_id}/dag_runs",
            kind="trigger",
            json=body,
            meta={"key": key},
        )
        if ex.status == 200:
            self.acknowledged.append(key)
            self.ti_queue.extend((key, task_id) for task_id in self.dags[dag_id])
        return 1

    async def burst(self) -> int:
        """Identical concurrent triggers: two copies to each live target."""
        n = next(self._burst_no)
        dag_id = self.rng.choice(list(self.dags))
        date = (BURST_BASE + timedelta(hours=n)).isoformat()
        with_run_id = n % 2 == 0  # half name the run, half let it default to manual__<date>
        run_id = f"burst_{n}" if with_run_id else f"manual__{date}"
        key = RunKey(dag_id, date, run_id)
        body: dict[str, Any] = {"execution_date": date}
        if with_run_id:
            body["run_id"] = run_id
        targets = [t for t in self.targets for _ in range(2)]
        sent = await asyncio.gather(
            *(
                self.recorder.send(
                    t,
                    "POST",
                    f"{API}/dags/{dag_id}/dag_runs",
                    kind="burst",
                    json=body,
                    meta={"key": key, "burst": n},
                )
                for t in targets
            )
        )
        if any(ex.status == 200 for ex in sent):
            self.acknowledged.append(key)
        return len(targets)

    async def read(self) -> int:
        choice = self.rng.random()
        target = self._target()
        if self.acknowledged and choice < 0.3:
            key = self.rng.choice(self.acknowledged)
            path = f"{API}/dags/{key.dag_id}/dag_runs/{date_path(key.execution_date)}"
        elif self.acknowledged and choice < 0.5:
            key = self.rng.choice(self.acknowledged)
            task_id = self.rng.choice(self.dags[key.dag_id])
            path = f"{API}/dags/{key.dag_id}/dag_runs/{date_path(key.execution_date)}/tasks/{task_id}"
        elif choice < 0.65:
            dag_id = self.rng.choice(list(self.dags))
            path = f"{API}/dags/{dag_id}/dag_runs?limit=20&offset={self.rng.randrange(0, 50)}"
        elif choice < 0.75:
            path = f"{API}/latest_runs"
        elif choice < 0.9:
            path = f"{API}/pools"
        else:
            dag_id = self.rng.choice(list(self.dags))
            path = f"{API}/dags/{dag_id}/tasks/{self.rng.choice(self.dags[dag_id])}"
        await self.recorder.send(target, "GET", path, kind="read")
        return 1

    async def task_instance(self) -> int:
        """running, then success, for one task instance of an acknowledged run (each TI once)."""
        if not self.ti_queue:
            return await self.read()
        key, task_id = self.ti_queue.pop(self.rng.randrange(len(self.ti_queue)))
        path = f"{API}/dags/{key.dag_id}/dag_runs/{date_path(key.execution_date)}/tasks/{task_id}"
        meta = {"key": key, "task_id": task_id}
        first = await self.recorder.send(
            self._target(), "PATCH", path, kind="ti", json={"state": "running", "hostname": "rel"}, meta=meta
        )
        if first.status != 200:
            return 1
        await self.recorder.send(
            self._target(), "PATCH", path, kind="ti", json={"state": "success"}, meta=meta
        )
        return 2

    async def pool(self) -> int:
        """One new pool name upserted concurrently from both replicas (and nginx)."""
        n = next(self._pool_no)
        name = f"rel_pool_{n}"
        targets = [
            *self.direct_targets,
            *self.direct_targets,
            *(["nginx"] if "nginx" in self.targets else []),
        ]
        await asyncio.gather(
            *(
                self.recorder.send(
                    t,
                    "POST",
                    f"{API}/pools",
                    kind="pool",
                    json={"name": name, "slots": i + 1, "description": f"from {t}"},
                    meta={"name": name},
                )
                for i, t in enumerate(targets)
            )
        )
        return len(targets)

    # -- the loop ----------------------------------------------------------------------------------

    def _action(self) -> str:
        total = sum(w for _, w in self.WEIGHTS)
        pick = self.rng.uniform(0, total)
        for name, weight in self.WEIGHTS:
            pick -= weight
            if pick <= 0:
                return name
        return "read"

    async def _one(self) -> int:
        action = self._action()
        if action == "trigger":
            return await self.trigger()
        if action == "burst":
            return await self.burst()
        if action == "ti":
            return await self.task_instance()
        if action == "pool":
            return await self.pool()
        return await self.read()

    async def run(
        self,
        *,
        clients: int,
        max_requests: int,
        duration: float,
        rate: float | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        """Until ``max_requests`` were issued, ``duration`` s passed or ``stop`` is set.

        ``rate`` (requests/s over all clients) paces the load; None: as fast as answers come.
        """
        started = time.monotonic()
        deadline = started + duration
        stop = stop or asyncio.Event()
        budget_start = self.requests_issued
        slots = itertools.count()

        async def client() -> None:
            while not stop.is_set() and time.monotonic() < deadline:
                if self.requests_issued - budget_start >= max_requests:
                    return
                if rate:
                    delay = started + next(slots) / rate - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                self.requests_issued += await self._one()

        await asyncio.gather(*(client() for _ in range(clients)))

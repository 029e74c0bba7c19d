"""A real Apache Airflow (the version requirements/airflow.txt pins) for the tests and the bench.

:func:`ensure_venv` installs requirements/airflow.txt (every file checked against its hash) into a
venv cached outside the clone, ``${DAGPORT_AIRFLOW_VENV_CACHE:-~/.cache/dagport}/airflow-<version>-<hash12>``,
keyed by the Airflow version and a digest of the requirements file and the interpreter's version: a
second run, or another clone, does not reinstall. The install goes into a temporary directory,
renamed into place once it is complete and ``airflow version`` answers, under a file lock, so
pytest-xdist workers and parallel runs install it once and never see half a venv.

:class:`AirflowDeployment` starts a fresh deployment from it: a new Postgres database on the test
suite's server (tests/postgres.py), ``airflow db migrate``, then ``airflow api-server``,
``airflow scheduler`` (LocalExecutor) and ``airflow dag-processor`` on free loopback ports, with
the DAG files of tests/airflow_dags/. Users of the simple auth manager: ``admin:admin`` (role ADMIN)
and ``viewer:viewer`` (role VIEWER: reads only, so writes answer 403). Each process writes its
output to files under the deployment's work directory; :meth:`AirflowDeployment.output` returns
their tails, for failure messages.

From the bench (any asyncio code)::

    venv = ensure_venv()
    deployment = AirflowDeployment(venv, work_dir)
    await deployment.start()
    try:
        await deployment.wait_dag("dagport_echo")
        ...
    finally:
        await deployment.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from reliability.stack import Process, free_port
from tests import postgres

REPO = Path(__file__).resolve().parents[1]
REQUIREMENTS = REPO / "requirements" / "airflow.txt"
DAGS_FOLDER = Path(__file__).resolve().parent / "airflow_dags"
CACHE_VARIABLE = "DAGPORT_AIRFLOW_VENV_CACHE"
ADMIN = ("admin", "admin")
VIEWER = ("viewer", "viewer")
USERS = {"admin": ("admin", "ADMIN"), "viewer": ("viewer", "VIEWER")}  # name: (password, role)
PROCESSES = ("api-server", "scheduler", "dag-processor")
HEALTH_PARTS = {"scheduler": "scheduler", "dag-processor": "dag_processor"}  # process: /monitor/health key
FINISHED = frozenset({"success", "failed"})

Say = Callable[[str], None]


class AirflowFailed(RuntimeError):
    """Airflow did not install, start or answer as expected; the message ends with its output."""


def say_to_stderr(message: str) -> None:
    print(f"airflow: {message}", file=sys.stderr, flush=True)


# -- the venv ------------------------------------------------------------------------------------


def airflow_version(requirements: Path = REQUIREMENTS) -> str:
    match = re.search(r"^apache-airflow==(\S+)", requirements.read_text(), re.M)
    if match is None:
        raise AirflowFailed(f"{requirements} pins no apache-airflow")
    return match.group(1)


def venv_path(requirements: Path = REQUIREMENTS) -> Path:
    """Where the venv for ``requirements`` lives (or will), outside the clone."""
    digest = hashlib.sha256(requirements.read_bytes())
    digest.update(f"python {sys.version_info.major}.{sys.version_info.minor}".encode())
    cache = Path(os.environ.get(CACHE_VARIABLE) or Path.home() / ".cache" / "dagport").expanduser()
    return cache / f"airflow-{airflow_version(requirements)}-{digest.hexdigest()[:12]}"


def _uv() -> str:
    """The uv that requirements/dev.txt pins, beside this interpreter (or on PATH)."""
    beside = Path(sys.executable).with_name("uv")
    found = str(beside) if beside.exists() else shutil.which("uv")
    if found is None:
        raise AirflowFailed("no uv: install requirements/dev.txt first (README.md, Dependencies)")
    return found


@contextlib.contextmanager
def _locked(path: Path, say: Say) -> Iterator[None]:
    with path.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another process installing the same venv ({path})")
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run_logged(argv: list[str], log: Path, env: Mapping[str, str] | None = None) -> None:
    with log.open("ab") as out:
        out.write(f"$ {' '.join(argv)}\n".encode())
        out.flush()
        result = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, env=env, check=False)
    if result.returncode != 0:
        tail = log.read_text(errors="replace")[-4000:]
        raise AirflowFailed(f"{argv[0]} exited {result.returncode}\n{tail}")


def ensure_venv(requirements: Path = REQUIREMENTS, say: Say = say_to_stderr) -> Path:
    """The venv with ``requirements`` installed, installing it first when it is not there yet."""
    final = venv_path(requirements)
    if (final / "bin" / "airflow").exists():
        say(f"venv {final} (cached)")
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    with _locked(final.parent / f"{final.name}.lock", say):
        if (final / "bin" / "airflow").exists():  # installed while this process waited
            say(f"venv {final} (installed by another process)")
            return final
        # Left by an install that was interrupted: nobody else holds the lock, so nobody uses them.
        for stale in final.parent.glob(f".{final.name}.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        partial = final.parent / f".{final.name}.tmp-{os.getpid()}"
        log = final.parent / f"{final.name}.install.log"
        log.write_text("")
        say(f"installing {requirements.name} into {final} (about 20 s with an empty uv cache; log: {log})")
        started = time.monotonic()
        try:
            # --relocatable: scripts find their interpreter relative to themselves, so the rename
            # below keeps bin/airflow working.
            python = os.path.realpath(sys.executable)
            _run_logged([_uv(), "venv", "--relocatable", "--python", python, str(partial)], log)
            _run_logged(
                [_uv(), "pip", "install", "--python", str(partial / "bin" / "python"), "--require-hashes",
                 "--no-deps", "-r", str(requirements)],
                log,
            )  # fmt: skip
            with tempfile.TemporaryDirectory(prefix="dagport-airflow-check-") as home:
                env = {**os.environ, "AIRFLOW_HOME": home, "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
                _run_logged([str(partial / "bin" / "airflow"), "version"], log, env)
            os.rename(partial, final)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        say(f"installed in {time.monotonic() - started:.0f} s")
        return final


# -- a deployment --------------------------------------------------------------------------------


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (those still alive)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                with contextlib.suppress(OSError):
                    todo += [int(c) for c in (task / "children").read_text().split()]
    return found


def _pss_kb(pid: int) -> int:
    """The process's proportional set size: its private pages plus its share of those it shares
    (forked workers share most of their parent's), so a tree's sum counts each page once."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


class AirflowDeployment:
    """Airflow's api-server, scheduler and dag-processor over a database of their own.

    ``processes`` names the long-running processes :meth:`start` starts (all three unless told; the
    api-server always): a deployment without a scheduler leaves triggered runs ``queued``, one
    without a dag-processor parses nothing by itself (:meth:`run_in_venv` runs the CLI for that).
    ``timings`` records, in seconds, how long ``migrate`` took and how long after the processes
    were started Airflow was ``healthy`` (both printed through ``say`` too).
    """

    def __init__(
        self,
        venv: Path,
        work: Path,
        *,
        dags_folder: Path = DAGS_FOLDER,
        parallelism: int = 4,
        processes: Sequence[str] = PROCESSES,
        say: Say = say_to_stderr,
    ) -> None:
        unknown = set(processes) - set(PROCESSES)
        if unknown or "api-server" not in processes:
            raise ValueError(f"processes must include api-server and name only {PROCESSES}, not {processes}")
        self.venv, self.work, self.dags_folder, self.say = venv, work, dags_folder, say
        self.process_names = tuple(name for name in PROCESSES if name in processes)
        self.home = work / "airflow-home"
        self.log_dir = work / "logs"
        self.port = free_port()
        self.log_server_port = free_port()
        self.parallelism = parallelism
        self.jwt_secret = secrets.token_urlsafe(32)
        self.database: str | None = None
        self.processes: dict[str, Process] = {}
        self.timings: dict[str, float] = {}
        self._tokens: dict[tuple[str, str], str] = {}
        self._client: httpx.AsyncClient | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        """The environment of every Airflow process of this deployment (one JWT secret for all:
        the api-server signs the tokens that tasks report their state with)."""
        assert self.database is not None
        sql = make_url(postgres.admin_url()).set(drivername="postgresql+psycopg2", database=self.database)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_", "DAGPORT_"))}
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sql.render_as_string(hide_password=False),
                # Airflow's default pools (5 + 10 per process; the suite's Postgres allows 300). With
                # 3 + 5 the api-server deadlocked for its 30 s pool timeout under dagport's default
                # fan-out: 8 concurrent reads each held a connection while serialising the answer
                # needed another (docs/airflow.md, DAGPORT_AIRFLOW_FANOUT).
                "AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE": "5",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_MAX_OVERFLOW": "10",
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": str(self.parallelism),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(
                    f"{name}:{role.lower()}" for name, (_, role) in USERS.items()
                ),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.home / "passwords.json"),
                "AIRFLOW__API__BASE_URL": self.url,
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
                "AIRFLOW__API_AUTH__JWT_SECRET": self.jwt_secret,
                # The scheduler's log server (LocalExecutor), on a port of this deployment's own.
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(self.log_server_port),
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.log_dir / "tasks"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def _argv(self, name: str) -> list[str]:
        airflow = str(self.venv / "bin" / "airflow")
        if name == "api-server":
            return [airflow, "api-server", "-H", "127.0.0.1", "-p", str(self.port), "-w", "1"]
        return [airflow, name]

    async def start(self) -> None:
        """A new database, migrated; the processes started; back once Airflow is healthy."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        (self.home / "passwords.json").write_text(
            json.dumps({name: password for name, (password, _) in USERS.items()})
        )
        # On the test suite's Postgres server, named as the suite names its databases.
        self.database = await postgres.create_database("airflow")
        try:
            started = time.monotonic()
            await asyncio.to_thread(
                _run_logged, [str(self.venv / "bin" / "airflow"), "db", "migrate"],
                self.log_dir / "migrate.log", self.environment(),
            )  # fmt: skip
            self.timings["migrate"] = time.monotonic() - started
            self.say(f"db migrate: {self.timings['migrate']:.1f} s (database {self.database})")
            started = time.monotonic()
            for name in self.process_names:
                self._start(name)
            await self.wait_healthy()
            self.timings["healthy"] = time.monotonic() - started
            self.say(f"healthy {self.timings['healthy']:.1f} s after start at {self.url}")
        except BaseException:
            await self.stop()
            raise

    def _start(self, name: str) -> None:
        # Process.start: a session (process group) of its own, so _kill ends its children too.
        self.processes[name] = Process(name, self._argv(name), self.log_dir, self.environment()).start()

    def _check_running(self) -> None:
        for name, process in self.processes.items():
            if not process.running:
                raise AirflowFailed(f"airflow {name} exited with {process.popen.returncode}\n{self.output()}")

    def output(self, chars: int = 3000) -> str:
        """The tail of the migration's output and of each process's (a stopped api-server's too),
        for a failure message."""
        paths = [self.log_dir / "migrate.log"]
        paths += [self.log_dir / f"{name}.{kind}" for name in PROCESSES for kind in ("out", "err")]
        paths += sorted(self.log_dir.glob("cli-*.log"), key=lambda path: path.stat().st_mtime)
        parts = [
            f"--- {path.name}\n{path.read_text(errors='replace')[-chars:]}\n"
            for path in paths
            if path.exists()
        ]
        return "".join(parts) + f"(all logs: {self.log_dir})\n"

    async def wait_healthy(self, within: float = 180.0) -> dict[str, Any]:
        """Polls /api/v2/monitor/health until the metadatabase, and the scheduler and the
        dag-processor where this deployment runs them, are healthy; returns the last answer."""
        deadline = time.monotonic() + within
        parts = ["metadatabase"]
        parts += [part for name, part in HEALTH_PARTS.items() if name in self.process_names]
        last: object = None
        while True:
            self._check_running()
            try:
                response = await self.client.get("/api/v2/monitor/health", timeout=5.0)
                last = response.text
                if response.status_code == 200:
                    health = response.json()
                    if all((health.get(part) or {}).get("status") == "healthy" for part in parts):
                        return health
            except httpx.TransportError as exc:
                last = repr(exc)
            if time.monotonic() > deadline:
                raise AirflowFailed(f"not healthy within {within:g} s; last answer: {last}\n{self.output()}")
            await asyncio.sleep(0.5)

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.url, timeout=30.0)
        return self._client

    async def stop_api_server(self) -> None:
        """Ends the api-server (the scheduler and dag-processor keep running); its port stays this
        deployment's, for :meth:`start_api_server`."""
        await asyncio.to_thread(self._kill, self.processes.pop("api-server"))
        if self._client is not None:  # its pooled connections went with the server
            await self._client.aclose()
            self._client = None

    async def run_in_venv(
        self, program: str, *args: str, log: str, within: float = 180.0, env: Mapping[str, str] | None = None
    ) -> str:
        """Runs the venv's ``bin/<program>`` (``airflow``: the CLI; ``python``: a script that imports
        Airflow) with this deployment's environment (plus ``env``) and waits for it; its output goes
        to ``<log_dir>/cli-<log>.log`` (in :meth:`output`) and is returned. A non-zero exit or
        ``within`` seconds passing raises :class:`AirflowFailed` with the output's tail."""
        path = self.log_dir / f"cli-{log}.log"
        argv = [str(self.venv / "bin" / program), *args]
        with path.open("ab") as out:
            out.write(f"$ {' '.join(argv)}\n".encode())
            out.flush()
            start = out.tell()
            process = await asyncio.create_subprocess_exec(
                *argv, stdout=out, stderr=asyncio.subprocess.STDOUT, env={**self.environment(), **(env or {})},
                start_new_session=True,
            )  # fmt: skip
            try:
                code = await asyncio.wait_for(process.wait(), within)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
                code = None
        output = path.read_bytes()[start:].decode(errors="replace")
        if code != 0:
            outcome = f"exited {code}" if code is not None else f"did not finish within {within:g} s"
            raise AirflowFailed(f"{program} {' '.join(args)} {outcome}\n{output[-4000:]}")
        return output

    async def start_api_server(self, within: float = 120.0) -> None:
        """Starts the api-server again on the same port; back once /api/v2/version answers."""
        self._start("api-server")
        deadline = time.monotonic() + within
        while True:
            self._check_running()
            with contextlib.suppress(httpx.TransportError):
                if (await self.client.get("/api/v2/version", timeout=5.0)).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise AirflowFailed(f"api-server not back within {within:g} s\n{self.output()}")
            await asyncio.sleep(0.2)

    async def token(self, user: str = ADMIN[0], password: str = ADMIN[1]) -> str:
        """A JWT for ``user`` from POST /auth/token (cached: Airflow's lifetime is a day)."""
        if (user, password) not in self._tokens:
            response = await self.client.post("/auth/token", json={"username": user, "password": password})
            if response.status_code not in (200, 201):
                raise AirflowFailed(f"POST /auth/token as {user}: {response.status_code} {response.text}")
            self._tokens[user, password] = response.json()["access_token"]
        return self._tokens[user, password]

    async def api(
        self, method: str, path: str, *, user: tuple[str, str] = ADMIN, **kwargs: Any
    ) -> httpx.Response:
        """``method`` /api/v2``path`` as ``user`` (admin unless told); httpx's keyword arguments."""
        headers = {"Authorization": f"Bearer {await self.token(*user)}", **kwargs.pop("headers", {})}
        return await self.client.request(method, f"/api/v2{path}", headers=headers, **kwargs)

    async def wait_dag(self, dag_id: str, within: float = 120.0, *, unpause: bool = True) -> dict[str, Any]:
        """Waits until the dag-processor has parsed ``dag_id`` and the API shows it, then unpauses
        it (Airflow creates DAGs paused) unless told not to; returns the DAG as the API shows it then."""
        deadline = time.monotonic() + within
        while True:
            self._check_running()
            response = await self.api("GET", f"/dags/{dag_id}")
            if response.status_code == 200:
                break
            if time.monotonic() > deadline:
                raise AirflowFailed(
                    f"DAG {dag_id} not visible within {within:g} s: {response.status_code} {response.text}\n"
                    f"{self.output()}"
                )
            await asyncio.sleep(0.5)
        if not unpause:
            return response.json()
        response = await self.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
        if response.status_code != 200:
            raise AirflowFailed(f"unpausing {dag_id}: {response.status_code} {response.text}")
        return response.json()

    async def wait_run(self, dag_id: str, run_id: str, within: float = 120.0) -> dict[str, Any]:
        """Polls the run until it has finished (success or failed); returns it."""
        deadline = time.monotonic() + within
        while True:
            self._check_running()
            response = await self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
            if response.status_code == 200 and response.json()["state"] in FINISHED:
                return response.json()
            if time.monotonic() > deadline:
                raise AirflowFailed(
                    f"run {dag_id}/{run_id} not finished within {within:g} s: {response.text}\n{self.output()}"
                )
            await asyncio.sleep(0.25)

    def memory_mb(self) -> dict[str, float]:
        """Memory (PSS, MiB) of each process with all its children (task runners, parsers, the
        executor's workers and log server)."""
        return {
            name: sum(_pss_kb(pid) for pid in _tree(process.pid)) / 1024
            for name, process in self.processes.items()
            if process.running
        }

    @staticmethod
    def _kill(process: Process, grace: float = 5.0) -> None:
        """SIGTERM to the process's group, SIGKILL to what is left of it after ``grace`` s."""
        if process.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.popen.wait(grace)
        except subprocess.TimeoutExpired:
            pass
        # The leader may be gone while its children (task runners, parsers) linger: end them too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.popen.wait()

    async def stop(self) -> None:
        """Ends the processes and drops the database."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        processes, self.processes = list(self.processes.values()), {}
        await asyncio.gather(*(asyncio.to_thread(self._kill, process) for process in processes))
        if self.database is not None:
            await postgres.drop_database(self.database)
            self.database = None


# -- python -m tests.airflow_deployment: the harness's figures ---------------------------------


async def _measure(venv: Path, runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="dagport-airflow-") as work:
        deployment = AirflowDeployment(venv, Path(work))
        await deployment.start()
        try:
            await deployment.wait_dag("dagport_echo")
            for number in range(1, runs + 1):
                started = time.monotonic()
                response = await deployment.api(
                    "POST", "/dags/dagport_echo/dagRuns", json={"logical_date": None, "conf": {"run": number}}
                )
                if response.status_code != 200:
                    raise AirflowFailed(f"trigger: {response.status_code} {response.text}")
                run = await deployment.wait_run("dagport_echo", response.json()["dag_run_id"])
                deployment.say(
                    f"dagport_echo run {number}: {run['state']} {time.monotonic() - started:.1f} s after the trigger"
                )
            memory = deployment.memory_mb()
            deployment.say(
                "memory (PSS, MiB, each with its children): "
                + ", ".join(f"{name} {mb:.0f}" for name, mb in memory.items())
                + f"; together {sum(memory.values()):.0f}"
            )
        finally:
            started = time.monotonic()
            await deployment.stop()
            deployment.say(f"stopped in {time.monotonic() - started:.1f} s")


def main(argv: list[str] | None = None) -> int:
    """Installs (or reuses) the venv, starts a deployment, triggers dagport_echo ``--runs`` times
    and prints how long each step took and the processes' memory."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tests.airflow_deployment", description=main.__doc__)
    parser.add_argument("--runs", type=int, default=3, help="dagport_echo runs, one after another (3)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    venv = ensure_venv()
    say_to_stderr(f"venv ready in {time.monotonic() - started:.1f} s")
    with postgres.suite_postgres():  # DAGPORT_TEST_POSTGRES_URL, or a private cluster
        asyncio.run(_measure(venv, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())

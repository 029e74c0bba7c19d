"""The system under test as real processes on loopback: two ``dagport serve`` replicas behind
Debian's nginx, on the private Postgres of :mod:`reliability.cluster`.

The nginx configuration is deploy/nginx.conf itself, rewritten only for loopback addresses and
this run's temp and pid paths (as tests/test_proxy.py does), so the failover behaviour measured is
the shipped one: ``proxy_next_upstream error timeout``, ``max_fails=0`` (no passive marking),
upstream keep-alive. Each child process writes stdout and stderr to files in the run's work
directory (dagport's JSON access log is what the SIGTERM fault reads back).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from reliability.cluster import MissingBinary

REPO = Path(__file__).resolve().parents[1]
NGINX_CONF = REPO / "deploy" / "nginx.conf"
DAGPORT = str(Path(sys.executable).with_name("dagport"))
TOKEN = "reliability-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
API = "/api/experimental"


class StackFailed(RuntimeError):
    """A process exited or did not become ready; the message ends with its output."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nginx_binary() -> str:
    path = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if path is None:
        raise MissingBinary("nginx is not installed: apt-get install nginx")
    return path


def dagport_environment(**settings: object) -> dict[str, str]:
    """This process's environment without any DAGPORT_* variable, plus ``settings`` as DAGPORT_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAGPORT_")}
    env.update({f"DAGPORT_{k.upper()}": str(v) for k, v in settings.items()})
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Process:
    """A child process in its own session; stdout/stderr appended to ``<log_dir>/<name>.out|.err``."""

    def __init__(self, name: str, argv: list[str], log_dir: Path, env: Mapping[str, str] | None = None):
        self.name, self.argv, self.env = name, argv, env
        self.stdout_path = log_dir / f"{name}.out"
        self.stderr_path = log_dir / f"{name}.err"
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.stdout_path.open("ab") as out, self.stderr_path.open("ab") as err:
            self.popen = subprocess.Popen(
                self.argv, stdout=out, stderr=err, env=self.env, start_new_session=True
            )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def output(self, chars: int = 4000) -> str:
        return "".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-chars:]}\n"
            for path in (self.stdout_path, self.stderr_path)
            if path.exists()
        )

    def stderr_lines(self) -> list[str]:
        return self.stderr_path.read_text(errors="replace").splitlines()

    def send(self, sig: int) -> None:
        if self.running:
            self.popen.send_signal(sig)  # type: ignore[union-attr]

    def wait(self, timeout: float) -> int | None:
        assert self.popen is not None
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        """Send ``sig``, wait up to ``timeout`` s (then SIGKILL); the exit status, None if not started."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            if self.wait(timeout) is None:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode

    def rss_mb(self) -> float | None:
        """VmRSS of the process (a single-worker ``dagport serve`` is one process), None if gone."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None


async def wait_for_http(url: str, process: Process, *, within: float = 30.0, expect: int = 200) -> float:
    """Poll ``url`` until it answers ``expect``; the monotonic time it did."""
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            if not process.running:
                raise StackFailed(f"{process.name} exited before {url} answered\n{process.output()}")
            try:
                if (await client.get(url)).status_code == expect:
                    return time.monotonic()
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise StackFailed(f"{url} did not answer {expect} within {within:g} s\n{process.output()}")
            await asyncio.sleep(0.05)


def run_cli(argv: list[str], env: Mapping[str, str], timeout: float = 120.0) -> str:
    """Run a one-shot ``dagport`` command; its output, or StackFailed."""
    result = subprocess.run(
        [DAGPORT, *argv], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise StackFailed(
            f"dagport {' '.join(argv)} exited {result.returncode}\n{result.stdout}{result.stderr}"
        )
    return result.stdout


# -- replicas ------------------------------------------------------------------------------------


@dataclass
class ReplicaSettings:
    pool_size: int = 5
    pool_timeout: float = 2.0
    max_body_bytes: int = 1024 * 1024


@dataclass
class Replica:
    name: str
    port: int
    database_url: str
    work: Path
    settings: ReplicaSettings = field(default_factory=ReplicaSettings)
    process: Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        return dagport_environment(
            database_url=self.database_url,
            host="127.0.0.1",
            port=self.port,
            workers=1,
            api_tokens=TOKEN,
            auto_migrate="false",
            forwarded_allow_ips="127.0.0.1",
            db_pool_size=self.settings.pool_size,
            db_max_overflow=0,
            db_pool_timeout=self.settings.pool_timeout,
            max_body_bytes=self.settings.max_body_bytes,
            log_format="json",
            log_level="INFO",
        )

    def start(self) -> Replica:
        self.process = Process(self.name, [DAGPORT, "serve"], self.work, self.environment()).start()
        return self

    async def wait_ready(self, within: float = 30.0) -> float:
        assert self.process is not None
        return await wait_for_http(f"{self.url}/ready", self.process, within=within)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.running

    def access_log(self) -> list[dict]:
        """dagport's access-log entries (JSON lines of logger dagport.access) written so far."""
        assert self.process is not None
        entries = []
        for line in self.process.stderr_path.read_text(errors="replace").splitlines():
            if '"dagport.access"' in line:
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    continue
        return entries


# -- nginx -----------------------------------------------------------------------------------------


def _replace_once(config: str, old: str, new: str) -> str:
    if config.count(old) != 1:
        raise StackFailed(f"the nginx configuration no longer has exactly one {old!r}")
    return config.replace(old, new)


def nginx_config(source: Path, work: Path, port: int, replica_ports: list[int]) -> str:
    """``source`` (deploy/nginx.conf) with loopback addresses and this run's temp paths; nothing
    else changed."""
    config = source.read_text()
    for number, replica_port in enumerate(replica_ports, start=1):
        config = _replace_once(config, f"server dagport-{number}:8080", f"server 127.0.0.1:{replica_port}")
    config = _replace_once(config, "listen 8080;", f"listen 127.0.0.1:{port};")
    temp_paths = "".join(
        f"\n    {kind}_temp_path {work / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return _replace_once(config, "\nhttp {", "\nhttp {" + temp_paths)


def start_nginx(source: Path, work: Path, port: int, replica_ports: list[int]) -> Process:
    binary = nginx_binary()
    conf = work / "nginx.conf"
    conf.write_text(nginx_config(source, work, port, replica_ports))
    globals_ = f"daemon off; pid {work / 'nginx.pid'};"
    if os.geteuid() == 0:  # workers would otherwise run as nobody, who cannot enter the temp dirs
        globals_ += " user root;"
    argv = [binary, "-p", str(work), "-c", str(conf), "-e", "stderr", "-g", globals_]
    return Process("nginx", argv, work).start()


# -- the whole stack -------------------------------------------------------------------------------


@dataclass
class Stack:
    work: Path
    database_url: str
    replicas: list[Replica]
    nginx: Process
    nginx_port: int

    @property
    def nginx_url(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port}"

    def targets(self) -> dict[str, str]:
        """Base URL by target name: ``nginx``, ``r1``, ``r2``."""
        return {"nginx": self.nginx_url, **{r.name: r.url for r in self.replicas}}

    def replica(self, name: str) -> Replica:
        return next(r for r in self.replicas if r.name == name)

    def stop(self) -> None:
        self.nginx.stop()
        for replica in self.replicas:
            if replica.process is not None:
                replica.process.stop()


async def start_stack(
    work: Path, database_url: str, settings: ReplicaSettings, nginx_conf: Path = NGINX_CONF
) -> Stack:
    """Two replicas (ready on /ready), then nginx in front of them (ready on /health)."""
    nginx_binary()  # fail before starting anything if nginx is missing
    ports = [free_port(), free_port()]
    replicas = [
        Replica(f"r{n}", port, database_url, work, settings).start() for n, port in enumerate(ports, 1)
    ]
    nginx_port = free_port()
    nginx = start_nginx(nginx_conf, work, nginx_port, ports)
    stack = Stack(work, database_url, replicas, nginx, nginx_port)
    try:
        for replica in replicas:
            await replica.wait_ready()
        await wait_for_http(f"{stack.nginx_url}/health", nginx, within=10)
    except BaseException:
        stack.stop()
        raise
    return stack


def error_records(replica: Replica) -> list[dict]:
    """The replica's log records at level error or above (JSON lines), each with its traceback."""
    assert replica.process is not None
    records = []
    for line in replica.process.stderr_path.read_text(errors="replace").splitlines():
        if '"level": "error"' not in line and '"level": "critical"' not in line:
            continue
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records

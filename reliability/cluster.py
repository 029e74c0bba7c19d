"""A private, throwaway Postgres cluster: initdb into a temp dir, pg_ctl start/stop/restart.

The machine's shared Postgres (127.0.0.1:5432) serves other people's tests, so the restart fault
is never done to it: this cluster is created for one reliability run, on a free loopback port and
its own socket directory, and deleted afterwards. As root, every Postgres binary runs as the
``postgres`` OS user (``runuser -u postgres --``); otherwise as the current user.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

import asyncpg

DATABASE = "dagport"


class MissingBinary(RuntimeError):
    """A binary the run needs is not installed (the message says how to install it)."""


def postgres_bin_dir() -> Path:
    """``DAGPORT_PG_BIN``, else the newest /usr/lib/postgresql/<major>/bin holding initdb."""
    configured = os.environ.get("DAGPORT_PG_BIN")
    candidates = (
        [Path(configured)]
        if configured
        else sorted(
            Path("/usr/lib/postgresql").glob("*/bin"),
            key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
            reverse=True,
        )
    )
    for directory in candidates:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    raise MissingBinary(
        "Postgres server binaries (initdb, pg_ctl) not found: apt-get install postgresql "
        "(or set DAGPORT_PG_BIN to their directory)"
    )


class PrivatePostgres:
    """One cluster in ``<work>/pgdata``, listening on 127.0.0.1:``port`` only; ``settings`` are
    server settings (``-c name=value``) over the defaults below."""

    def __init__(self, work: Path, port: int, settings: Mapping[str, object] | None = None) -> None:
        self.bin = postgres_bin_dir()
        self.root = work / "postgres"
        self.data = self.root / "pgdata"
        self.socket_dir = self.root / "socket"
        self.log = self.root / "postgres.log"
        self.port = port
        self.settings = {"max_connections": 100, "shared_buffers": "64MB", **(settings or {})}
        self.as_root = os.geteuid() == 0
        self.url = f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}"
        self.admin_dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    # -- running the binaries ----------------------------------------------------------------------

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / argv[0]), *argv[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} exited {result.returncode}\n{result.stdout}{result.stderr}"
                f"\n--- {self.log}\n{self.log_tail()}"
            )
        return result

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    # -- life cycle --------------------------------------------------------------------------------

    def init(self) -> None:
        self.root.mkdir(parents=True)
        self.socket_dir.mkdir()
        if self.as_root:
            owner = pwd.getpwnam("postgres")
            for path in (self.root, self.socket_dir):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 " + " ".join(
            f"-c {name}={value}" for name, value in self.settings.items()
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "30", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def destroy(self) -> None:
        """Stop the cluster and delete its data; postgres.log stays (the work directory's owner
        decides whether to keep it)."""
        if self.data.exists() and self.running():
            self.stop("immediate")
        shutil.rmtree(self.data, ignore_errors=True)
        shutil.rmtree(self.socket_dir, ignore_errors=True)

    async def create_database(self) -> None:
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{DATABASE}"')
        finally:
            await conn.close()

    async def wait_accepting(self, within: float = 30.0) -> float:
        """Poll until a connection succeeds; the monotonic time it first did."""
        deadline = time.monotonic() + within
        while True:
            try:
                conn = await asyncpg.connect(self.url, timeout=1)
            except (TimeoutError, OSError, asyncpg.PostgresError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Postgres did not accept connections\n{self.log_tail()}") from None
                await asyncio.sleep(0.02)
                continue
            at = time.monotonic()
            await conn.close()
            return at

    async def connections(self) -> int:
        """dagport's connections to its database (pg_stat_activity rows of application_name
        'dagport', which app/db/engine.py sets; autovacuum workers and this probe do not count)."""
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            return await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'dagport' "
                "AND backend_type = 'client backend'",
                DATABASE,
            )
        finally:
            await conn.close()

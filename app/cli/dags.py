"""``dagport dags load PATH...``: definitions from files, into dagport's own store."""

from __future__ import annotations

import sys
from pathlib import Path

from app.cli.common import Command, with_engine
from app.config import Settings
from app.dag_loader import definition_files, load_files
from app.dates import utcnow
from app.db.backend import SqlBackend
from app.db.engine import Engine
from app.definitions.decoding import DefinitionLimits
from app.startup import ensure_schema


def dags_load(paths: list[str]) -> Command:
    async def run(settings: Settings) -> int:
        if settings.fronts_airflow:
            print(
                "dagport: `dags load` fills dagport's own store; with DAGPORT_BACKEND=airflow the DAGs are "
                "Python files in Airflow's DAG bundle",
                file=sys.stderr,
            )
            return 2
        files = definition_files(Path(p) for p in paths)
        missing = [f for f in files if not f.exists()]
        if missing:
            print(f"dagport: no such file: {', '.join(map(str, missing))}", file=sys.stderr)
            return 2

        async def work(engine: Engine) -> int:
            await ensure_schema(engine, settings)
            failures = await load_files(
                SqlBackend(engine, settings),
                files,
                now=utcnow,
                default_tz=settings.tz,
                limits=DefinitionLimits.of(settings),
            )
            print(f"{len(files) - failures} loaded, {failures} failed")
            return 1 if failures else 0

        return await with_engine(settings, work)

    return run

"""``python -m bench.definitions``: how long large DAG definitions take to validate, in-process.

Two shapes, each task with its upstream list: a chain (t0 -> t1 -> ...) and a wide fan (root ->
N-2 middle tasks -> sink, whose upstream list names all of them). For each, the median time of
``parse_dag_definition`` on the decoded document, and of ``load_definition_text`` plus
``parse_dag_definition`` on its JSON text (what PUT /dags/{dag_id} does before the database).

    .venv/bin/python -m bench.definitions                     # 100, 1,000 and 10,000 tasks
    .venv/bin/python -m bench.definitions --tasks 10000 --repeat 21
    .venv/bin/python -m bench.definitions --against a708c10   # this tree vs. that revision
    .venv/bin/python -m bench.definitions --cpu               # CPU time: steadier on a busy machine
    .venv/bin/python -m bench.definitions --invalid           # also invalid chains (2n and 1 problems)

``--against REV`` imports the ``app`` package of git revision REV (from ``git archive``) while this
tree's is set aside, so both versions run in this one process, in alternation (each repetition
times one then the other, in turns), under the same background load.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from typing import Any

Parse = Callable[..., Any]
Load = Callable[..., Any]


def chain(n: int) -> dict:
    return {
        "dag_id": "bench_chain",
        "tasks": [{"task_id": f"t{i}", "upstream": [f"t{i - 1}"] if i else []} for i in range(n)],
    }


def fan(n: int) -> dict:
    middle = [f"m{i}" for i in range(n - 2)]
    return {
        "dag_id": "bench_fan",
        "tasks": [
            {"task_id": "root"},
            *({"task_id": m, "upstream": ["root"]} for m in middle),
            {"task_id": "sink", "upstream": middle},
        ],
    }


def bad_fields(n: int) -> dict:
    """A chain whose every task has a negative retries and an unknown key: 2n problems."""
    doc = chain(n)
    for task in doc["tasks"]:
        task.update(retries=-1, colour="blue")
    return doc


def one_bad_field(n: int) -> dict:
    doc = chain(n)
    doc["tasks"][n // 2]["retries"] = -1
    return doc


SHAPES = {"chain": chain, "fan": fan}
INVALID = {"chain, 2 bad fields a task": bad_fields, "chain, 1 bad field": one_bad_field}


def current() -> tuple[Parse, Load]:
    from app.definitions.decoding import load_definition_text
    from app.definitions.spec import parse_dag_definition

    return parse_dag_definition, load_definition_text


def _under_schemas() -> tuple[Parse, Load]:
    from app.schemas import dag_definition

    try:
        from app.schemas.definition_text import load_definition_text
    except ImportError:  # before the text decoding had its own module
        load_definition_text = dag_definition.load_definition_text
    return dag_definition.parse_dag_definition, load_definition_text


def at_revision(rev: str) -> tuple[Parse, Load]:
    """The two functions as they were at ``rev``: its ``app`` package, imported from a temporary
    copy while this tree's ``app`` modules are set aside, then put back (the functions keep
    the revision's modules as their globals)."""
    root = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], check=True, capture_output=True, text=True
    ).stdout.strip()
    archive = subprocess.run(["git", "-C", root, "archive", rev, "app"], check=True, capture_output=True)
    folder = tempfile.mkdtemp(prefix="dagport-bench-definitions-")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    ours = {name: sys.modules.pop(name) for name in list(sys.modules) if name.split(".")[0] == "app"}
    sys.path.insert(0, folder)
    try:
        try:
            from app.definitions import decoding, spec
        except ImportError:  # before the compiler had its package: the modules under app.schemas
            return _under_schemas()
        return spec.parse_dag_definition, decoding.load_definition_text
    finally:
        sys.path.remove(folder)
        for name in [name for name in sys.modules if name.split(".")[0] == "app"]:
            del sys.modules[name]
        sys.modules.update(ours)
        shutil.rmtree(folder)


CLOCK = time.perf_counter


def timed(fn: Callable[..., object], *args: object) -> float:
    gc.collect()
    start = CLOCK()
    try:
        fn(*args)
    except Exception as exc:  # each version has its own DagDefinitionError class
        if type(exc).__name__ != "DagDefinitionError":
            raise
    return (CLOCK() - start) * 1000


def load_and_parse(parse: Parse, load: Load, text: str) -> object:
    return parse(load(text, filename="definition.json"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", default="100,1000,10000", help="comma-separated task counts")
    parser.add_argument("--repeat", type=int, default=11, help="repetitions; the median is printed")
    parser.add_argument("--against", metavar="REV", help="also time the validator at git revision REV")
    parser.add_argument(
        "--cpu", action="store_true", help="time this process's CPU, not the wall clock (a busy machine)"
    )
    parser.add_argument("--invalid", action="store_true", help="also invalid chains (every problem reported)")
    args = parser.parse_args(argv)
    global CLOCK
    CLOCK = time.process_time if args.cpu else time.perf_counter
    versions = {"this tree": current()}
    if args.against:
        versions[args.against] = at_revision(args.against)
    header = ["shape", "tasks"]
    for label in versions:
        header += [f"parse ms ({label})", f"load+parse ms ({label})"]
    rows = []
    for n in [int(t) for t in args.tasks.split(",")]:
        for name, shape in {**SHAPES, **(INVALID if args.invalid else {})}.items():
            doc = shape(n)
            text = json.dumps(doc)
            times: dict[str, tuple[list[float], list[float]]] = {label: ([], []) for label in versions}
            for rep in range(args.repeat):
                order = list(versions.items())
                for label, (parse, load) in order if rep % 2 == 0 else order[::-1]:
                    times[label][0].append(timed(parse, doc))
                    times[label][1].append(timed(load_and_parse, parse, load, text))
            row = [name, f"{n:,}"]
            for parse_ms, both_ms in times.values():
                row += [f"{statistics.median(parse_ms):.1f}", f"{statistics.median(both_ms):.1f}"]
            rows.append(row)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    clock = "process CPU time" if args.cpu else "wall clock"
    print(f"median of {args.repeat} repetitions, {clock}; Python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

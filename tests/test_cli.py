"""The ``dagport`` command (app/cli/), run in-process on a fresh database of each backend.

``main()`` calls ``asyncio.run``, so tests run it in a worker thread (``asyncio.to_thread``) and
configure it only through ``DAGPORT_*`` environment variables, as an operator would. Tokens that
the CLI prints are checked against a real app built on the same database.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.cli import main
from app.config import Settings
from app.db import migrate
from app.db.engine import create_engine
from app.main import create_app
from app.startup import prepare
from tests import postgres
from tests.conftest import EXAMPLE_DAGS_DIR, REFERENCE_DAGS_DIR
from tests.processes import DAGPORT

TOKEN_RE = re.compile(r"dp_[A-Za-z0-9_-]{43}")
HEAD = migrate.head_revision()

REFERENCE_LOAD = [
    ("example_bash.json", "example_bash", 3),
    ("lineage_dag.json", "lineage_dag", 2),
    ("simple_dag.json", "simple_dag", 1),
    ("throwaway_dag.json", "throwaway_dag", 1),
]
EXAMPLE_LOAD = [
    ("etl_pipeline.yaml", "etl_pipeline", 3),
    ("example_bash_operator.json", "example_bash_operator", 7),
    ("lineage_example.json", "lineage_example", 2),
]


# -- fixtures and helpers ------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_dagport_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only what a test sets reaches Settings(); a first-run token file goes to the test's folder."""
    for name in Settings.model_fields:
        monkeypatch.delenv(f"DAGPORT_{name.upper()}", raising=False)
    monkeypatch.setenv("DAGPORT_INITIAL_TOKEN_FILE", str(tmp_path / "initial-token"))


@pytest.fixture
async def db_url(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    """A fresh, empty database, named in DAGPORT_DATABASE_URL the way users spell it."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'cli.db'}"
        monkeypatch.setenv("DAGPORT_DATABASE_URL", url)
        yield url
        return
    name = await postgres.create_database()
    plain = postgres.database_url(name, drivername="postgresql")
    monkeypatch.setenv("DAGPORT_DATABASE_URL", plain)
    try:
        yield plain
    finally:
        await postgres.drop_database(name)


async def cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


def problems(err: str, database: str) -> list[str]:
    """stderr's lines after the first, which must name the database."""
    lines = err.splitlines()
    assert lines[:1] == [f"dagport: database {database}"], err
    return lines[1:]


def load_lines(folder: Path, expected: list[tuple[str, str, int]], verb: str) -> list[str]:
    n = len(expected)
    return [
        f"[{i}/{n}] {folder / filename}: {verb} {dag_id} ({tasks} tasks)"
        for i, (filename, dag_id, tasks) in enumerate(expected, start=1)
    ]


async def column(url: str, sql: str) -> list[object]:
    engine = create_engine(Settings(database_url=url), null_pool=True)
    try:
        async with engine.connect() as conn:
            return list((await conn.scalars(text(sql))).all())
    finally:
        await engine.dispose()


async def dag_ids(url: str) -> list[object]:
    return await column(url, "SELECT dag_id FROM dag ORDER BY dag_id")


async def token_names(url: str) -> list[object]:
    return await column(url, "SELECT name FROM api_token ORDER BY name")


async def revision(url: str) -> str | None:
    engine = create_engine(Settings(database_url=url), null_pool=True)
    try:
        return await migrate.revision_of(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def api(url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An app on ``url`` that re-reads tokens on every request, and a client without credentials."""
    app = create_app(Settings(database_url=url, token_cache_seconds=0))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://dagport.test"
        ) as client:
            yield client
    finally:
        await app.state.engine.dispose()


async def check_token(client: httpx.AsyncClient, token: str) -> int:
    """GET /test with ``token``: 200 ``{"status": "OK"}`` or 401 ``{"error": "Unauthorized"}``."""
    response = await client.get("/api/experimental/test", headers={"Authorization": f"Bearer {token}"})
    body = response.json()
    body.pop("request_id", None)
    body.pop("detail", None)  # a 401's hint (tests/test_auth.py)
    assert (response.status_code, body) in ((200, {"status": "OK"}), (401, {"error": "Unauthorized"}))
    return response.status_code


async def upgrade_quietly(capsys: pytest.CaptureFixture[str]) -> None:
    assert await cli("db", "upgrade") == 0
    capsys.readouterr()


async def create_token(capsys: pytest.CaptureFixture[str], name: str) -> str:
    assert await cli("tokens", "create", name) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"Created token {name!r}. It is shown once; store it now:"
    assert len(lines) == 2
    assert TOKEN_RE.fullmatch(lines[1]), out
    return lines[1]


# -- db ------------------------------------------------------------------------------------------


async def test_db_upgrade_on_an_empty_database_reports_the_head(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli("db", "upgrade") == 0
    assert capsys.readouterr().out == f"database at revision {HEAD} (was empty)\n"


async def test_db_current_after_upgrade_prints_the_head_revision(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await upgrade_quietly(capsys)
    assert await cli("db", "current") == 0
    assert capsys.readouterr().out == f"current: {HEAD}; head: {HEAD}\n"


async def test_db_upgrade_at_head_reports_no_change(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    await upgrade_quietly(capsys)
    assert await cli("db", "upgrade") == 0
    assert capsys.readouterr().out == f"database at revision {HEAD}\n"


async def test_db_current_on_an_empty_database_exits_1(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli("db", "current") == 1
    assert capsys.readouterr().out == f"current: empty; head: {HEAD}\n"


# -- dags load -----------------------------------------------------------------------------------


async def test_dags_load_creates_the_reference_dags(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await cli("dags", "load", str(REFERENCE_DAGS_DIR)) == 0
    assert capsys.readouterr().out.splitlines() == [
        *load_lines(REFERENCE_DAGS_DIR, REFERENCE_LOAD, "created"),
        "4 loaded, 0 failed",
    ]
    assert await dag_ids(db_url) == ["example_bash", "lineage_dag", "simple_dag", "throwaway_dag"]


async def test_dags_load_again_updates(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await cli("dags", "load", str(REFERENCE_DAGS_DIR)) == 0
    capsys.readouterr()
    assert await cli("dags", "load", str(REFERENCE_DAGS_DIR)) == 0
    assert capsys.readouterr().out.splitlines() == [
        *load_lines(REFERENCE_DAGS_DIR, REFERENCE_LOAD, "updated"),
        "4 loaded, 0 failed",
    ]


async def test_dags_load_of_the_examples(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await cli("dags", "load", str(EXAMPLE_DAGS_DIR)) == 0
    assert capsys.readouterr().out.splitlines() == [
        *load_lines(EXAMPLE_DAGS_DIR, EXAMPLE_LOAD, "created"),
        "3 loaded, 0 failed",
    ]
    assert await cli("dags", "load", str(EXAMPLE_DAGS_DIR)) == 0
    assert capsys.readouterr().out.splitlines() == [
        *load_lines(EXAMPLE_DAGS_DIR, EXAMPLE_LOAD, "updated"),
        "3 loaded, 0 failed",
    ]
    assert await dag_ids(db_url) == ["etl_pipeline", "example_bash_operator", "lineage_example"]


async def test_dags_load_of_single_files_in_the_order_given(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    simple, lineage = REFERENCE_DAGS_DIR / "simple_dag.json", REFERENCE_DAGS_DIR / "lineage_dag.json"
    assert await cli("dags", "load", str(simple), str(lineage)) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"[1/2] {simple}: created simple_dag (1 tasks)",
        f"[2/2] {lineage}: created lineage_dag (2 tasks)",
        "2 loaded, 0 failed",
    ]


async def test_dags_load_of_an_invalid_file_exits_1_naming_the_file_and_problems(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"dag_id": "bad dag", "tasks": []}')
    assert await cli("dags", "load", str(bad)) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"[1/1] {bad}: invalid: dag_id: dag_id must match ^[A-Za-z0-9_.-]{{1,250}}$, got 'bad dag'; "
        "tasks: tasks must contain at least one task",
        "0 loaded, 1 failed",
    ]
    assert await dag_ids(db_url) == []


async def test_dags_load_keeps_the_valid_files_when_one_is_invalid(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("not: [valid")
    simple = REFERENCE_DAGS_DIR / "simple_dag.json"
    assert await cli("dags", "load", str(broken), str(simple)) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"[1/2] {broken}: invalid: (document): Invalid YAML: did not find expected ',' or ']' (line 2, column 1)",
        f"[2/2] {simple}: created simple_dag (1 tasks)",
        "1 loaded, 1 failed",
    ]
    assert await dag_ids(db_url) == ["simple_dag"]


async def test_dags_load_of_a_nonexistent_path_exits_2_and_loads_nothing(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.json"
    assert await cli("dags", "load", str(REFERENCE_DAGS_DIR / "simple_dag.json"), str(missing)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert problems(captured.err, db_url) == [f"dagport: no such file: {missing}"]
    assert await revision(db_url) is None  # not even migrated


# -- tokens --------------------------------------------------------------------------------------


async def test_tokens_create_prints_a_token_that_authenticates(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await upgrade_quietly(capsys)
    token = await create_token(capsys, "ci")
    async with api(db_url) as client:
        assert await check_token(client, token) == 200
        assert await check_token(client, token + "x") == 401


async def test_tokens_create_stores_only_a_hash(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    await upgrade_quietly(capsys)
    token = await create_token(capsys, "ci")
    assert await column(db_url, "SELECT token_hash FROM api_token") == [
        hashlib.sha256(token.encode()).hexdigest()
    ]


async def test_tokens_create_twice_prints_different_tokens(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await upgrade_quietly(capsys)
    assert await create_token(capsys, "a") != await create_token(capsys, "b")


async def test_tokens_create_with_a_taken_name_exits_1(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await upgrade_quietly(capsys)
    first = await create_token(capsys, "ci")
    assert await cli("tokens", "create", "ci") == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert problems(captured.err, db_url) == ["dagport: a token named 'ci' exists already"]
    async with api(db_url) as client:
        assert await check_token(client, first) == 200


async def test_tokens_list_shows_names_in_order(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    await upgrade_quietly(capsys)
    for name in ("zeta", "alpha", "ci"):
        await create_token(capsys, name)
    assert await cli("tokens", "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["alpha", "ci", "zeta"]
    for line in lines:
        assert re.fullmatch(r"[a-z]+\tcreated \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00", line), line


async def test_tokens_list_counts_environment_tokens(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await upgrade_quietly(capsys)
    monkeypatch.setenv("DAGPORT_API_TOKENS", "one-0123456789abcdef, two-0123456789abcdef,,")
    assert await cli("tokens", "list") == 0
    assert capsys.readouterr().out == "(+2 from DAGPORT_API_TOKENS)\n"


async def test_tokens_list_of_no_tokens_says_so_on_stderr(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await upgrade_quietly(capsys)
    assert await cli("tokens", "list") == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert problems(captured.err, db_url) == [
        "dagport: no tokens stored; create one with `dagport tokens create NAME`"
    ]


async def test_tokens_revoke_stops_the_token_working(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DAGPORT_TOKEN_CACHE_SECONDS", "0")
    await upgrade_quietly(capsys)
    revoked, kept = await create_token(capsys, "ci"), await create_token(capsys, "ops")
    async with api(db_url) as client:
        assert await check_token(client, revoked) == 200
        assert await cli("tokens", "revoke", "ci") == 0
        assert capsys.readouterr().out == "Revoked token 'ci' (servers stop accepting it within 0 s)\n"
        assert await check_token(client, revoked) == 401
        assert await check_token(client, kept) == 200
    assert await token_names(db_url) == ["ops"]


async def test_tokens_revoke_reports_the_default_cache_delay(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await upgrade_quietly(capsys)
    await create_token(capsys, "ci")
    assert await cli("tokens", "revoke", "ci") == 0
    assert capsys.readouterr().out == "Revoked token 'ci' (servers stop accepting it within 5 s)\n"


async def test_tokens_revoke_of_an_unknown_name_exits_1(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await upgrade_quietly(capsys)
    assert await cli("tokens", "revoke", "nope") == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert problems(captured.err, db_url) == ["dagport: no token named 'nope'"]


# -- serve's preparation -------------------------------------------------------------------------


def initial_token_message(out: str) -> str:
    """The token prepare() wrote to DAGPORT_INITIAL_TOKEN_FILE (stdout is not a terminal under
    capsys), after checking the announcement's exact text, that it does not hold the token, and
    the file's mode."""
    match = re.search(r"it was written to (\S+) \(mode 0600\)", out)
    assert match, out
    path = Path(match.group(1))
    assert out.endswith(
        "No API token existed, so one was created (name 'initial'). stdout is not a terminal, so it was "
        f"written to {path} (mode 0600) rather than shown: read it, store it elsewhere, then delete the file.\n"
    ), out
    token = path.read_text().strip()
    assert TOKEN_RE.fullmatch(token)
    assert token not in out
    assert path.stat().st_mode & 0o777 == 0o600
    return token


async def test_prepare_loads_examples_and_creates_an_initial_token(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await prepare(Settings(load_examples=True)) == 0
    out = capsys.readouterr().out
    token = initial_token_message(out)
    assert out.splitlines()[:3] == load_lines(EXAMPLE_DAGS_DIR, EXAMPLE_LOAD, "created")
    assert await dag_ids(db_url) == ["etl_pipeline", "example_bash_operator", "lineage_example"]
    assert await token_names(db_url) == ["initial"]
    async with api(db_url) as client:
        assert await check_token(client, token) == 200


async def test_prepare_twice_creates_one_token_and_updates_the_examples(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await prepare(Settings(load_examples=True)) == 0
    capsys.readouterr()
    assert await prepare(Settings(load_examples=True)) == 0
    assert capsys.readouterr().out.splitlines() == load_lines(EXAMPLE_DAGS_DIR, EXAMPLE_LOAD, "updated")
    assert await token_names(db_url) == ["initial"]


async def test_prepare_without_examples_loads_nothing(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await prepare(Settings()) == 0
    initial_token_message(capsys.readouterr().out)
    assert await dag_ids(db_url) == []
    assert await revision(db_url) == HEAD


async def test_prepare_loads_the_dags_folder(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DAGPORT_DAGS_FOLDER", str(REFERENCE_DAGS_DIR))
    monkeypatch.setenv("DAGPORT_API_TOKENS", "secret-0123456789abcdef")
    assert await prepare(Settings()) == 0
    assert capsys.readouterr().out.splitlines() == load_lines(REFERENCE_DAGS_DIR, REFERENCE_LOAD, "created")
    assert await dag_ids(db_url) == ["example_bash", "lineage_dag", "simple_dag", "throwaway_dag"]


async def test_prepare_reports_each_bad_file_in_the_dags_folder_and_loads_the_rest(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Files that once stopped the server starting (a RecursionError, orjson failing at insert with
    the statement's parameters in the traceback) are one line each; the valid file is loaded."""
    (tmp_path / "binary.yaml").write_text("dag_id: b\ntasks: [{task_id: a, params: {x: !!binary aGk=}}]\n")
    (tmp_path / "deep.json").write_text(
        '{"dag_id": "d", "tasks": [{"task_id": "a"}], "params": ' + "[" * 5000 + "]" * 5000 + "}"
    )
    (tmp_path / "nul.yaml").write_text('dag_id: n\ntasks: [{task_id: a, doc_md: "a\\0b"}]\n')
    (tmp_path / "simple_dag.json").write_text((REFERENCE_DAGS_DIR / "simple_dag.json").read_text())
    monkeypatch.setenv("DAGPORT_DAGS_FOLDER", str(tmp_path))
    monkeypatch.setenv("DAGPORT_API_TOKENS", "secret-0123456789abcdef")
    assert await prepare(Settings()) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"[1/4] {tmp_path / 'binary.yaml'}: invalid: tasks[0].params.x: x is binary data (!!binary), "
        "which a definition cannot hold: use a string",
        f"[2/4] {tmp_path / 'deep.json'}: invalid: (document): The definition is nested more than 100 levels deep",
        f"[3/4] {tmp_path / 'nul.yaml'}: invalid: tasks[0].doc_md: doc_md contains a NUL character (\\u0000), "
        "which cannot be stored",
        f"[4/4] {tmp_path / 'simple_dag.json'}: created simple_dag (1 tasks)",
    ]
    assert await dag_ids(db_url) == ["simple_dag"]


async def test_prepare_with_environment_tokens_creates_none(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DAGPORT_API_TOKENS", "secret-1-0123456789abcdef,secret-2-0123456789abcdef")
    monkeypatch.setenv("DAGPORT_LOAD_EXAMPLES", "true")
    assert await prepare(Settings()) == 0
    assert capsys.readouterr().out.splitlines() == load_lines(EXAMPLE_DAGS_DIR, EXAMPLE_LOAD, "created")
    assert await token_names(db_url) == []


async def test_prepare_with_a_stored_token_creates_none(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await upgrade_quietly(capsys)
    await create_token(capsys, "ci")
    assert await prepare(Settings()) == 0
    assert capsys.readouterr().out == ""
    assert await token_names(db_url) == ["ci"]


async def test_prepare_without_auth_creates_no_token(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DAGPORT_AUTH_BACKEND", "none")
    assert await prepare(Settings()) == 0
    assert capsys.readouterr().out == ""
    assert await token_names(db_url) == []


async def test_prepare_prints_the_initial_token_on_a_terminal(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert await prepare(Settings()) == 0
    out = capsys.readouterr().out
    match = re.search(r"\n\n    (dp_\S+)\n", out)
    assert match, out
    token = match.group(1)
    assert out == (
        "No API token existed, so one was created (name 'initial'). It is shown once:\n"
        f"\n    {token}\n\n"
        f"    curl -H 'Authorization: Bearer {token}' http://127.0.0.1:8080/api/experimental/test\n\n"
    )
    assert not (tmp_path / "initial-token").exists()
    async with api(db_url) as client:
        assert await check_token(client, token) == 200


async def test_prepare_tightens_an_existing_token_file(
    db_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "initial-token"
    path.write_text("old\n")
    path.chmod(0o644)
    assert await prepare(Settings()) == 0
    token = initial_token_message(capsys.readouterr().out)
    assert path.read_text() == token + "\n"
    assert path.stat().st_mode & 0o777 == 0o600


async def test_prepare_stores_no_token_it_cannot_write(
    db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DAGPORT_INITIAL_TOKEN_FILE", str(tmp_path / "no-such-folder" / "token"))
    with pytest.raises(SystemExit) as caught:
        await prepare(Settings())
    assert caught.value.code == (
        f"dagport: cannot write the first API token to {tmp_path / 'no-such-folder' / 'token'} "
        "(No such file or directory): set DAGPORT_INITIAL_TOKEN_FILE to a writable path, "
        "or create one with `dagport tokens create NAME`"
    )
    assert await token_names(db_url) == []  # the next start tries again


# -- configuration errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tokens", "problem"),
    [
        ("x", "token 1 is shorter (of 1, counted from 1)"),
        ("0123456789abcdef,qqq,zzzz", "tokens 2, 3 are shorter (of 3, counted from 1)"),
    ],
)
async def test_short_environment_tokens_stop_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tokens: str, problem: str
) -> None:
    database = tmp_path / "serve.db"
    monkeypatch.setenv("DAGPORT_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("DAGPORT_API_TOKENS", tokens)
    with pytest.raises(SystemExit) as caught:
        await cli("serve")
    assert caught.value.code == (
        f"dagport: bad configuration: DAGPORT_API_TOKENS: every token must have at least 16 characters; {problem}"
    )
    assert "qqq" not in caught.value.code and "zzzz" not in caught.value.code
    assert not database.exists()


def test_a_sixteen_character_token_is_accepted() -> None:
    assert Settings(api_tokens=" 0123456789abcdef ").env_tokens == ("0123456789abcdef",)


SQLITE_WORKERS_PROBLEM = "SQLite serves one process: set DAGPORT_WORKERS=1 or use Postgres"


async def serve_with_two_sqlite_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[SystemExit, Path]:
    database = tmp_path / "serve.db"
    monkeypatch.setenv("DAGPORT_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("DAGPORT_WORKERS", "2")
    with pytest.raises(SystemExit) as caught:
        await cli("serve")
    return caught.value, database


async def test_serve_refuses_two_workers_on_sqlite_before_touching_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exit_, database = await serve_with_two_sqlite_workers(tmp_path, monkeypatch)
    assert isinstance(exit_.code, str)
    assert exit_.code.startswith("dagport: bad configuration: ")
    assert SQLITE_WORKERS_PROBLEM in exit_.code
    assert not database.exists()  # neither migrated nor served


async def test_serve_refusal_message_is_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exit_, _ = await serve_with_two_sqlite_workers(tmp_path, monkeypatch)
    assert exit_.code == f"dagport: bad configuration: {SQLITE_WORKERS_PROBLEM}"


async def test_bad_setting_is_named_by_its_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGPORT_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("DAGPORT_PORT", "eighty")
    with pytest.raises(SystemExit) as caught:
        await cli("db", "upgrade")
    assert caught.value.code == (
        "dagport: bad configuration: DAGPORT_PORT: Input should be a valid integer, "
        "unable to parse string as an integer"
    )


def test_settings_allow_several_workers_on_postgres() -> None:
    settings = Settings(database_url="postgresql://postgres@127.0.0.1/dagport", workers=4)
    assert settings.workers == 4
    assert settings.database_url == "postgresql+asyncpg://postgres@127.0.0.1/dagport"


# -- the SQLite files' modes -----------------------------------------------------------------------


def file_modes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mode & 0o777 for p in sorted(folder.iterdir())}


async def test_the_sqlite_database_and_its_wal_and_shm_files_are_private(tmp_path: Path) -> None:
    database = tmp_path / "private.db"
    engine = create_engine(Settings(database_url=f"sqlite:///{database}"))
    try:
        await migrate.upgrade(engine)
        async with engine.begin() as conn:  # WAL mode: the write creates -wal and -shm beside it
            await conn.execute(
                text(
                    "INSERT INTO slot_pool (pool, slots, description, include_deferred) VALUES ('p', 1, '', false)"
                )
            )
            modes = file_modes(tmp_path)
    finally:
        await engine.dispose()
    assert modes == dict.fromkeys(["private.db", "private.db-shm", "private.db-wal"], 0o600)


async def test_an_existing_sqlite_file_keeps_its_mode(tmp_path: Path) -> None:
    database = tmp_path / "shared.db"
    database.touch(mode=0o640)
    database.chmod(0o640)
    engine = create_engine(Settings(database_url=f"sqlite:///{database}"))
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    assert database.stat().st_mode & 0o777 == 0o640


# -- what a newcomer meets: the database named, database problems in one line, help ---------------


def run_dagport(*argv: str, timeout: float = 60, **environment: str) -> subprocess.CompletedProcess[str]:
    """``dagport ARGV`` as a separate process, with only the given DAGPORT_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAGPORT_")} | environment
    return subprocess.run(
        [DAGPORT, *argv], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.mark.parametrize(
    "argv",
    [
        ("db", "upgrade"),
        ("db", "current"),
        ("dags", "load", str(REFERENCE_DAGS_DIR / "simple_dag.json")),
        ("tokens", "create", "ci"),
        ("tokens", "list"),
        ("tokens", "revoke", "ci"),
    ],
    ids=" ".join,
)
async def test_every_command_names_its_database_first_on_stderr(
    db_url: str, argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    await cli(*argv)
    captured = capsys.readouterr()
    problems(captured.err, db_url)
    assert "dagport: database" not in captured.out


def test_the_default_database_is_named_with_its_absolute_path(tmp_path: Path) -> None:
    result = subprocess.run(
        [DAGPORT, "db", "current"],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("DAGPORT_")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (
        result.stderr.splitlines()[0]
        == f"dagport: database sqlite:///./dagport.db ({tmp_path / 'dagport.db'})"
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_no_postgres_listening_is_one_line_with_the_password_masked() -> None:
    port = closed_port()
    result = run_dagport(
        "tokens", "list", DAGPORT_DATABASE_URL=f"postgresql://ops:s3cret@127.0.0.1:{port}/dagport"
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"dagport: database postgresql://ops:***@127.0.0.1:{port}/dagport",
        f"dagport: cannot connect to Postgres at 127.0.0.1:{port} (Connection refused): is Postgres running?",
    ]


def test_a_database_that_does_not_exist_is_one_line_naming_the_createdb_to_run(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("Postgres only: SQLite creates its file")
    name = postgres.unique_name("missing")
    url = make_url(postgres.database_url(name, drivername="postgresql"))
    result = run_dagport(
        "tokens", "create", "ci", DAGPORT_DATABASE_URL=url.render_as_string(hide_password=False)
    )
    host, port = url.host, url.port or 5432
    assert result.returncode == 1
    assert result.stderr.splitlines()[1:] == [
        f'dagport: database "{name}" does not exist on {host}:{port}: create it with '
        f"`createdb -h {host} -p {port} -U {url.username} {name}`"
    ]


def test_a_sqlite_file_in_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    database = tmp_path / "no" / "such" / "dagport.db"
    result = run_dagport("db", "upgrade", DAGPORT_DATABASE_URL=f"sqlite:///{database}")
    assert result.returncode == 1
    assert result.stderr.splitlines()[1:] == [
        f"dagport: cannot open the SQLite file {database}: does {database.parent} exist, and is it writable?"
    ]


NOT_MIGRATED = "dagport: the database is not migrated: run `dagport db upgrade` (DAGPORT_AUTO_MIGRATE is off)"


@pytest.mark.parametrize(
    "argv",
    [
        ("tokens", "create", "ci"),
        ("tokens", "list"),
        ("tokens", "revoke", "ci"),
        ("dags", "load", str(REFERENCE_DAGS_DIR / "simple_dag.json")),
    ],
    ids=" ".join,
)
async def test_without_auto_migrate_every_command_refuses_an_unmigrated_database_alike(
    db_url: str, argv: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DAGPORT_AUTO_MIGRATE", "false")
    assert await cli(*argv) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert problems(captured.err, db_url) == [NOT_MIGRATED]
    assert await revision(db_url) is None


async def test_without_auto_migrate_an_outdated_database_is_refused_naming_both_revisions(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = create_engine(Settings(database_url=db_url), null_pool=True)
    try:
        await migrate.upgrade(engine, "0001")
    finally:
        await engine.dispose()
    monkeypatch.setenv("DAGPORT_AUTO_MIGRATE", "false")
    assert await cli("tokens", "list") == 1
    assert problems(capsys.readouterr().err, db_url) == [
        f"dagport: the database is at revision 0001, not {HEAD}: run `dagport db upgrade` "
        "(DAGPORT_AUTO_MIGRATE is off)"
    ]


@pytest.mark.parametrize("argv", [("tokens", "list"), ("tokens", "create", "ci")], ids=" ".join)
async def test_tokens_on_an_unmigrated_database_migrate_it_as_dags_load_does(
    db_url: str, argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli(*argv) == 0
    assert await revision(db_url) == HEAD


def test_version() -> None:
    result = run_dagport("--version")
    assert (result.returncode, result.stdout) == (0, f"dagport {version('dagport')}\n")


def test_help_is_plain_text_naming_every_command() -> None:
    result = run_dagport("--help")
    assert result.returncode == 0
    for marker in ("``", ":class:", ":func:", ".. "):
        assert marker not in result.stdout
    for command in ("serve", "db", "dags", "tokens"):
        assert re.search(rf"^    {command} ", result.stdout, re.MULTILINE), result.stdout


def test_serve_help_lists_the_settings_that_matter_with_their_defaults() -> None:
    out = run_dagport("serve", "--help").stdout
    for name in ("DATABASE_URL", "HOST", "PORT", "WORKERS", "API_TOKENS", "DAGS_FOLDER", "AUTO_MIGRATE"):
        assert f"DAGPORT_{name} " in out
        assert name.lower() in Settings.model_fields
    assert re.search(r"DAGPORT_PORT +.*\[8080\]$", out, re.MULTILINE), out
    assert re.search(r"DAGPORT_DATABASE_URL +.*\[sqlite:///\./dagport\.db\]$", out, re.MULTILINE), out


def test_serve_on_a_port_in_use_stops_before_migrating_or_loading(tmp_path: Path) -> None:
    database = tmp_path / "serve.db"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_dagport(
            "serve",
            timeout=30,
            DAGPORT_DATABASE_URL=f"sqlite:///{database}",
            DAGPORT_PORT=str(port),
            DAGPORT_LOAD_EXAMPLES="true",
        )
    assert result.returncode == 1
    assert result.stdout == ""
    # serve's stderr is its log: JSON lines (DAGPORT_LOG_FORMAT=json, the default)
    records = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(r["level"], r["logger"], r["msg"]) for r in records] == [
        ("info", "dagport", f"database sqlite:///{database}"),
        (
            "error",
            "dagport",
            f"127.0.0.1:{port} is already in use (another dagport or another program): stop it, or set DAGPORT_PORT",
        ),
    ]
    assert not database.exists()


def test_serve_names_its_database_in_its_console_log(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = run_dagport(
            "serve",
            timeout=30,
            DAGPORT_DATABASE_URL="postgresql://ops:s3cret@db.example:5432/dagport",
            DAGPORT_PORT=str(taken.getsockname()[1]),
            DAGPORT_LOG_FORMAT="console",
        )
    first = result.stderr.splitlines()[0]
    assert first.endswith(" INFO    dagport: database postgresql://ops:***@db.example:5432/dagport"), first

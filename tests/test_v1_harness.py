"""The harness that measures dagport's ``/api/v1`` against Airflow 2.11's recording: the replay
engine (tests/v1_replay.py) and its registry of documented differences (tests/v1_differences.py) on
hand-made cases and against a loopback server that answers what Airflow 2.11 answered, and the
Airflow 3.3.2 brought to the recording's starting state (tests/v1_state.py, the ``v1_airflow``
fixture), checked through Airflow's own REST API v2."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest

from tests.airflow_deployment import AirflowDeployment
from tests.v1_differences import REGISTRY, SECTIONS, Documented
from tests.v1_replay import (
    ABSENT,
    DOCUMENTED,
    OTHER,
    SAME,
    Answer,
    Difference,
    Exchange,
    Places,
    authorization,
    build_request,
    classify,
    compare,
    compare_json,
    dynamic_segments,
    load_transcript,
    replay,
    summary,
)
from tests.v1_state import CONNECTIONS, DAG_IDS, FINISHED_DAGS, RUN_ID, V1_DAGS_FOLDER

ROOT = Path(__file__).resolve().parents[1]
TRANSCRIPT = load_transcript()
BY_NAME = {exchange.name: exchange for exchange in TRANSCRIPT}
REFERENCE_DAG_IDS = (
    "broken_dag", "dataset_consumer", "dataset_producer", "example_bash", "lineage_dag", "simple_dag",
    "throwaway_dag", "warning_dag", "xcom_dag",
)  # fmt: skip


def exchange(**fields: Any) -> Exchange:
    """A hand-made exchange: a GET answered 200 with ``{}`` unless told."""
    recorded = fields.pop("response_json", {})
    defaults: dict[str, Any] = {
        "name": "made",
        "method": "GET",
        "path": "/api/v1/made",
        "auth": "admin",
        "request_headers": {},
        "request_content_type": None,
        "request_body": None,
        "status": 200,
        "content_type": "application/json",
        "response_json": recorded,
        "response_text": json.dumps(recorded, indent=2, sort_keys=True) + "\n"
        if recorded is not None
        else "",
        "headers": {},
        "volatile": (),
        "dynamic_path": False,
    }
    return Exchange(**{**defaults, **fields})


def answer(body: Any = None, *, text: str | None = None, headers: Mapping[str, str] | None = None) -> Answer:
    """A 200 with ``body`` laid out as Airflow 2.11 did (or ``text`` as is)."""
    if text is None:
        text = json.dumps(body, indent=2, sort_keys=True) + "\n"
    return Answer(200, {"content-type": "application/json", **(headers or {})}, text)


def where(differences: list[Difference]) -> list[tuple[str, str, str]]:
    return [(d.aspect, d.where, d.kind) for d in differences]


# -- the comparison ------------------------------------------------------------------------------


def test_equal_answers_have_no_difference() -> None:
    recorded = {"dags": [{"dag_id": "a", "retries": 2.0, "tags": [{"name": "x"}]}], "total_entries": 1}
    assert compare(exchange(response_json=recorded), answer(recorded)) == []


def test_a_volatile_key_is_left_out_at_any_depth_but_keeps_its_type() -> None:
    recorded = {"when": "2026-01-01T00:00:00+00:00", "rows": [{"when": "a", "n": 1}]}
    volatile = Places.parse(["when"])
    assert compare_json(recorded, {"when": "later", "rows": [{"when": "b", "n": 1}]}, volatile) == []
    differences = compare_json(recorded, {"when": None, "rows": [{"when": "b", "n": 2}]}, volatile)
    assert where(differences) == [("body", "/when", "type"), ("body", "/rows/0/n", "value")]
    assert differences[0].recorded == "2026-01-01T00:00:00+00:00" and differences[0].got is None


def test_a_volatile_pointer_takes_every_element_of_a_star_and_what_is_below() -> None:
    recorded = {"runs": [{"end": "1", "start": "s", "info": {"a": 1}}], "end": "e"}
    got = {"runs": [{"end": "2", "start": "t", "info": {"a": 2}}], "end": "f"}
    assert where(compare_json(recorded, got, Places.parse(["/runs/*/end", "/runs/*/info"]))) == [
        ("body", "/runs/0/start", "value"),
        ("body", "/end", "value"),
    ]
    assert compare_json(recorded, got, Places.parse(["/runs", "/end"])) == []
    assert len(compare_json(recorded, got, Places.parse(["/runs/1/end", "/run/*/end"]))) == 4


def test_an_order_list_is_a_multiset() -> None:
    volatile = Places.parse(["(order)/items", "(order)/dags/*/tags"])
    assert compare_json({"items": [1, 2, 3]}, {"items": [3, 1, 2]}, volatile) == []
    assert where(compare_json({"items": [1, 2, 3]}, {"items": [3, 1, 2]})) == [
        ("body", "/items/0", "value"),
        ("body", "/items/1", "value"),
        ("body", "/items/2", "value"),
    ]
    one_off = compare_json({"items": [1, 1, 2]}, {"items": [2, 1, 2]}, volatile)
    assert [(d.where, d.recorded, d.got) for d in one_off] == [("/items/1", 1, 2)]
    assert where(compare_json({"items": [1, 2]}, {"items": [2]}, volatile)) == [
        ("body", "/items/0", "missing element")
    ]
    assert where(compare_json({"items": [1]}, {"items": [5, 1]}, volatile)) == [
        ("body", "/items/0", "extra element")
    ]
    tags = {"dags": [{"tags": [{"name": "a"}, {"name": "b"}]}, {"tags": [{"name": "c"}, {"name": "d"}]}]}
    swapped = {"dags": [{"tags": [{"name": "b"}, {"name": "a"}]}, {"tags": [{"name": "d"}, {"name": "c"}]}]}
    assert compare_json(tags, swapped, volatile) == []
    assert len(compare_json({"dags": swapped["dags"][::-1]}, tags, volatile)) == 4  # /dags is ordered


def test_an_order_list_pairs_elements_with_their_volatile_parts_left_out() -> None:
    volatile = Places.parse(["(order)/task_instances", "start_date"])
    recorded = {"task_instances": [{"task_id": "a", "start_date": "1"}, {"task_id": "b", "start_date": "2"}]}
    got = {"task_instances": [{"task_id": "b", "start_date": "9"}, {"task_id": "a", "start_date": "8"}]}
    assert compare_json(recorded, got, volatile) == []
    got["task_instances"][0]["task_id"] = "c"
    assert [(d.where, d.recorded, d.got) for d in compare_json(recorded, got, volatile)] == [
        ("/task_instances/1/task_id", "b", "c")
    ]


def test_text_volatility_leaves_the_body_out_but_not_status_and_type() -> None:
    recorded = exchange(
        volatile=("(text)",),
        response_json=None,
        response_text="log",
        content_type="text/plain; charset=utf-8",
    )
    assert compare(recorded, Answer(200, {"content-type": "text/plain"}, "other log")) == []
    assert where(compare(recorded, Answer(404, {"content-type": "application/json"}, "{}"))) == [
        ("status", "", "value"),
        ("content_type", "", "value"),
    ]


def test_an_integer_is_not_a_number_nor_a_boolean() -> None:
    recorded = {"retries": 2.0, "pool_slots": 1, "is_paused": True}
    differences = compare_json(recorded, {"retries": 2, "pool_slots": True, "is_paused": 1})
    assert [(d.where, d.kind, d.recorded, d.got) for d in differences] == [
        ("/retries", "type", 2.0, 2),
        ("/pool_slots", "type", 1, True),
        ("/is_paused", "type", True, 1),
    ]


def test_keys_are_compared_at_every_depth() -> None:
    recorded = {"a": {"b": {"c": 1, "gone": None}}, "list": [{"k": 1}], "top": 1}
    got = {"a": {"b": {"c": 1, "new": None}}, "list": [{"k": 1, "extra": 2}], "more": 2}
    assert where(compare_json(recorded, got)) == [
        ("body", "/a/b/gone", "missing key"),
        ("body", "/a/b/new", "extra key"),
        ("body", "/list/0/extra", "extra key"),
        ("body", "/top", "missing key"),
        ("body", "/more", "extra key"),
    ]


def test_list_lengths_and_pointer_escaping() -> None:
    assert where(compare_json([1, 2], [1])) == [("body", "/1", "missing element")]
    assert where(compare_json([1], [1, 2])) == [("body", "/1", "extra element")]
    assert where(compare_json({"a/b~c": 1}, {"a/b~c": 2})) == [("body", "/a~1b~0c", "value")]
    assert compare_json({"a/b": 1}, {"a/b": 2}, Places.parse(["/a~1b"])) == []


def test_status_media_type_and_recorded_headers_are_compared() -> None:
    """Connection, a hop-by-hop header (the recording's "close"), is not part of the answer."""
    recorded = exchange(
        status=403,
        content_type="application/problem+json",
        headers={
            "connection": "close",
            "cache-control": "no-store",
            "content-length": "186",
            "Content-Type": "x",
        },
        response_json={"detail": None},
    )
    got = Answer(401, {"content-type": "application/json; charset=utf-8", "connection": "keep-alive"}, "")
    got = replace(got, text=json.dumps({"detail": None}, indent=2, sort_keys=True) + "\n")
    assert [(d.aspect, d.where, d.recorded, d.got) for d in compare(recorded, got)] == [
        ("status", "", 403, 401),
        ("content_type", "", "application/problem+json", "application/json"),
        ("header", "cache-control", "no-store", ABSENT),
    ]
    html = exchange(content_type="text/html; charset=utf-8", response_json=None, response_text="<p>")
    assert compare(html, Answer(200, {"content-type": "text/html"}, "<p>")) == []


def test_a_body_that_is_not_json_is_compared_as_text() -> None:
    html = exchange(content_type="text/html", response_json=None, response_text="<html>oops</html>")
    assert [
        (d.kind, d.recorded, d.got) for d in compare(html, Answer(200, {"content-type": "text/html"}, "x"))
    ] == [("value", "<html>oops</html>", "x")]
    recorded = exchange(response_json={"a": 1})
    assert where(compare(recorded, Answer(200, {"content-type": "application/json"}, "<html>"))) == [
        ("body", "", "not json")
    ]


def test_the_layout_of_the_json_text_is_the_recordings() -> None:
    recorded = exchange(response_json={"b": 1, "a": [1]})
    assert compare(recorded, answer({"b": 1, "a": [1]})) == []
    for text in ('{"a": [1], "b": 1}', json.dumps({"b": 1, "a": [1]}, indent=2) + "\n"):
        assert where(compare(recorded, answer(text=text))) == [("format", "", "value")]
    compact = exchange(response_json={"content": "x"}, response_text='{"content": "x"}')
    assert compare(compact, answer(text='{"content": "x"}')) == []
    assert where(compare(compact, answer({"content": "x"}))) == [("format", "", "value")]


def test_the_volatile_notation_refuses_what_it_does_not_know() -> None:
    with pytest.raises(ValueError, match="volatile notation"):
        Places.parse(["(sorted)/a"])


# -- verdicts and the registry -------------------------------------------------------------------


def test_a_difference_is_documented_only_by_an_entry_that_covers_it() -> None:
    made = exchange(name="dag_get_made", response_json={"fileloc": "/opt/a.py", "owner": "x", "n": 1})
    differences = compare(made, answer({"fileloc": "/here/a.py", "owner": "y", "n": 1}))
    section = SECTIONS["deployment"]
    fileloc = Documented(("dag_*",), "body", "paths", section, where=("fileloc",), kinds=("value",))
    owner = Documented(("dag_get_made",), "body", "owners", section, where=("/owner",), got=("y",))

    assert classify(made, None, []).verdict == SAME
    verdict = classify(made, None, differences, registry=[fileloc])
    assert (verdict.verdict, [d.where for d in verdict.undocumented]) == (OTHER, ["/owner"])
    verdict = classify(made, None, differences, registry=[fileloc, owner])
    assert verdict.verdict == DOCUMENTED
    assert [(d.where, entry.reason) for d, entry in verdict.documented] == [
        ("/fileloc", "paths"),
        ("/owner", "owners"),
    ]

    wrong_answer = compare(made, answer({"fileloc": "/here/a.py", "owner": "z", "n": 1}))
    assert classify(made, None, wrong_answer, registry=[fileloc, owner]).verdict == OTHER
    other_exchange = replace(made, name="version")
    assert classify(other_exchange, None, differences, registry=[fileloc, owner]).verdict == OTHER
    type_change = compare(made, answer({"fileloc": None, "owner": "y", "n": 1}))
    assert classify(made, None, type_change, registry=[fileloc, owner]).verdict == OTHER


def test_an_entry_can_depend_on_an_earlier_answer() -> None:
    made = exchange(name="variable_delete", status=204, response_json=None, content_type="text/html")
    differences = [Difference("status", "", 204, 404)]
    after = Documented(
        ("variable_delete",),
        "status",
        "deleted before",
        SECTIONS["errors"],
        got=(404,),
        after=(("first", 204),),
    )
    assert classify(made, None, differences, [after], statuses={"first": 204}).verdict == DOCUMENTED
    assert classify(made, None, differences, [after], statuses={"first": 400}).verdict == OTHER
    assert classify(made, None, differences, [after], statuses={}).verdict == OTHER


def test_the_registry_names_recorded_exchanges_and_places() -> None:
    """An entry that matches nothing of the recording would document nothing real."""
    for entry in REGISTRY:
        named = [e for e in TRANSCRIPT if entry.names(e.name)]
        assert named, entry
        assert {name for name, _ in entry.after} <= set(BY_NAME), entry
        if entry.aspect == "header" and entry.where:
            assert all(any(h in e.headers for e in named) for h in entry.where), entry
        if entry.aspect == "body" and entry.where:
            for place in entry.where:
                places = Places.parse([place])
                found = [
                    e.name
                    for e in named
                    for pointer, _ in _pointers(e.response_json)
                    if places.covers(pointer)
                ]
                assert found, (entry, place)
        assert entry.reason and entry.section in SECTIONS.values()


def _pointers(value: Any, pointer: tuple[str | int, ...] = ()):
    yield pointer, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _pointers(item, (*pointer, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _pointers(item, (*pointer, index))


def test_the_dag_source_reads_back_as_recorded() -> None:
    """example_bash.py is the recording's file (Airflow 3.3.2 still loads its imports): its source is
    the same, and any other text is a difference."""
    recorded = BY_NAME["dag_source_json"]
    kept = (V1_DAGS_FOLDER / "example_bash.py").read_text()
    headers = {"cache-control": "no-store", "x-robots-tag": "noindex, nofollow"}
    same = answer(text=json.dumps({"content": kept}), headers=headers)
    assert classify(recorded, None, compare(recorded, same)).verdict == SAME
    wrong = json.dumps({"content": kept + "# changed\n"})
    assert classify(recorded, None, compare(recorded, answer(text=wrong, headers=headers))).verdict == OTHER


# -- requests ------------------------------------------------------------------------------------


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_every_auth_of_the_transcript_has_its_credentials() -> None:
    assert {e.auth for e in TRANSCRIPT} == {
        "admin", "viewer", "none", "admin with a wrong password", "Authorization: Basic !!!not-base64",
    }  # fmt: skip
    assert authorization("admin") == _basic("admin", "admin")
    assert authorization("viewer") == _basic("viewer", "viewer")
    assert authorization("none") is None
    assert authorization("admin with a wrong password") == _basic("admin", "admin-wrong")
    assert authorization("Authorization: Basic !!!not-base64") == "Basic !!!not-base64"
    assert authorization("admin", {"admin": ("svc", "tok")}) == _basic("svc", "tok")
    with pytest.raises(ValueError, match="no credentials"):
        authorization("root")


def test_the_request_is_the_recorded_one() -> None:
    trigger = build_request(BY_NAME["dagrun_trigger_conf_logical_date"])
    assert trigger.method == "POST" and trigger.path == "/api/v1/dags/example_bash/dagRuns"
    assert trigger.headers == {"Content-Type": "application/json", "Authorization": _basic("admin", "admin")}
    assert json.loads(trigger.content or b"") == BY_NAME["dagrun_trigger_conf_logical_date"].request_body
    assert build_request(BY_NAME["dagrun_trigger_malformed_json"]).content == b"{not json"
    plain = build_request(BY_NAME["dagrun_trigger_text_plain"])
    assert plain.headers["Content-Type"] == "text/plain"
    assert plain.content == b'{"logical_date": "2017-01-15T00:00:00+00:00"}'
    assert build_request(BY_NAME["dagrun_trigger_no_body"]).content is None
    empty = build_request(BY_NAME["variable_delete_json_content_type_no_body"])
    assert (empty.content, empty.headers["Content-Type"]) == (b"", "application/json")
    assert "Authorization" not in build_request(BY_NAME["auth_no_credentials_trigger"]).headers


def test_dynamic_paths_name_the_earlier_answers_they_come_from() -> None:
    dynamic = dynamic_segments(TRANSCRIPT)
    assert sorted(dynamic) == sorted(e.name for e in TRANSCRIPT if e.dynamic_path)
    now_run = dynamic["dagrun_delete_now_run"]
    assert [(s.index, s.encoded, s.sources[0].exchange, s.sources[0].pointer) for s in now_run] == [
        (6, True, "dagrun_trigger_now_empty_object", ("dag_run_id",))
    ]
    for name in ("dag_source_json", "dag_source_text", "reparse_dag_file"):
        [token] = dynamic[name]
        assert token.index == 4 and not token.encoded
        assert {s.pointer[-1] for s in token.sources} == {"file_token"}
        assert "dag_get" in {s.exchange for s in token.sources}


# -- replays against a loopback server that answers as Airflow 2.11 did --------------------------


@dataclass
class Received:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


class RecordedServer:
    """A loopback HTTP/1.1 server answering the n-th request with the n-th recorded answer
    (``rewrite`` applied to its text, ``answers`` replacing some) and keeping each request as it
    came over the wire."""

    def __init__(
        self,
        exchanges: list[Exchange],
        rewrite: Callable[[str], str] = lambda text: text,
        answers: Mapping[str, tuple[int, dict[str, str | None], str]] | None = None,
    ) -> None:
        self.exchanges, self.rewrite, self.answers = exchanges, rewrite, answers or {}
        self.received: list[Received] = []
        self.url = ""

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        method, target, _ = head[0].split(" ")
        headers = dict(line.split(": ", 1) for line in head[1:] if line)
        headers = {name.lower(): value for name, value in headers.items()}
        body = await reader.readexactly(int(headers.get("content-length", 0)))
        recorded = self.exchanges[len(self.received)]
        self.received.append(Received(method, target, headers, body))
        status, response_headers, text = self.answers.get(
            recorded.name, (recorded.status, recorded.headers, self.rewrite(recorded.response_text))
        )
        # Closed after each answer, and said so unless the answer leaves it out (None).
        response_headers = {"connection": "close", **response_headers}
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
        lines += [f"{k}: {v}" for k, v in response_headers.items() if k != "content-length" and v is not None]
        payload = text.encode()
        if status != 204:
            lines.append(f"content-length: {len(payload)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + (payload if status != 204 else b""))
        await writer.drain()
        writer.close()

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[RecordedServer]:
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        async with server:
            yield self


async def test_the_recorded_answers_replay_as_same_and_the_requests_go_as_recorded() -> None:
    async with RecordedServer(TRANSCRIPT).serving() as server:
        verdicts = await replay(server.url)
    assert [(v.name, v.verdict) for v in verdicts if v.verdict != SAME] == []
    assert [v.name for v in verdicts] == [e.name for e in TRANSCRIPT]
    for recorded, received in zip(TRANSCRIPT, server.received, strict=True):
        # The target byte for byte: %3A, %2B, %25 and a raw + as recorded.
        assert (received.method, received.target) == (recorded.method, recorded.path)
        assert received.headers.get("authorization") == authorization(recorded.auth)
        for name, value in recorded.request_headers.items():
            assert received.headers[name.lower()] == value
        if isinstance(recorded.request_body, str):
            assert received.body == recorded.request_body.encode()
        elif recorded.request_body is not None:
            assert json.loads(received.body) == recorded.request_body
        else:
            assert received.body == b""
    raw_plus = BY_NAME["dagrun_get_finished_raw_plus"].path
    assert raw_plus.endswith("/manual__2016-11-16T00:00:00+00:00")
    assert raw_plus in [received.target for received in server.received]


async def test_a_dynamic_path_carries_the_value_the_server_answered() -> None:
    token = BY_NAME["dag_get"].response_json["file_token"]
    now_run = BY_NAME["dagrun_trigger_now_empty_object"].response_json["dag_run_id"]

    def rewrite(text: str) -> str:
        return text.replace(token, "dagport-token-1").replace(now_run, "manual__2030-01-01T00:00:00+00:00")

    async with RecordedServer(TRANSCRIPT, rewrite).serving() as server:
        verdicts = await replay(server.url)
    targets = {e.name: received.target for e, received in zip(TRANSCRIPT, server.received, strict=True)}
    assert targets["dag_source_json"] == "/api/v1/dagSources/dagport-token-1"
    assert targets["reparse_dag_file"] == "/api/v1/parseDagFile/dagport-token-1"
    assert (
        targets["dagrun_delete_now_run"]
        == "/api/v1/dags/simple_dag/dagRuns/manual__2030-01-01T00%3A00%3A00%2B00%3A00"
    )
    # The other token is documented (dagport issues its own); the run id is volatile where it shows.
    with_token = {e.name for e in TRANSCRIPT if token in e.response_text}
    assert {v.name for v in verdicts if v.verdict == DOCUMENTED} == with_token
    assert [v.name for v in verdicts if v.verdict == OTHER] == []
    assert {entry.reason for v in verdicts for _, entry in v.documented} == {
        "file_token is dagport's own signed token naming the DAG, not Airflow 2's signature of the file path"
    }


async def test_no_earlier_answer_for_a_dynamic_path_is_a_difference() -> None:
    broken = {"dagrun_trigger_now_empty_object": (500, {"content-type": "text/plain"}, "no")}
    async with RecordedServer(TRANSCRIPT, answers=broken).serving() as server:
        verdicts = await replay(server.url)
    delete = next(v for v in verdicts if v.name == "dagrun_delete_now_run")
    assert delete.verdict == OTHER
    assert [(d.aspect, d.kind) for d in delete.undocumented] == [("dynamic_path", "missing value")]
    assert server.received[[e.name for e in TRANSCRIPT].index("dagrun_delete_now_run")].target == (
        BY_NAME["dagrun_delete_now_run"].path
    )


async def test_a_server_that_does_not_answer_gives_other_verdicts() -> None:
    server = await asyncio.start_server(lambda reader, writer: writer.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    verdicts = await replay(f"http://127.0.0.1:{port}", exchanges=TRANSCRIPT[:2])
    assert [(v.verdict, v.undocumented[0].aspect) for v in verdicts] == [(OTHER, "status"), (OTHER, "status")]
    assert "no answer: ConnectError" in str(verdicts[0].undocumented[0])


async def test_the_command_prints_the_counts_and_each_other_difference() -> None:
    changed = json.loads(BY_NAME["dags_list_limit_0"].response_text)
    changed["dags"][0]["dag_id"] = "renamed"
    text = json.dumps(changed, indent=2, sort_keys=True) + "\n"
    version = {"git_version": ".release:aa19d2db", "version": "3.3.2"}
    kept_open = {**BY_NAME["version"].headers, "connection": None}
    answers = {
        "dags_list_limit_0": (200, BY_NAME["dags_list_limit_0"].headers, text),
        "version": (200, kept_open, json.dumps(version, indent=2, sort_keys=True) + "\n"),
    }
    async with RecordedServer(TRANSCRIPT, answers=answers).serving() as server:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.v1_replay", "--base-url", server.url, "--documented",
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 1, err.decode()
    assert out.decode().splitlines() == [
        "verdict      exchanges",
        "same               254",
        "documented           1",
        "other                1",
        "total              256",
        "",
        "1 other:",
        "dags_list_limit_0: other",
        "  body /dags/0/dag_id (value): recorded 'dataset_consumer', got 'renamed'",
        "",
        "documented:",
        "version: body /git_version (value): recorded '', got '.release:aa19d2db'",
        "  because /version reports the Airflow that answers: 3.3.2 and its git_version, not 2.11.2 "
        f"({SECTIONS['deployment']})",
        "version: body /version (value): recorded '2.11.2', got '3.3.2'",
        "  because /version reports the Airflow that answers: 3.3.2 and its git_version, not 2.11.2 "
        f"({SECTIONS['deployment']})",
    ]


def test_the_summary_counts_every_verdict() -> None:
    from tests.v1_replay import Verdict

    verdicts = [Verdict("a", SAME, None), Verdict("b", DOCUMENTED, None), Verdict("c", SAME, None)]
    assert summary(verdicts).splitlines() == [
        "verdict      exchanges",
        "same                 2",
        "documented           1",
        "other                0",
        "total                3",
    ]


# -- the ported DAG files --------------------------------------------------------------------------


def test_the_ported_dag_files_are_the_recordings() -> None:
    """Same file names and ids; no Airflow 2 import is left but in example_bash.py, kept as
    recorded (Airflow 3.3.2 still loads `from airflow import DAG` and `airflow.operators.bash`), so
    that its source reads back exactly as Airflow 2.11 served it."""
    files = sorted(path.name for path in V1_DAGS_FOLDER.glob("*.py"))
    assert files == [f"{dag_id}.py" for dag_id in REFERENCE_DAG_IDS]
    gone = re.compile(r"^(from airflow import|from airflow\.(operators|datasets|lineage)\b)", re.M)
    for path in V1_DAGS_FOLDER.glob("*.py"):
        text = path.read_text()
        if path.name != "example_bash.py":
            assert gone.findall(text) == [], path.name
        assert f'dag_id="{path.stem}"' in text, path.name


# -- the Airflow 3.3.2 in the recording's starting state ------------------------------------------


async def _v2(airflow: AirflowDeployment, path: str, **kwargs: Any) -> Any:
    response = await airflow.api("GET", path, **kwargs)
    assert response.status_code == 200, (path, response.text)
    return response.json()


async def test_v1_airflow_is_in_the_recordings_starting_state(v1_airflow: AirflowDeployment) -> None:
    assert set(v1_airflow.processes) == {"api-server"}  # no scheduler, dag-processor or triggerer
    v1_airflow.say(f"v1 state timings: {v1_airflow.timings}")

    pools = (await _v2(v1_airflow, "/pools"))["pools"]
    assert [(p["name"], p["slots"], p["description"], p["open_slots"]) for p in pools] == [
        ("default_pool", 128, "Default pool", 128),
        ("etl_pool", 4, "ETL pool", 4),
        ("reporting", 2, "Reporting pool", 2),
    ]
    variables = (await _v2(v1_airflow, "/variables"))["variables"]
    assert [(v["key"], v["value"], v["description"]) for v in variables] == [
        ("greeting", "hello world", "A plain string variable"),
        ("settings", '{"retries": 3, "regions": ["eu", "us"]}', None),
        ("api_password", "***", None),  # Airflow 3's API redacts it ...
    ]
    output = await v1_airflow.run_in_venv("airflow", "variables", "get", "api_password", log="variable-get")
    assert "s3cr3t" in output.splitlines()  # ... what the recording answered is stored
    connections = (await _v2(v1_airflow, "/connections"))["connections"]
    fields = ("connection_id", "conn_type", "description", "host", "port", "login", "schema", "extra")
    assert [{k: c[k] for k in fields} for c in connections] == [
        {k: c[k] for k in fields} for c in CONNECTIONS
    ]
    assert [c["password"] for c in connections] == ["***", None]

    dags = (await _v2(v1_airflow, "/dags?limit=100&order_by=dag_id"))["dags"]
    assert [(d["dag_id"], d["is_paused"]) for d in dags] == [(dag_id, True) for dag_id in DAG_IDS]
    errors = (await _v2(v1_airflow, "/importErrors"))["import_errors"]
    assert [(e["import_error_id"], e["filename"]) for e in errors] == [(1, "broken_dag.py")]
    assert f'{V1_DAGS_FOLDER}/broken_dag.py", line 6, in <module>' in errors[0]["stack_trace"]
    assert errors[0]["stack_trace"].endswith(
        "RuntimeError: broken on purpose: this file is an import error for the v1 recording\n"
    )
    warnings = (await _v2(v1_airflow, "/dagWarnings"))["dag_warnings"]
    assert [(w["dag_id"], w["warning_type"], w["message"]) for w in warnings] == [
        (
            "warning_dag",
            "non-existent pool",
            "Dag 'warning_dag' references non-existent pools: ['nonexistent_pool']",
        )
    ]

    runs = await _v2(v1_airflow, "/dags/~/dagRuns?order_by=dag_id")
    assert runs["total_entries"] == 4
    assert [
        (
            r["dag_id"],
            r["dag_run_id"],
            r["state"],
            r["logical_date"],
            r["start_date"],
            r["run_type"],
            r["conf"],
        )
        for r in runs["dag_runs"]
    ] == [
        (dag_id, RUN_ID, "success", "2016-11-16T00:00:00Z", "2016-11-16T00:00:00Z", "manual", {})
        for dag_id in sorted(FINISHED_DAGS)
    ]
    instances = (await _v2(v1_airflow, "/dags/~/dagRuns/~/taskInstances?order_by=id"))["task_instances"]
    assert sorted((t["dag_id"], t["task_id"], t["state"], t["try_number"]) for t in instances) == [
        ("dataset_producer", "produce_orders", "success", 1),
        ("example_bash", "extract", "success", 1),
        ("example_bash", "load", "success", 1),
        ("example_bash", "transform", "success", 1),
        ("lineage_dag", "consume", "success", 1),
        ("lineage_dag", "produce", "success", 1),
        ("xcom_dag", "pull", "success", 1),
        ("xcom_dag", "push", "success", 1),
    ]
    xcoms = (await _v2(v1_airflow, "/dags/~/dagRuns/~/taskInstances/~/xcomEntries"))["xcom_entries"]
    values = {}
    for entry in xcoms:
        task = f"/dags/{entry['dag_id']}/dagRuns/{RUN_ID}/taskInstances/{entry['task_id']}"
        values[entry["dag_id"], entry["task_id"], entry["key"]] = (
            await _v2(v1_airflow, f"{task}/xcomEntries/{entry['key']}")
        )["value"]
    assert values == {
        ("dataset_producer", "produce_orders", "return_value"): "producing orders",
        ("example_bash", "extract", "return_value"): "extract 2016-11-16",
        ("example_bash", "load", "return_value"): "load",
        ("example_bash", "transform", "return_value"): "transform",
        ("lineage_dag", "consume", "return_value"): "consume",
        ("lineage_dag", "produce", "return_value"): "produce",
        ("xcom_dag", "pull", "return_value"): 3,
        ("xcom_dag", "push", "custom_key"): "hello",
        ("xcom_dag", "push", "return_value"): {"rows": 3, "status": "ok", "items": [1, 2, 3]},
    }
    log = await _v2(
        v1_airflow,
        f"/dags/example_bash/dagRuns/{RUN_ID}/taskInstances/extract/logs/1",
        headers={"Accept": "application/json"},
    )
    events = [line.get("event") for line in log["content"]]
    assert (
        "extract 2016-11-16" in events
        and "Running command: ['/usr/bin/bash', '-c', 'echo extract 2016-11-16']" in events
    )
    asset_events = (await _v2(v1_airflow, "/assets/events"))["asset_events"]
    assert [
        (
            e["id"],
            e["asset_id"],
            e["uri"],
            e["source_dag_id"],
            e["source_run_id"],
            e["source_task_id"],
            e["extra"],
        )
        for e in asset_events
    ] == [(1, 1, "s3://dagport-ref/orders.csv", "dataset_producer", RUN_ID, "produce_orders", {})]
    health = (await v1_airflow.client.get("/api/v2/monitor/health")).json()
    assert health == {  # the recording's /health
        "metadatabase": {"status": "healthy"},
        "scheduler": {"status": "unhealthy", "latest_scheduler_heartbeat": None},
        "triggerer": {"status": None, "latest_triggerer_heartbeat": None},
        "dag_processor": {"status": None, "latest_dag_processor_heartbeat": None},
    }

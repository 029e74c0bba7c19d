"""Replays Airflow 2.11's recorded ``/api/v1`` exchanges against a server and classifies each answer.

tests/data/airflow-2.11-v1-transcripts.jsonl holds 256 request/response exchanges recorded in order
against a real Airflow 2.11.2 webserver (HTTP Basic auth, users admin/admin and viewer/viewer), from
the starting state that tests/v1_state.py makes on Airflow 3.3.2. This module does not care what
answers: :func:`replay` sends every exchange, in order, to a base URL and gives one
:class:`Verdict` per exchange:

- ``same``: no difference from the recorded answer;
- ``documented``: every difference is covered by an entry of the registry (tests/v1_differences.py),
  which names its reason;
- ``other``: the rest, with the differences (where, recorded, got).

What is compared (:func:`compare`): the status; the media type of ``Content-Type`` (parameters
dropped); the recorded headers (besides ``Content-Type``, ``Content-Length``, ``Date`` and
``Server``) by value; for a JSON body the key set of every object at every depth, the JSON type of
every value (an integer is not a number: v1 writes ``retries: 2.0``), every value that the
exchange's ``volatile`` list does not name, and the text's layout (the recording's: 2-space indent,
sorted keys and a trailing newline, or compact for ``dagSources``); any other body as text.

``volatile`` notation (the recording's own): ``"key"`` is that key at any depth;
``"/a/*/b"`` is a JSON pointer where ``*`` is every element or key at that level; both take what
they name with everything below it, whose JSON type is still compared but not its value;
``"(order)/a"`` compares the list at ``/a`` as a multiset (``*`` allowed); ``"(text)"`` leaves the
body out (status and type are still compared).

Requests are rebuilt as recorded (:func:`build_request`): the path byte for byte (percent-encoding
kept, a raw ``+`` too: the URL is built from the raw path, so nothing is re-encoded), the recorded
request headers, the body (JSON, or the raw string of a malformed or non-JSON body, or none), and
the credentials of ``auth`` as HTTP Basic (:func:`authorization`). A ``dynamic_path`` embeds a value
of an earlier answer (the ``file_token`` of a DAG, the id of a run triggered "now"): it is taken
from the answer the server under test gave to that earlier exchange (:func:`dynamic_segments`).

From a test::

    verdicts = await replay(dagport_url)
    assert [v.name for v in verdicts if v.verdict == OTHER] == []

From a shell, against any server::

    python -m tests.v1_replay --base-url http://127.0.0.1:8080
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import re
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

import httpx

if TYPE_CHECKING:
    from tests.v1_differences import Documented

TRANSCRIPT = Path(__file__).resolve().parent / "data" / "airflow-2.11-v1-transcripts.jsonl"
USERS: Mapping[str, tuple[str, str]] = {"admin": ("admin", "admin"), "viewer": ("viewer", "viewer")}
SAME, DOCUMENTED, OTHER = "same", "documented", "other"
# Not compared: the length follows the body, the type is compared as a media type, the recording
# left Date and Server out, and Connection is hop-by-hop (RFC 9110 7.6.1): it describes the HTTP
# connection (Airflow 2's gunicorn sync worker closed every one), not the answer.
UNCOMPARED_HEADERS = frozenset({"content-length", "content-type", "date", "server", "connection"})
WRONG_PASSWORD = re.compile(r"(?P<user>\w+) with a wrong password")
RAW_AUTHORIZATION = "Authorization: "


class _Absent:
    """A key or element that one side does not have."""

    def __repr__(self) -> str:
        return "(absent)"


ABSENT: Any = _Absent()


# -- the transcript --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """One recorded exchange (the fields of a transcript line)."""

    name: str
    method: str
    path: str
    auth: str
    request_headers: dict[str, str]
    request_content_type: str | None
    request_body: Any
    status: int
    content_type: str
    response_json: Any
    response_text: str
    headers: dict[str, str]
    volatile: tuple[str, ...]
    dynamic_path: bool

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Exchange:
        return cls(**{**data, "volatile": tuple(data["volatile"])})


def load_transcript(path: Path = TRANSCRIPT) -> list[Exchange]:
    exchanges = [Exchange.from_json(json.loads(line)) for line in path.read_text().splitlines() if line]
    names = Counter(exchange.name for exchange in exchanges)
    if duplicates := sorted(name for name, count in names.items() if count > 1):
        raise ValueError(f"exchange names are not unique: {duplicates}")
    return exchanges


# -- requests --------------------------------------------------------------------------------------


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def authorization(auth: str, users: Mapping[str, tuple[str, str]] = USERS) -> str | None:
    """The ``Authorization`` header for a transcript's ``auth``: a user's Basic credentials, none,
    a user's name with a wrong password, or the literal header the recording sent."""
    if auth == "none":
        return None
    if auth in users:
        return _basic(*users[auth])
    if (match := WRONG_PASSWORD.fullmatch(auth)) and match["user"] in users:
        user, password = users[match["user"]]
        return _basic(user, password + "-wrong")
    if auth.startswith(RAW_AUTHORIZATION):
        return auth.removeprefix(RAW_AUTHORIZATION)
    raise ValueError(f"no credentials known for auth {auth!r}")


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # raw, as sent
    headers: dict[str, str]
    content: bytes | None


def build_request(
    exchange: Exchange, *, path: str | None = None, users: Mapping[str, tuple[str, str]] = USERS
) -> Request:
    """The exchange's request (``path``: the dynamic path, when it was substituted)."""
    headers = dict(exchange.request_headers)
    if (value := authorization(exchange.auth, users)) is not None:
        headers["Authorization"] = value
    body = exchange.request_body
    if body is None:
        content = None
    elif isinstance(body, str):  # malformed JSON, or not JSON: the raw string
        content = body.encode()
    else:
        content = json.dumps(body).encode()
    return Request(exchange.method, path if path is not None else exchange.path, headers, content)


def url(base_url: str, raw_path: str) -> httpx.URL:
    """``base_url`` with ``raw_path`` (path and query) appended exactly as given."""
    base = httpx.URL(base_url)
    built = base.copy_with(raw_path=base.raw_path.rstrip(b"/") + raw_path.encode())
    if not built.raw_path.endswith(raw_path.encode()):
        raise ValueError(f"httpx would re-encode {raw_path!r} as {built.raw_path!r}")
    return built


# -- dynamic paths ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where a dynamic path segment's value came from: an earlier exchange's answer, at a pointer."""

    exchange: str
    pointer: tuple[str | int, ...]


@dataclass(frozen=True)
class DynamicSegment:
    index: int  # among the path's "/"-separated segments
    encoded: bool  # percent-encoded as a whole (quote(value, safe=""))
    sources: tuple[Source, ...]  # latest first


def _walk(value: Any, pointer: tuple[str | int, ...] = ()):
    yield pointer, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*pointer, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*pointer, index))


def _segments(path: str) -> list[str]:
    return path.split("?", 1)[0].split("/")


def dynamic_segments(exchanges: Sequence[Exchange]) -> dict[str, list[DynamicSegment]]:
    """For each ``dynamic_path`` exchange, the segments of its path that hold a value of an earlier
    answer: those that no other path of the transcript has, found as a string in earlier recorded
    answers (every place, latest first). Raises ValueError for a dynamic path with none."""
    static = {segment for e in exchanges if not e.dynamic_path for segment in _segments(e.path)}
    found: dict[str, list[DynamicSegment]] = {}
    for position, exchange in enumerate(exchanges):
        if not exchange.dynamic_path:
            continue
        segments = []
        for index, segment in enumerate(_segments(exchange.path)):
            value = unquote(segment)
            if segment in static or not value:
                continue
            sources = tuple(
                Source(earlier.name, pointer)
                for earlier in reversed(exchanges[:position])
                for pointer, item in _walk(earlier.response_json)
                if item == value
            )
            if sources:
                segments.append(DynamicSegment(index, segment != value, sources))
        if not segments:
            raise ValueError(f"{exchange.name}: no segment of its dynamic path is in an earlier answer")
        found[exchange.name] = segments
    return found


def _at(value: Any, pointer: tuple[str | int, ...]) -> Any:
    for token in pointer:
        if isinstance(value, dict) and isinstance(token, str) and token in value:
            value = value[token]
        elif isinstance(value, list) and isinstance(token, int) and token < len(value):
            value = value[token]
        else:
            return ABSENT
    return value


def pointer_text(pointer: Sequence[str | int]) -> str:
    """RFC 6901 form: ``/dags/0/file_token``."""
    return "".join("/" + str(token).replace("~", "~0").replace("/", "~1") for token in pointer)


# -- answers and differences -----------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What the server under test answered."""

    status: int
    headers: dict[str, str]  # lower-case names
    text: str

    @classmethod
    def from_response(cls, response: httpx.Response) -> Answer:
        return cls(response.status_code, {k.lower(): v for k, v in response.headers.items()}, response.text)

    def json(self) -> Any:
        """The body as JSON; :data:`ABSENT` when it is not JSON."""
        try:
            return json.loads(self.text)
        except ValueError:
            return ABSENT


def media_type(content_type: str | None) -> str | None:
    return content_type.split(";", 1)[0].strip().lower() if content_type else None


@dataclass(frozen=True)
class Difference:
    """One way an answer differs from the recorded one.

    ``aspect``: ``status``, ``content_type``, ``header`` (``where``: its name), ``body`` (``where``:
    a JSON pointer, "" for the whole body), ``format`` (the JSON text's layout) or ``dynamic_path``.
    ``kind``: ``value``, ``type`` (JSON types differ), ``missing key`` / ``missing element`` (only
    the recording has it), ``extra key`` / ``extra element`` (only the answer has it), ``not json``.
    ``pointer``: a body difference's place as tokens (``where`` is its text)."""

    aspect: str
    where: str
    recorded: Any
    got: Any
    kind: str = "value"
    pointer: tuple[str | int, ...] = ()

    def __str__(self) -> str:
        place = f"{self.aspect} {self.where}".rstrip()
        return f"{place} ({self.kind}): recorded {_short(self.recorded)}, got {_short(self.got)}"


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value) if value is ABSENT or isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def json_type(value: Any) -> str:
    """JSON Schema's name of the value's type; ``integer`` and ``number`` are different types."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a JSON value: {value!r}")


def _pattern(text: str) -> tuple[str, ...]:
    return tuple(token.replace("~1", "/").replace("~0", "~") for token in text.split("/")[1:])


def _matches(pattern: tuple[str, ...], pointer: tuple[str | int, ...]) -> bool:
    return len(pattern) == len(pointer) and all(
        p in ("*", str(t)) for p, t in zip(pattern, pointer, strict=True)
    )


@dataclass(frozen=True)
class Places:
    """A list in the ``volatile`` notation: keys at any depth, JSON pointers (with ``*``) and what
    is below them, ``(order)`` lists, ``(text)``. Also the registry's ``where`` (tests/v1_differences.py)."""

    keys: frozenset[str] = frozenset()
    pointers: tuple[tuple[str, ...], ...] = ()
    unordered: tuple[tuple[str, ...], ...] = ()
    text: bool = False

    @classmethod
    def parse(cls, notation: Sequence[str]) -> Places:
        keys, pointers, unordered, text = set(), [], [], False
        for entry in notation:
            if entry == "(text)":
                text = True
            elif entry.startswith("(order)/"):
                unordered.append(_pattern(entry.removeprefix("(order)")))
            elif entry.startswith("/"):
                pointers.append(_pattern(entry))
            elif entry and not entry.startswith("("):
                keys.add(entry)
            else:
                raise ValueError(f"not in the volatile notation: {entry!r}")
        return cls(frozenset(keys), tuple(pointers), tuple(unordered), text)

    def covers(self, pointer: tuple[str | int, ...]) -> bool:
        """Whether ``pointer`` is a named key (at any depth), a named pointer, or below one."""
        if any(isinstance(token, str) and token in self.keys for token in pointer):
            return True
        return any(_matches(pattern, pointer[: len(pattern)]) for pattern in self.pointers)

    def is_unordered(self, pointer: tuple[str | int, ...]) -> bool:
        return any(_matches(pattern, pointer) for pattern in self.unordered)


def compare_json(
    recorded: Any, got: Any, volatile: Places = Places(), pointer: tuple[str | int, ...] = ()
) -> list[Difference]:
    """Differences between two JSON values: keys at every depth, types, and values where
    ``volatile`` does not cover them; ``(order)`` lists as multisets."""
    if json_type(recorded) != json_type(got):
        return [_body(pointer, recorded, got, "type")]
    if volatile.covers(pointer):
        return []
    if isinstance(recorded, dict):
        differences = []
        for key in recorded:
            if key not in got:
                differences.append(_body((*pointer, key), recorded[key], ABSENT, "missing key"))
            else:
                differences += compare_json(recorded[key], got[key], volatile, (*pointer, key))
        differences += [
            _body((*pointer, key), ABSENT, got[key], "extra key") for key in got if key not in recorded
        ]
        return differences
    if isinstance(recorded, list):
        if volatile.is_unordered(pointer):
            return _compare_multiset(recorded, got, volatile, pointer)
        differences = []
        for index, (mine, theirs) in enumerate(zip(recorded, got, strict=False)):
            differences += compare_json(mine, theirs, volatile, (*pointer, index))
        differences += [
            _body((*pointer, index), recorded[index], ABSENT, "missing element")
            for index in range(len(got), len(recorded))
        ]
        differences += [
            _body((*pointer, index), ABSENT, got[index], "extra element")
            for index in range(len(recorded), len(got))
        ]
        return differences
    return [] if recorded == got else [_body(pointer, recorded, got, "value")]


def _body(pointer: tuple[str | int, ...], recorded: Any, got: Any, kind: str) -> Difference:
    return Difference("body", pointer_text(pointer), recorded, got, kind, pointer)


def _compare_multiset(
    recorded: list[Any], got: list[Any], volatile: Places, pointer: tuple[str | int, ...]
) -> list[Difference]:
    """Pairs every recorded element with an equal answered one; the rest with the answered element
    that differs least (its differences at the recorded index), or as missing / extra."""
    unmatched = list(range(len(got)))
    leftovers = []
    for index, item in enumerate(recorded):
        equal = next(
            (j for j in unmatched if not compare_json(item, got[j], volatile, (*pointer, index))), None
        )
        if equal is None:
            leftovers.append(index)
        else:
            unmatched.remove(equal)
    differences = []
    for index in leftovers:
        if not unmatched:
            differences.append(_body((*pointer, index), recorded[index], ABSENT, "missing element"))
            continue
        candidates = {
            j: compare_json(recorded[index], got[j], volatile, (*pointer, index)) for j in unmatched
        }
        closest = min(unmatched, key=lambda j: len(candidates[j]))
        unmatched.remove(closest)
        differences += candidates[closest]
    differences += [_body((*pointer, j), ABSENT, got[j], "extra element") for j in unmatched]
    return differences


def _layouts(value: Any) -> dict[str, str]:
    return {
        "2-space indent, sorted keys, trailing newline": json.dumps(value, indent=2, sort_keys=True) + "\n",
        "compact": json.dumps(value),
    }


def compare(exchange: Exchange, answer: Answer) -> list[Difference]:
    """Every difference between ``answer`` and the exchange's recorded answer."""
    differences = []
    if answer.status != exchange.status:
        differences.append(Difference("status", "", exchange.status, answer.status))
    recorded_type, got_type = (
        media_type(exchange.content_type),
        media_type(answer.headers.get("content-type")),
    )
    if got_type != recorded_type:
        differences.append(Difference("content_type", "", recorded_type, got_type))
    for name, value in exchange.headers.items():
        if name.lower() not in UNCOMPARED_HEADERS and answer.headers.get(name.lower()) != value:
            differences.append(
                Difference("header", name.lower(), value, answer.headers.get(name.lower(), ABSENT))
            )
    volatile = Places.parse(exchange.volatile)
    if volatile.text:
        return differences
    if exchange.response_json is None:
        if answer.text != exchange.response_text:
            differences.append(Difference("body", "", exchange.response_text, answer.text))
        return differences
    got = answer.json()
    if got is ABSENT:
        differences.append(Difference("body", "", exchange.response_json, answer.text, "not json"))
        return differences
    differences += compare_json(exchange.response_json, got, volatile)
    layout = next(
        (name for name, text in _layouts(exchange.response_json).items() if text == exchange.response_text),
        None,
    )
    if layout is not None and answer.text != _layouts(got)[layout]:
        differences.append(Difference("format", "", layout, answer.text))
    return differences


# -- verdicts --------------------------------------------------------------------------------------


@dataclass
class Verdict:
    """The classification of one exchange's answer."""

    name: str
    verdict: str  # SAME, DOCUMENTED or OTHER
    answer: Answer | None
    documented: list[tuple[Difference, Documented]] = field(default_factory=list)
    undocumented: list[Difference] = field(default_factory=list)

    def describe(self) -> str:
        lines = [f"{self.name}: {self.verdict}"]
        lines += [f"  {difference}" for difference in self.undocumented]
        return "\n".join(lines)


def classify(
    exchange: Exchange,
    answer: Answer | None,
    differences: Sequence[Difference],
    registry: Sequence[Documented] | None = None,
    statuses: Mapping[str, int] | None = None,
) -> Verdict:
    """``same`` without differences; ``documented`` when an entry of ``registry`` (by default
    tests/v1_differences.py's) covers each one, given the statuses answered so far (for entries that
    depend on an earlier exchange); else ``other``."""
    if registry is None:
        from tests.v1_differences import REGISTRY as registry
    verdict = Verdict(exchange.name, SAME, answer)
    for difference in differences:
        entry = next((e for e in registry if e.covers(exchange.name, difference, statuses or {})), None)
        if entry is None:
            verdict.undocumented.append(difference)
        else:
            verdict.documented.append((difference, entry))
    if verdict.undocumented:
        verdict.verdict = OTHER
    elif verdict.documented:
        verdict.verdict = DOCUMENTED
    return verdict


async def replay(
    base_url: str,
    *,
    exchanges: Sequence[Exchange] | None = None,
    registry: Sequence[Documented] | None = None,
    users: Mapping[str, tuple[str, str]] = USERS,
    client: httpx.AsyncClient | None = None,
    request_timeout: float = 30.0,
) -> list[Verdict]:
    """Sends every exchange, in order, to ``base_url`` and classifies each answer. A request that
    gets no answer at all (connection refused, timeout) is an ``other`` with a ``status``
    difference whose ``got`` is the error."""
    exchanges = load_transcript() if exchanges is None else exchanges
    dynamic = dynamic_segments(exchanges)
    answers: dict[str, Any] = {}  # name: the answer's JSON, for dynamic paths
    statuses: dict[str, int] = {}
    verdicts = []
    own_client = client is None
    client = client or httpx.AsyncClient(timeout=request_timeout)
    try:
        for exchange in exchanges:
            path, problems = _substitute(exchange, dynamic.get(exchange.name, []), answers)
            request = build_request(exchange, path=path, users=users)
            try:
                response = await client.request(
                    request.method,
                    url(base_url, request.path),
                    headers=request.headers,
                    content=request.content,
                )
            except httpx.TransportError as exc:
                failure = Difference("status", "", exchange.status, f"no answer: {exc!r}")
                verdicts.append(classify(exchange, None, [*problems, failure], registry, statuses))
                continue
            answer = Answer.from_response(response)
            answers[exchange.name] = answer.json()
            statuses[exchange.name] = answer.status
            verdicts.append(
                classify(exchange, answer, [*problems, *compare(exchange, answer)], registry, statuses)
            )
    finally:
        if own_client:
            await client.aclose()
    return verdicts


def _substitute(
    exchange: Exchange, segments: Sequence[DynamicSegment], answers: Mapping[str, Any]
) -> tuple[str, list[Difference]]:
    """The exchange's path with each dynamic segment taken from the earlier answer it came from;
    a segment no earlier answer gives stays as recorded, with a ``dynamic_path`` difference."""
    raw, _, query = exchange.path.partition("?")
    parts = raw.split("/")
    problems = []
    for segment in segments:
        value = next(
            (
                found
                for source in segment.sources
                if isinstance(found := _at(answers.get(source.exchange, ABSENT), source.pointer), str)
                and found
            ),
            None,
        )
        if value is None:
            where = ", ".join(f"{s.exchange} {pointer_text(s.pointer)}" for s in segment.sources[:3])
            problems.append(
                Difference(
                    "dynamic_path",
                    f"segment {segment.index} (from {where})",
                    parts[segment.index],
                    ABSENT,
                    "missing value",
                )
            )
            continue
        parts[segment.index] = quote(value, safe="") if segment.encoded else value
    return "/".join(parts) + (f"?{query}" if query else ""), problems


# -- python -m tests.v1_replay -----------------------------------------------------------------------


def summary(verdicts: Sequence[Verdict]) -> str:
    """A table of counts per verdict, then every ``other`` with its differences."""
    counts = Counter(verdict.verdict for verdict in verdicts)
    lines = [f"{'verdict':<12}{'exchanges':>10}"]
    lines += [f"{name:<12}{counts.get(name, 0):>10}" for name in (SAME, DOCUMENTED, OTHER)]
    lines.append(f"{'total':<12}{len(verdicts):>10}")
    others = [verdict for verdict in verdicts if verdict.verdict == OTHER]
    if others:
        lines += ["", f"{len(others)} other:"]
        lines += [verdict.describe() for verdict in others]
    return "\n".join(lines)


def _user(text: str) -> tuple[str, tuple[str, str]]:
    role, _, credentials = text.partition("=")
    user, sep, password = credentials.partition(":")
    if not (role and user and sep):
        raise argparse.ArgumentTypeError(f"{text!r} is not ROLE=USER:PASSWORD")
    return role, (user, password)


def main(argv: list[str] | None = None) -> int:
    """Replays the v1 transcript against --base-url and prints the counts of same, documented and
    other answers, and every other one with its differences; exits 1 when there is an other."""
    parser = argparse.ArgumentParser(prog="python -m tests.v1_replay", description=main.__doc__)
    parser.add_argument("--base-url", required=True, help="the server under test, e.g. http://127.0.0.1:8080")
    parser.add_argument(
        "--user",
        type=_user,
        action="append",
        default=[],
        metavar="ROLE=USER:PASSWORD",
        help="credentials for the transcript's admin and viewer (default admin=admin:admin, viewer=viewer:viewer)",
    )
    parser.add_argument("--transcript", type=Path, default=TRANSCRIPT, help="the JSON-lines transcript")
    parser.add_argument("--documented", action="store_true", help="also list each documented difference")
    args = parser.parse_args(argv)
    users = {**USERS, **dict(args.user)}
    verdicts = asyncio.run(replay(args.base_url, exchanges=load_transcript(args.transcript), users=users))
    print(summary(verdicts))
    if args.documented:
        print("\ndocumented:")
        for verdict in verdicts:
            for difference, entry in verdict.documented:
                print(f"{verdict.name}: {difference}\n  because {entry.reason} ({entry.section})")
    return 1 if any(verdict.verdict == OTHER for verdict in verdicts) else 0


if __name__ == "__main__":
    # Through the module's own name: tests/v1_differences.py imports it as tests.v1_replay, and its
    # ABSENT must be this run's.
    from tests.v1_replay import main as run

    sys.exit(run())

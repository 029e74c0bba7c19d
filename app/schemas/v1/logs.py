"""Task logs in v1's forms: JSON ``{"content", "continuation_token"}`` whose ``content`` is the Python
repr of a list of ``(host, text)`` tuples, or the plain text (docs/api-v1.md, "Task instances, XCom,
logs, clearing and state updates").

Airflow 3 keeps structured log events; each is written back as a line of Airflow 2's log format
(``[2016-11-16T00:00:01.123+0000] {file.py:12} INFO - event``), an exception as its traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any

from pydantic import Field

from app.gateway.models.logs import LogMessage
from app.schemas.v1.common import V1Model

BAD_SIGNATURE = "Bad Signature. Please use only the tokens provided by the API."
# The continuation token of a log read to its end: Airflow 3 gives none there, v1 always gave one
# (clients type it as a string). base64url of {"end_of_log":true}; reading on from it reads nothing.
END_OF_LOG = "eyJlbmRfb2ZfbG9nIjp0cnVlfQ"


class LogAnswer(V1Model):
    content: str = Field(
        description="The Python representation of a list of (host, text) tuples",
        examples=["[('worker-1', '[2016-11-16T00:00:01.123+0000] {subprocess.py:106} INFO - extract')]"],
    )
    continuation_token: str = Field(description="Give it as token to read on from where this answer ended")


def _line(message: LogMessage | str) -> str:
    if isinstance(message, str):
        return message
    parts = []
    if message.timestamp is not None:
        stamp = message.timestamp.astimezone(UTC)
        parts.append(f"[{stamp:%Y-%m-%dT%H:%M:%S}.{stamp.microsecond // 1000:03d}+0000]")
    if message.filename and message.lineno is not None:
        parts.append(f"{{{message.filename.rsplit('/', 1)[-1]}:{message.lineno}}}")
    if message.level:
        parts.append(f"{message.level.upper()} -")
    parts.append(message.event)
    lines = [" ".join(parts)]
    for error in message.error_detail or ():
        lines.extend(_traceback(error))
    return "\n".join(lines)


def _traceback(error: dict[str, Any]) -> list[str]:
    lines = ["Traceback (most recent call last):"]
    for frame in error.get("frames") or ():
        lines.append(f'  File "{frame.get("filename")}", line {frame.get("lineno")}, in {frame.get("name")}')
    lines.append(f"{error.get('exc_type')}: {error.get('exc_value')}")
    return lines


def log_text(messages: Sequence[LogMessage | str]) -> str:
    """The log as text, one line a message."""
    return "\n".join(_line(message) for message in messages)


def log_json(host: str, text: str, token: str) -> dict[str, Any]:
    """v1's JSON answer: ``content`` as Airflow 2.11 wrote it, ``str()`` of the list of chunks."""
    return {"content": repr([(host, text)]), "continuation_token": token}


def log_plain(host: str, text: str) -> str:
    """v1's ``text/plain`` answer: the host on a line of its own, then the text."""
    return f"{host}\n{text}\n"


def not_run(try_number: int, current: int) -> str:
    """The text for a try that did not run (Airflow 2.11 said it could not read its log)."""
    return f"*** Could not read the log of try {try_number}: this task instance is at try {current}"

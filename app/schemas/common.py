"""Shared pieces of request and response models."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from app.core import messages
from app.errors import Invalid

M = TypeVar("M", bound=BaseModel)

# Error types whose message is already the API's exact text (raised by our own validators).
API_MESSAGE = "api_message"


def api_error(message: str, *, hint: str | None = None) -> PydanticCustomError:
    """A validation error whose text is the API's message, verbatim (braces are escaped).

    ``hint``, where ``message`` is Airflow's sentence (which clients match, so it stays as it is):
    what is wrong with the value and what to do, the field's ``detail`` entry (app/errors.py)."""
    context = {"message": message} if hint is None else {"message": message, "hint": hint}
    return PydanticCustomError(API_MESSAGE, "{message}", context)


class RequestBody(BaseModel):
    """Compatibility request bodies ignore unknown keys (clients of every Airflow version send extras)."""

    model_config = ConfigDict(extra="ignore")


def _loc(parts: tuple[Any, ...]) -> str:
    out = "body"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def validate_body(model: type[M], data: dict[str, Any]) -> M:
    """Validate a parsed JSON object; every problem becomes a 400 naming its field. The message is
    the first problem's; an api_error's hint is its field's ``detail`` entry, not the message."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        detail = []
        for err in errors:
            loc = _loc(tuple(err["loc"]))
            if err["type"] == API_MESSAGE:
                msg = err["ctx"].get("hint", err["msg"])
            elif err["type"] == "missing":
                msg = messages.missing_field(err["loc"][-1])
            else:
                msg = messages.with_value(err["msg"], err.get("input"))
            detail.append({"loc": loc, "msg": msg})
        first = errors[0]
        if first["type"] == API_MESSAGE:
            message = first["msg"]
        elif first["type"] == "missing":
            message = detail[0]["msg"]
        else:
            message = messages.invalid_field(detail[0]["loc"], detail[0]["msg"])
        raise Invalid(message, detail=detail) from None


def _not_in_class(chars: list[str]) -> str:
    """A regex class of everything but ``chars``, in `\\uXXXX` escapes (ECMA, Python and Rust agree)."""
    runs: list[list[int]] = []
    for code in sorted(map(ord, chars)):
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "[^" + "".join(f"\\u{a:04x}" + (f"-\\u{b:04x}" if b > a else "") for a, b in runs) + "]"


# "Not blank" as Python's str.strip() sees it, for JSON-schema `pattern`s: one character that is not
# Python whitespace (none lies above U+3000). Spelled out, because a regex `\s` differs between
# engines: ECMA's omits U+001C-U+001F and U+0085, which Python strips, and adds U+FEFF.
_WHITESPACE = [c for c in map(chr, range(0x3001)) if c.isspace()]
NOT_BLANK_PATTERN = _not_in_class(_WHITESPACE)


# Characters no identifier a client names (run_id, a pool name) may hold: C0 and C1 controls and DEL
# (a CR/LF splits log lines and headers), and the bidirectional embeddings, overrides and isolates
# (U+202A-U+202E, U+2066-U+2069), which make an id display as another. NUL is refused earlier, with
# its own message, for every string of a body.
_UNSAFE = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))]
_UNSAFE_RE = re.compile("[" + "".join(map(re.escape, _UNSAFE)) + "]")
# The rule as JSON-schema `pattern`s (documentation: check_identifier decides): no such character;
# and no such character with at least one that is not blank (a pool name).
SAFE_TEXT_PATTERN = f"^{_not_in_class(_UNSAFE)}*$"
SAFE_NOT_BLANK_PATTERN = f"^{_not_in_class(_UNSAFE)}*{_not_in_class(sorted(set(_UNSAFE) | set(_WHITESPACE)))}{_not_in_class(_UNSAFE)}*$"


def check_identifier(value: str, name: str) -> str:
    """``value`` unless it holds a control character or a bidirectional override: a 400 naming
    ``name``, quoting the value as Python writes it (so the character is visible)."""
    if _UNSAFE_RE.search(value):
        raise api_error(messages.unsafe_identifier(name, value))
    return value


def any_case_pattern(words: tuple[str, ...] | list[str]) -> str:
    """A JSON-schema ``pattern`` matching exactly one of ``words`` in any letter case (JSON-schema
    regexes have no case-insensitive flag). Used to document values the code compares lowered."""
    return (
        "^(" + "|".join("".join(f"[{c.upper()}{c}]" if c.isalpha() else c for c in w) for w in words) + ")$"
    )


def strict_bool(value: Any, field: str) -> Any:
    if value is None or isinstance(value, bool):
        return value
    raise api_error(messages.not_a_boolean(field, value))

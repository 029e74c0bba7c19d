"""JSON rendering with orjson: the API's bodies are plain dicts and lists of str/int/bool/None."""

from __future__ import annotations

from collections.abc import Iterable
from json import JSONDecodeError
from typing import Any

import orjson
from starlette.responses import JSONResponse as _StarletteJSONResponse


class JSONResponse(_StarletteJSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


# orjson reads an integer beyond 64 bits as a double, and refuses a number beyond a double's range
# (an integer of 309 digits or more, 1e400) with this message, which reads like a bug.
_ORJSON_INFINITE = "number is infinity when parsed as double"


class NumberTooLarge(JSONDecodeError):
    """JSON holding a number beyond a double's range (about 1.8e308), which cannot be read."""


def loads(data: bytes | str) -> Any:
    """Decoded JSON; a JSONDecodeError (a ValueError) for text that is not JSON, or NumberTooLarge."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if exc.msg == _ORJSON_INFINITE:
            raise NumberTooLarge("a number too large to read", exc.doc, exc.pos) from None
        raise


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


# orjson reads 1,024 levels of nesting but writes only 254, so a deeper document would be accepted
# and then fail to be stored: bodies are refused beyond this depth, well under both.
MAX_DEPTH = 100


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` nests lists/objects more than ``limit`` levels (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def dumps_bytes(value: Any) -> bytes:
    """A response body."""
    return orjson.dumps(value)

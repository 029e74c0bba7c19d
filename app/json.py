"""JSON rendering with orjson: the API's bodies are plain dicts and lists of str/int/bool/None."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse as _StarletteJSONResponse


class JSONResponse(_StarletteJSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()

"""The baseline: a bare ASGI app (no framework) doing one primary-key SELECT per request.

It measures what this machine, uvicorn and asyncpg can do at all, so each dagport figure can be
read as a ratio to it. ``GET /run/{id}`` answers ``{"state": ...}`` from
``SELECT state FROM dag_run WHERE id = $1``; ``GET /ready`` answers 200 once the pool exists.

Run it as bench/servers.py does: ``uvicorn bench.baseline:app`` with ``BENCH_BASELINE_DSN`` and
``BENCH_BASELINE_POOL_SIZE`` set.
"""

from __future__ import annotations

import os
from typing import Any

import asyncpg
import orjson

_pool: asyncpg.Pool | None = None

_JSON_HEADERS = [(b"content-type", b"application/json")]


async def _send_json(send: Any, status: int, body: object) -> None:
    payload = orjson.dumps(body)
    headers = [*_JSON_HEADERS, (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def _lifespan(receive: Any, send: Any) -> None:
    global _pool
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            size = int(os.environ.get("BENCH_BASELINE_POOL_SIZE", "10"))
            try:
                _pool = await asyncpg.create_pool(
                    os.environ["BENCH_BASELINE_DSN"], min_size=size, max_size=size
                )
            except Exception as exc:  # reported to uvicorn, which exits: the harness sees it at once
                await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if _pool is not None:
                await _pool.close()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    path: str = scope["path"]
    if path.startswith("/run/") and _pool is not None:
        try:
            run_id = int(path[5:])
        except ValueError:
            await _send_json(send, 400, {"error": "bad id"})
            return
        state = await _pool.fetchval("SELECT state FROM dag_run WHERE id = $1", run_id)
        if state is None:
            await _send_json(send, 404, {"error": "no such run"})
        else:
            await _send_json(send, 200, {"state": state})
    elif path == "/ready" and _pool is not None:
        await _send_json(send, 200, {"status": "ok"})
    else:
        await _send_json(send, 404, {"error": "not found"})

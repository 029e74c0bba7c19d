"""``dagport tokens create NAME`` / ``list`` / ``revoke NAME``: the words around app/db/tokens.py."""

from __future__ import annotations

import sys

from app.cli.common import Command, with_engine
from app.config import Settings
from app.db.engine import Engine
from app.db.tokens import create_token, list_tokens, revoke_token
from app.startup import ensure_schema


def tokens_create(name: str) -> Command:
    async def run(settings: Settings) -> int:
        async def work(engine: Engine) -> int:
            await ensure_schema(engine, settings)
            token = await create_token(engine, name)
            if token is None:
                print(f"dagport: a token named {name!r} exists already", file=sys.stderr)
                return 1
            print(f"Created token {name!r}. It is shown once; store it now:\n{token}")
            return 0

        return await with_engine(settings, work)

    return run


async def tokens_list(settings: Settings) -> int:
    async def work(engine: Engine) -> int:
        await ensure_schema(engine, settings)
        rows = await list_tokens(engine)
        if not rows:
            print("dagport: no tokens stored; create one with `dagport tokens create NAME`", file=sys.stderr)
        for row in rows:
            print(f"{row.name}\tcreated {row.created_at.isoformat()}")
        if settings.env_tokens:
            print(f"(+{len(settings.env_tokens)} from DAGPORT_API_TOKENS)")
        return 0

    return await with_engine(settings, work)


def tokens_revoke(name: str) -> Command:
    async def run(settings: Settings) -> int:
        async def work(engine: Engine) -> int:
            await ensure_schema(engine, settings)
            revoked = await revoke_token(engine, name)
            if not revoked:
                print(f"dagport: no token named {name!r}", file=sys.stderr)
                return 1
            print(
                f"Revoked token {name!r} (servers stop accepting it within {settings.token_cache_seconds:g} s)"
            )
            return 0

        return await with_engine(settings, work)

    return run

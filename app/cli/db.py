"""``dagport db upgrade`` and ``dagport db current``: the schema's revision."""

from __future__ import annotations

from app.cli.common import with_engine
from app.config import Settings
from app.db import migrate
from app.db.engine import Engine


async def db_upgrade(settings: Settings) -> int:
    async def work(engine: Engine) -> int:
        before = await migrate.revision_of(engine)
        await migrate.upgrade(engine)
        after = await migrate.revision_of(engine)
        print(f"database at revision {after}" + ("" if before == after else f" (was {before or 'empty'})"))
        return 0

    return await with_engine(settings, work)


async def db_current(settings: Settings) -> int:
    async def work(engine: Engine) -> int:
        current = await migrate.revision_of(engine)
        head = migrate.head_revision()
        print(f"current: {current or 'empty'}; head: {head}")
        return 0 if current == head else 1

    return await with_engine(settings, work)

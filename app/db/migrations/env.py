"""Alembic environment: one history for Postgres and SQLite.

dagport runs migrations itself (``dagport db upgrade`` and ``dagport serve``), handing alembic an
open connection through ``config.attributes["connection"]`` (see app/db/migrate.py).
"""

from __future__ import annotations

from alembic import context

from app.db.models import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `dagport db upgrade`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

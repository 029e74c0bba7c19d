"""latest_runs formats nothing: the latest run's dates are kept as isoformat() text too.

After 0004, latest_runs read the dag rows and formatted their two dates with iso_text's to_char,
about half its Postgres time, on every call, for values that change only when a run is
triggered, started or deleted. ``dag.latest_execution_date_iso`` and
``dag.latest_start_date_iso`` are generated columns: the database computes them from 0004's two
dates whenever those change, whoever changes them (0003/0004's triggers, an operator's SQL), so
there is nothing more to keep in step.

- Postgres: STORED, computed by ``dagport_iso_text(timestamptz)``, which is iso_text's
  expression (app/db/models.py) declared IMMUTABLE, as a generation expression must be. It is
  immutable: the zone is fixed ('UTC') and the format has no locale-dependent field; to_char is
  only declared STABLE because other formats have such fields.
- SQLite: VIRTUAL (SQLite adds no STORED column to an existing table): iso_text's expression,
  computed when read, as before.

tests/routers/test_dag_runs.py checks the text against Python's isoformat() for edge dates
through latest_runs, on both databases.

dagport_iso_text as it is now (later migrations included): app/db/schema_sql.py.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# iso_text's Postgres expression as of this revision (app/db/models.py), frozen here: a later
# change to iso_text must not change what this migration created.
_ISO_TEXT_FUNCTION = """
CREATE FUNCTION dagport_iso_text(value timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT coalesce(
    replace(to_char(value AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'), '.000000+', '+'),
    CASE value WHEN '-infinity' THEN '0001-01-01T00:00:00+00:00'
               WHEN 'infinity' THEN '9999-12-31T23:59:59.999999+00:00' END
)
$$
"""
_SQLITE_ISO_TEXT = "replace(replace({column}, ' ', 'T') || '+00:00', '.000000+', '+')"

_COLUMNS = (
    ("latest_execution_date_iso", "latest_execution_date"),
    ("latest_start_date_iso", "latest_start_date"),
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(_ISO_TEXT_FUNCTION)
    for name, source in _COLUMNS:
        expression = f"dagport_iso_text({source})" if postgres else _SQLITE_ISO_TEXT.format(column=source)
        op.add_column("dag", sa.Column(name, sa.Text(), sa.Computed(sa.text(expression), persisted=postgres)))


def downgrade() -> None:
    for name, _ in reversed(_COLUMNS):
        op.drop_column("dag", name)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION dagport_iso_text(timestamptz)")

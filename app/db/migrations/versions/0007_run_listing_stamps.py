"""Each DAG's runs carry a stamp that changes whenever any of them changes.

``dag_run_stamp`` holds, per DAG, a value written by triggers on dag_run in the transaction of
every insert, update, delete (and, on Postgres, truncate) of its runs, whoever makes it (the API,
an operator's SQL). A stamp is never handed out twice, so a rendered run listing stored beside
the stamp it was read after is still exact while the stamp read now is the same
(app/listing_cache.py): a listing costs one primary-key read instead of reading and rendering
its rows.

- Postgres: the stamps come from the sequence ``dag_run_stamp_seq``; the triggers are per
  statement with transition tables (0006: per row, one transaction's many changes to a DAG would
  each write its stamp row again), DAGs in dag_id order (two bulk statements lock them in the
  same order). Concurrent writers of one DAG's runs serialise on its stamp row until commit. No
  index but the primary key, so updating a stamp is a HOT update: no index entry, and the
  table's dead versions are pruned page by page as it is written (latest_runs reads all of it).
- SQLite: row-level triggers (SQLite has no others) write the table's greatest stamp plus one
  (writers are serialised by the database itself; a unique index on the stamp makes max() one
  probe).

Rows are never deleted, also not with their DAG: a stamp stays unique for the life of the
database, so a DAG deleted and created again cannot meet a stamp from its former life. A row's stamp
only grows (a new one is drawn under the row's lock), so the sum of all stamps grows with every
committed change to any DAG's runs: latest_runs is cached under that sum.

Existing DAGs get a stamp now; a DAG without one (created since, no run yet) is not cached.

The triggers as they are now (later migrations included): app/db/schema_sql.py.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# "WHERE true": SQLite reads an ON after FROM as a join's unless a WHERE comes first. On conflict
# the stamp is drawn again: Postgres evaluates DO UPDATE's SET once it holds the row's lock, so
# after the previous writer committed, and a row's stamp only ever grows.
_STAMP_ROWS = """
INSERT INTO dag_run_stamp (dag_id, stamp)
SELECT c.dag_id, {stamp} FROM ({dag_ids}) c WHERE true ORDER BY c.dag_id
ON CONFLICT (dag_id) DO UPDATE SET stamp = {stamp}
"""
# Every existing DAG, into the new (empty) table.
_BACKFILL = "INSERT INTO dag_run_stamp (dag_id, stamp) SELECT dag_id, {stamp} FROM dag ORDER BY dag_id"
_NEXT_STAMP_POSTGRES = "nextval('dag_run_stamp_seq')"
_NEXT_STAMP_SQLITE = "(SELECT coalesce(max(stamp), 0) + 1 FROM dag_run_stamp)"

# Postgres: (name, event, transition tables, the DAGs concerned).
_POSTGRES_TRIGGERS = (
    ("dag_run_stamp_insert", "INSERT", "NEW TABLE AS new_runs", "SELECT DISTINCT dag_id FROM new_runs"),
    ("dag_run_stamp_delete", "DELETE", "OLD TABLE AS old_runs", "SELECT DISTINCT dag_id FROM old_runs"),
    (
        "dag_run_stamp_update",
        "UPDATE",
        "OLD TABLE AS old_runs NEW TABLE AS new_runs",
        "SELECT dag_id FROM old_runs UNION SELECT dag_id FROM new_runs",
    ),
)
# SQLite: (name, event, the DAGs concerned, one statement each: an INSERT ... SELECT of two rows
# would read the max() once and give both the same stamp).
_SQLITE_TRIGGERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("dag_run_stamp_insert", "INSERT", ("SELECT NEW.dag_id AS dag_id",)),
    ("dag_run_stamp_delete", "DELETE", ("SELECT OLD.dag_id AS dag_id",)),
    (
        "dag_run_stamp_update",
        "UPDATE",
        ("SELECT OLD.dag_id AS dag_id", "SELECT NEW.dag_id AS dag_id WHERE NEW.dag_id IS NOT OLD.dag_id"),
    ),
)
_TRUNCATE = "dag_run_stamp_truncate"


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table(
        "dag_run_stamp",
        sa.Column("dag_id", sa.String(250), primary_key=True),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
    )
    if _postgres():
        op.execute("CREATE SEQUENCE dag_run_stamp_seq AS bigint")
        for name, event, tables, dag_ids in _POSTGRES_TRIGGERS:
            body = _STAMP_ROWS.format(stamp=_NEXT_STAMP_POSTGRES, dag_ids=dag_ids).strip()
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body}; RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON dag_run REFERENCING {tables} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
        # TRUNCATE has no transition table: every DAG's stamp moves.
        op.execute(
            f"CREATE FUNCTION {_TRUNCATE}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"UPDATE dag_run_stamp SET stamp = {_NEXT_STAMP_POSTGRES}; RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {_TRUNCATE} AFTER TRUNCATE ON dag_run FOR EACH STATEMENT EXECUTE FUNCTION {_TRUNCATE}()"
        )
        op.execute(_BACKFILL.format(stamp=_NEXT_STAMP_POSTGRES))
    else:
        op.create_index("ix_dag_run_stamp_stamp", "dag_run_stamp", ["stamp"], unique=True)
        for name, event, selects in _SQLITE_TRIGGERS:
            statements = "; ".join(
                _STAMP_ROWS.format(stamp=_NEXT_STAMP_SQLITE, dag_ids=select).strip() for select in selects
            )
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON dag_run FOR EACH ROW BEGIN {statements}; END")
        op.execute(_BACKFILL.format(stamp="row_number() OVER (ORDER BY dag_id)"))


def downgrade() -> None:
    if _postgres():
        for name in (*(t[0] for t in _POSTGRES_TRIGGERS), _TRUNCATE):
            op.execute(f"DROP TRIGGER {name} ON dag_run")
            op.execute(f"DROP FUNCTION {name}()")
        op.execute("DROP SEQUENCE dag_run_stamp_seq")
    else:
        for name, *_ in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("dag_run_stamp")

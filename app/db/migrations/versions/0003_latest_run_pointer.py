"""Each DAG points at its latest run, kept by the database: latest_runs becomes a plain join.

latest_runs read each DAG's newest run with one backward index descent per DAG (a LATERAL
join). ``dag.latest_run_id`` and ``dag.latest_execution_date`` name that run; latest_runs joins
them to dag_run by primary key. A trigger on dag_run keeps them, whatever inserts or deletes runs (the API, a direct
SQL insert, an operator pruning old runs):

- after an insert, the DAG's pointer moves to the new run if it is later. The comparison is on
  the dag row's own ``latest_execution_date``: two concurrent inserts for one DAG serialise on
  that row, and the second re-checks the first's committed value (Postgres re-evaluates an
  UPDATE's WHERE on the newest row version), so the later run wins whatever the commit order;
- after a delete of the run pointed at, the pointer moves to the newest run left (or NULL).

No foreign key from dag to dag_run: runs already reference their DAG, and deleting a DAG deletes
its runs first.

The triggers as they are now (later migrations included): app/db/schema_sql.py.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_MOVE_ON_INSERT = """
UPDATE dag SET latest_run_id = NEW.id, latest_execution_date = NEW.execution_date
WHERE dag_id = NEW.dag_id AND (latest_execution_date IS NULL OR latest_execution_date < NEW.execution_date)
"""
_MOVE_ON_DELETE = """
UPDATE dag SET
    latest_run_id = (SELECT r.id FROM dag_run r WHERE r.dag_id = OLD.dag_id
                     ORDER BY r.execution_date DESC LIMIT 1),
    latest_execution_date = (SELECT max(r.execution_date) FROM dag_run r WHERE r.dag_id = OLD.dag_id)
WHERE dag_id = OLD.dag_id AND latest_run_id = OLD.id
"""
_BACKFILL = """
UPDATE dag SET
    latest_run_id = (SELECT r.id FROM dag_run r WHERE r.dag_id = dag.dag_id
                     ORDER BY r.execution_date DESC LIMIT 1),
    latest_execution_date = (SELECT max(r.execution_date) FROM dag_run r WHERE r.dag_id = dag.dag_id)
"""


def upgrade() -> None:
    op.add_column("dag", sa.Column("latest_run_id", BigId))
    op.add_column("dag", sa.Column("latest_execution_date", UTCDateTime()))
    if op.get_bind().dialect.name == "postgresql":
        for name, event, body in (
            ("dag_run_latest_insert", "INSERT", _MOVE_ON_INSERT),
            ("dag_run_latest_delete", "DELETE", _MOVE_ON_DELETE),
        ):
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {body.strip()}; RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON dag_run FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
    else:
        op.execute(
            f"CREATE TRIGGER dag_run_latest_insert AFTER INSERT ON dag_run BEGIN {_MOVE_ON_INSERT}; END"
        )
        op.execute(
            f"CREATE TRIGGER dag_run_latest_delete AFTER DELETE ON dag_run BEGIN {_MOVE_ON_DELETE}; END"
        )
    op.execute(_BACKFILL)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name in ("dag_run_latest_insert", "dag_run_latest_delete"):
        op.execute(f"DROP TRIGGER {name}" + (" ON dag_run" if postgres else ""))
        if postgres:
            op.execute(f"DROP FUNCTION {name}()")
    op.drop_column("dag", "latest_execution_date")
    op.drop_column("dag", "latest_run_id")

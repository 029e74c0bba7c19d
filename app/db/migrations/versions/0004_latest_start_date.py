"""latest_runs reads the dag table alone: the latest run's start_date is kept beside its pointer.

After 0003, latest_runs joined each DAG's pointer to its run (a primary-key probe per DAG through
a LATERAL join, the larger part of that endpoint's cost).
``dag.latest_start_date`` holds the pointed run's start_date, so latest_runs scans 1,000 dag
rows and joins nothing. The triggers on dag_run keep all three columns, now also on updates:

- insert: as in 0003 (the pointer moves to a later run), with the run's start_date;
- delete of the run pointed at: the DAG points at its newest run left (or at nothing);
- update of a run's start_date (the API starts a run when its first task instance runs, and
  clears it when the run is cleared): copied if that run is the one pointed at. Concurrent
  changes serialise on the dag row, and the copy re-checks the pointer after any wait, so a
  pointer that moved meanwhile is left alone;
- update of a run's execution_date or dag_id (never done by the API; an operator's SQL might):
  the DAGs involved point at their newest run again.

The triggers as they are now (later migrations included): app/db/schema_sql.py.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_MOVE_ON_INSERT = """
UPDATE dag SET latest_run_id = NEW.id, latest_execution_date = NEW.execution_date,
               latest_start_date = NEW.start_date
WHERE dag_id = NEW.dag_id AND (latest_execution_date IS NULL OR latest_execution_date < NEW.execution_date)
"""


def _point_at_newest(where: str) -> str:
    """Point the DAGs matching ``where`` at their newest run (all three columns NULL: no run)."""
    return f"""
UPDATE dag SET (latest_run_id, latest_execution_date, latest_start_date) =
    (SELECT r.id, r.execution_date, r.start_date FROM dag_run r WHERE r.dag_id = dag.dag_id
     ORDER BY r.execution_date DESC LIMIT 1)
WHERE {where}
"""


_MOVE_ON_DELETE = _point_at_newest("dag_id = OLD.dag_id AND latest_run_id = OLD.id")
_MOVE_ON_REDATE = _point_at_newest("dag_id IN (OLD.dag_id, NEW.dag_id)")
_COPY_START_DATE = """
UPDATE dag SET latest_start_date = NEW.start_date WHERE dag_id = NEW.dag_id AND latest_run_id = NEW.id
"""
_BACKFILL = _point_at_newest("true")

# (name, event, only when, body). "IS DISTINCT FROM" is spelled "IS NOT" on SQLite (which reads
# the former only from 3.39).
_TRIGGERS = (
    ("dag_run_latest_insert", "INSERT", None, _MOVE_ON_INSERT),
    ("dag_run_latest_delete", "DELETE", None, _MOVE_ON_DELETE),
    (
        "dag_run_latest_start",
        "UPDATE OF start_date",
        "OLD.start_date IS DISTINCT FROM NEW.start_date",
        _COPY_START_DATE,
    ),
    (
        "dag_run_latest_redate",
        "UPDATE OF execution_date, dag_id",
        "OLD.execution_date IS DISTINCT FROM NEW.execution_date OR OLD.dag_id IS DISTINCT FROM NEW.dag_id",
        _MOVE_ON_REDATE,
    ),
)

# 0003's triggers, restored by downgrade().
_0003_MOVE_ON_INSERT = """
UPDATE dag SET latest_run_id = NEW.id, latest_execution_date = NEW.execution_date
WHERE dag_id = NEW.dag_id AND (latest_execution_date IS NULL OR latest_execution_date < NEW.execution_date)
"""
_0003_MOVE_ON_DELETE = """
UPDATE dag SET
    latest_run_id = (SELECT r.id FROM dag_run r WHERE r.dag_id = OLD.dag_id
                     ORDER BY r.execution_date DESC LIMIT 1),
    latest_execution_date = (SELECT max(r.execution_date) FROM dag_run r WHERE r.dag_id = OLD.dag_id)
WHERE dag_id = OLD.dag_id AND latest_run_id = OLD.id
"""
_0003_TRIGGERS = (
    ("dag_run_latest_insert", "INSERT", None, _0003_MOVE_ON_INSERT),
    ("dag_run_latest_delete", "DELETE", None, _0003_MOVE_ON_DELETE),
)


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _drop_triggers(names: list[str]) -> None:
    for name in names:
        if _postgres():
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON dag_run")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def _create_triggers(triggers: tuple[tuple[str, str, str | None, str], ...]) -> None:
    for name, event, condition, body in triggers:
        when = f" WHEN ({condition})" if condition else ""
        if _postgres():
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {body.strip()}; RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON dag_run FOR EACH ROW{when} EXECUTE FUNCTION {name}()"
            )
        else:
            when = when.replace("IS DISTINCT FROM", "IS NOT")
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON dag_run FOR EACH ROW{when} BEGIN {body.strip()}; END"
            )


def upgrade() -> None:
    op.add_column("dag", sa.Column("latest_start_date", UTCDateTime()))
    _drop_triggers([name for name, *_ in _0003_TRIGGERS])
    _create_triggers(_TRIGGERS)
    op.execute(_BACKFILL)


def downgrade() -> None:
    _drop_triggers([name for name, *_ in _TRIGGERS])
    _create_triggers(_0003_TRIGGERS)
    op.drop_column("dag", "latest_start_date")

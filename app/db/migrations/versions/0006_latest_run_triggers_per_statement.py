"""Postgres: inserting or deleting runs moves the latest-run pointers once per statement.

0004's insert and delete triggers ran once per run, each an UPDATE of the dag table:
- delete: a primary-key probe per run that matched nothing unless the run was the one pointed
  at: most of the time of deleting a DAG with many runs was spent there;
- insert: each later run of a DAG updated its dag row again. Within one transaction the row's
  versions cannot be pruned, so each UPDATE walked a longer chain: a bulk INSERT ... SELECT of one
  DAG's runs was quadratic (the API inserts one run per transaction and never saw it, an
  operator's bulk SQL insert does; docs/performance.md has the figures).
On Postgres both are now statement-level triggers with transition tables: one UPDATE per
statement, of the DAGs the statement's runs concern. The semantics are 0004's: an insert moves a
pointer only to a later run, comparing with the dag row's own latest_execution_date (two
concurrent inserts for one DAG serialise on that row, and the second re-checks the first's
committed value, so the later run wins whatever the commit order); a delete of the run pointed
at moves the pointer to the newest run left (or to nothing), and a pointer that moved meanwhile
is left alone.

SQLite has only row-level triggers: it keeps 0004's.

The triggers as they are now (later migrations included): app/db/schema_sql.py.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# On Postgres, the insert and delete triggers of 0004, per statement with transition tables;
# (name, event, transition table, body). 0004's update triggers stay per row.
_PER_STATEMENT = (
    (
        "dag_run_latest_insert",
        "INSERT",
        "NEW TABLE AS inserted_runs",
        """
UPDATE dag SET (latest_run_id, latest_execution_date, latest_start_date) = (n.id, n.execution_date, n.start_date)
FROM (SELECT DISTINCT ON (i.dag_id) i.dag_id, i.id, i.execution_date, i.start_date FROM inserted_runs i
      ORDER BY i.dag_id, i.execution_date DESC) n
WHERE dag.dag_id = n.dag_id AND (dag.latest_execution_date IS NULL OR dag.latest_execution_date < n.execution_date)
""",
    ),
    (
        "dag_run_latest_delete",
        "DELETE",
        "OLD TABLE AS deleted_runs",
        """
UPDATE dag SET (latest_run_id, latest_execution_date, latest_start_date) =
    (SELECT r.id, r.execution_date, r.start_date FROM dag_run r WHERE r.dag_id = dag.dag_id
     ORDER BY r.execution_date DESC LIMIT 1)
WHERE (dag.dag_id, dag.latest_run_id) IN (SELECT d.dag_id, d.id FROM deleted_runs d)
""",
    ),
)

# 0004's row-level triggers, restored by downgrade().
_PER_ROW = (
    (
        "dag_run_latest_insert",
        "INSERT",
        """
UPDATE dag SET latest_run_id = NEW.id, latest_execution_date = NEW.execution_date,
               latest_start_date = NEW.start_date
WHERE dag_id = NEW.dag_id AND (latest_execution_date IS NULL OR latest_execution_date < NEW.execution_date)
""",
    ),
    (
        "dag_run_latest_delete",
        "DELETE",
        """
UPDATE dag SET (latest_run_id, latest_execution_date, latest_start_date) =
    (SELECT r.id, r.execution_date, r.start_date FROM dag_run r WHERE r.dag_id = dag.dag_id
     ORDER BY r.execution_date DESC LIMIT 1)
WHERE dag_id = OLD.dag_id AND latest_run_id = OLD.id
""",
    ),
)


def _replace(name: str, event: str, level: str, body: str) -> None:
    op.execute(f"DROP TRIGGER {name} ON dag_run")
    op.execute(f"DROP FUNCTION {name}()")
    op.execute(
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body.strip()}; RETURN NULL; END $$"
    )
    op.execute(f"CREATE TRIGGER {name} AFTER {event} ON dag_run {level} EXECUTE FUNCTION {name}()")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, event, table, body in _PER_STATEMENT:
            _replace(name, event, f"REFERENCING {table} FOR EACH STATEMENT", body)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, event, body in _PER_ROW:
            _replace(name, event, "FOR EACH ROW", body)

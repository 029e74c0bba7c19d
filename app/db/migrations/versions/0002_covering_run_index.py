"""Run listings and latest_runs read the (dag_id, execution_date) index alone (Postgres).

The unique constraint's index now carries the columns a listing shows (INCLUDE, Postgres 11+), so
listing a DAG's runs is an index-only scan in order, instead of a bitmap heap scan of a page per
run and a sort (docs/performance.md). SQLite has no INCLUDE; its constraint is unchanged.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

CONSTRAINT = "uq_dag_run_dag_id_execution_date"
INCLUDED = ["id", "run_id", "state", "start_date"]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint(CONSTRAINT, "dag_run", type_="unique")
    # Raw DDL: alembic's constraint helper builds a table stub without the INCLUDE columns.
    op.execute(
        f"ALTER TABLE dag_run ADD CONSTRAINT {CONSTRAINT} "
        f"UNIQUE (dag_id, execution_date) INCLUDE ({', '.join(INCLUDED)})"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint(CONSTRAINT, "dag_run", type_="unique")
    op.create_unique_constraint(CONSTRAINT, "dag_run", ["dag_id", "execution_date"])

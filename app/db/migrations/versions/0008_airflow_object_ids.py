"""Stable integer ids for the runs and pools of a fronted Airflow (app/db/repositories/airflow_ids.py).

Airflow 3 names runs by run_id and pools by name; the experimental API numbers both. Each is
given a number the first time dagport sees it, one row per (kind, scope, name), never updated.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "airflow_object_id",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("scope", sa.String(250), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.UniqueConstraint("kind", "scope", "name", name="uq_airflow_object_id_kind_scope_name"),
    )


def downgrade() -> None:
    op.drop_table("airflow_object_id")

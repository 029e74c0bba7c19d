"""Secrets dagport makes for itself (app/db/repositories/secret_keys.py).

/api/v1's file tokens are signed with DAGPORT_SECRET_KEY or, when it is unset, with a random key
that the first worker to need it writes here; every worker and replica of the deployment reads the
same one. One row per name, never updated.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "secret_key",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("secret_key")

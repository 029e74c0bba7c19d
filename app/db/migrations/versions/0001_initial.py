"""Initial schema: DAG definitions, runs, task instances, lineage, pools, API tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dag",
        sa.Column("dag_id", sa.String(250), primary_key=True),
        sa.Column("description", sa.Text()),
        sa.Column("is_paused", sa.Boolean(), nullable=False),
        sa.Column("schedule_interval", sa.Text()),
        sa.Column("start_date", UTCDateTime()),
        sa.Column("end_date", UTCDateTime()),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("owners", sa.JSON(), nullable=False),
        sa.Column("default_args", sa.JSON(), nullable=False),
        sa.Column("fileloc", sa.Text(), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("dag_id", name="pk_dag"),
    )
    op.create_table(
        "dag_tag",
        sa.Column("dag_id", sa.String(250), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("dag_id", "name", name="pk_dag_tag"),
        sa.ForeignKeyConstraint(["dag_id"], ["dag.dag_id"], name="fk_dag_tag_dag_id_dag", ondelete="CASCADE"),
    )
    op.create_table(
        "task",
        sa.Column("dag_id", sa.String(250), nullable=False),
        sa.Column("task_id", sa.String(250), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("operator", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("email", sa.JSON()),
        sa.Column("email_on_failure", sa.Boolean(), nullable=False),
        sa.Column("email_on_retry", sa.Boolean(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("retry_delay", sa.Float(), nullable=False),
        sa.Column("retry_exponential_backoff", sa.Boolean(), nullable=False),
        sa.Column("max_retry_delay", sa.Float()),
        sa.Column("execution_timeout", sa.Float()),
        sa.Column("start_date", UTCDateTime()),
        sa.Column("end_date", UTCDateTime()),
        sa.Column("depends_on_past", sa.Boolean(), nullable=False),
        sa.Column("wait_for_downstream", sa.Boolean(), nullable=False),
        sa.Column("pool", sa.Text(), nullable=False),
        sa.Column("pool_slots", sa.Integer(), nullable=False),
        sa.Column("queue", sa.Text(), nullable=False),
        sa.Column("priority_weight", sa.Integer(), nullable=False),
        sa.Column("weight_rule", sa.String(16), nullable=False),
        sa.Column("trigger_rule", sa.String(32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("inlets", sa.JSON(), nullable=False),
        sa.Column("outlets", sa.JSON(), nullable=False),
        sa.Column("doc_md", sa.Text()),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("upstream_task_ids", sa.JSON(), nullable=False),
        sa.Column("downstream_task_ids", sa.JSON(), nullable=False),
        sa.Column("effective_priority_weight", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("dag_id", "task_id", name="pk_task"),
        sa.ForeignKeyConstraint(["dag_id"], ["dag.dag_id"], name="fk_task_dag_id_dag", ondelete="CASCADE"),
    )
    op.create_table(
        "dag_run",
        sa.Column("id", BigId, nullable=False, autoincrement=True),
        sa.Column("dag_id", sa.String(250), nullable=False),
        sa.Column("run_id", sa.String(250), nullable=False),
        sa.Column("execution_date", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("start_date", UTCDateTime()),
        sa.Column("end_date", UTCDateTime()),
        sa.Column("queued_at", UTCDateTime()),
        sa.Column("external_trigger", sa.Boolean(), nullable=False),
        sa.Column("conf", sa.JSON()),
        sa.PrimaryKeyConstraint("id", name="pk_dag_run"),
        sa.ForeignKeyConstraint(["dag_id"], ["dag.dag_id"], name="fk_dag_run_dag_id_dag", ondelete="CASCADE"),
        sa.UniqueConstraint("dag_id", "run_id", name="uq_dag_run_dag_id_run_id"),
        sa.UniqueConstraint("dag_id", "execution_date", name="uq_dag_run_dag_id_execution_date"),
    )
    op.create_table(
        "task_instance",
        sa.Column("dag_run_id", BigId, nullable=False),
        sa.Column("task_id", sa.String(250), nullable=False),
        sa.Column("dag_id", sa.String(250), nullable=False),
        sa.Column("state", sa.String(20)),
        sa.Column("try_number", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("max_tries", sa.Integer(), nullable=False),
        sa.Column("start_date", UTCDateTime()),
        sa.Column("end_date", UTCDateTime()),
        sa.Column("duration", sa.Float()),
        sa.Column("hostname", sa.Text(), nullable=False, server_default=sa.text("''")),
        sa.Column("unixname", sa.Text(), nullable=False, server_default=sa.text("''")),
        sa.Column("job_id", sa.Integer()),
        sa.Column("pid", sa.Integer()),
        sa.Column("pool", sa.Text(), nullable=False),
        sa.Column("pool_slots", sa.Integer(), nullable=False),
        sa.Column("queue", sa.Text(), nullable=False),
        sa.Column("priority_weight", sa.BigInteger(), nullable=False),
        sa.Column("operator", sa.Text(), nullable=False),
        sa.Column("queued_dttm", UTCDateTime()),
        sa.Column("executor_config", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("dag_run_id", "task_id", name="pk_task_instance"),
        sa.ForeignKeyConstraint(
            ["dag_run_id"], ["dag_run.id"], name="fk_task_instance_dag_run_id_dag_run", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "lineage",
        sa.Column("dag_run_id", BigId, nullable=False),
        sa.Column("task_id", sa.String(250), nullable=False),
        sa.Column("dag_id", sa.String(250), nullable=False),
        sa.Column("inlets", sa.JSON(), nullable=False),
        sa.Column("outlets", sa.JSON(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("dag_run_id", "task_id", name="pk_lineage"),
        sa.ForeignKeyConstraint(
            ["dag_run_id"], ["dag_run.id"], name="fk_lineage_dag_run_id_dag_run", ondelete="CASCADE"
        ),
    )
    slot_pool = op.create_table(
        "slot_pool",
        sa.Column("id", BigId, nullable=False, autoincrement=True),
        sa.Column("pool", sa.String(256), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("include_deferred", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_slot_pool"),
        sa.UniqueConstraint("pool", name="uq_slot_pool_pool"),
    )
    op.create_table(
        "api_token",
        sa.Column("id", BigId, nullable=False, autoincrement=True),
        sa.Column("name", sa.String(250), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_api_token"),
        sa.UniqueConstraint("name", name="uq_api_token_name"),
        sa.UniqueConstraint("token_hash", name="uq_api_token_token_hash"),
    )
    op.bulk_insert(
        slot_pool,
        [{"pool": "default_pool", "slots": 128, "description": "Default pool", "include_deferred": False}],
    )


def downgrade() -> None:
    for table in ("api_token", "slot_pool", "lineage", "task_instance", "dag_run", "task", "dag_tag", "dag"):
        op.drop_table(table)

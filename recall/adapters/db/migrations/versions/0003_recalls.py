"""recalls progress transitions post-recall incidents

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 03:10:58.183137
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "post_recall_incidents",
        sa.Column("recall_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("batch", sa.String(length=64), nullable=True),
        sa.Column("after_start", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("recall_id", "event_id"),
    )
    op.create_table(
        "recall_progress",
        sa.Column("recall_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("refused", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("recall_id", "sequence"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_table(
        "recall_transitions",
        sa.Column("recall_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("who", sa.String(length=120), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("recall_id", "position"),
    )
    op.create_table(
        "recalls",
        sa.Column("recall_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("investigation_id", sa.String(length=64), nullable=True),
        sa.Column("product_key", sa.String(length=512), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("firm_id", sa.String(length=64), nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("hazard", sa.String(length=32), nullable=False),
        sa.Column("risk_level", sa.String(length=16), nullable=False),
        sa.Column("notice", sa.JSON(), nullable=False),
        sa.Column("notice_event_id", sa.String(length=36), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("target_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=True),
        sa.Column("sent_keys", sa.JSON(), nullable=False),
        sa.Column("last_effectiveness", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("recall_id"),
    )
    with op.batch_alter_table("recalls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recalls_jurisdiction"), ["jurisdiction"], unique=False)
        batch_op.create_index(batch_op.f("ix_recalls_product_key"), ["product_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_recalls_state"), ["state"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("recalls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recalls_state"))
        batch_op.drop_index(batch_op.f("ix_recalls_product_key"))
        batch_op.drop_index(batch_op.f("ix_recalls_jurisdiction"))

    op.drop_table("recalls")
    op.drop_table("recall_transitions")
    op.drop_table("recall_progress")
    op.drop_table("post_recall_incidents")

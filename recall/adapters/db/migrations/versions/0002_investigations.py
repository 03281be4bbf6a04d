"""investigations audit evidence outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:59:33.364709
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "investigation_audit",
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("investigation_id", "position"),
    )
    op.create_table(
        "investigation_evidence",
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        sa.Column("evidence_id", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("risk_level", sa.String(length=16), nullable=True),
        sa.Column("observed", sa.Double(), nullable=True),
        sa.Column("expected", sa.Double(), nullable=True),
        sa.Column("statistic", sa.Double(), nullable=True),
        sa.Column("threshold", sa.Double(), nullable=True),
        sa.Column("method", sa.String(length=64), nullable=True),
        sa.Column("window", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("investigation_id", "evidence_id"),
    )
    op.create_table(
        "investigations",
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        sa.Column("product_key", sa.String(length=512), nullable=False),
        sa.Column("hazard", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("decision", sa.String(length=32), nullable=True),
        sa.Column("risk_level", sa.String(length=16), nullable=True),
        sa.Column("hazard_description", sa.Text(), nullable=True),
        sa.Column("conclusion_reason", sa.Text(), nullable=True),
        sa.Column("expert_ids", sa.JSON(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trigger_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("investigation_id"),
    )
    with op.batch_alter_table("investigations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_investigations_jurisdiction"), ["jurisdiction"], unique=False
        )
        batch_op.create_index(
            "ix_investigations_product_hazard", ["product_key", "hazard", "seq"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_investigations_state"), ["state"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("record_id", sa.String(length=120), nullable=False),
        sa.Column("topic", sa.String(length=128), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("record_id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_published_at"), ["published_at"], unique=False)

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.alter_column(
            "product_key",
            existing_type=sa.VARCHAR(length=200),
            type_=sa.String(length=512),
            existing_nullable=True,
        )

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.alter_column(
            "product_key",
            existing_type=sa.VARCHAR(length=200),
            type_=sa.String(length=512),
            existing_nullable=False,
        )


def downgrade() -> None:

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.alter_column(
            "product_key",
            existing_type=sa.String(length=512),
            type_=sa.VARCHAR(length=200),
            existing_nullable=False,
        )

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.alter_column(
            "product_key",
            existing_type=sa.String(length=512),
            type_=sa.VARCHAR(length=200),
            existing_nullable=True,
        )

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_published_at"))
        batch_op.drop_index(batch_op.f("ix_outbox_created_at"))

    op.drop_table("outbox")
    with op.batch_alter_table("investigations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_investigations_state"))
        batch_op.drop_index("ix_investigations_product_hazard")
        batch_op.drop_index(batch_op.f("ix_investigations_jurisdiction"))

    op.drop_table("investigations")
    op.drop_table("investigation_evidence")
    op.drop_table("investigation_audit")

"""accounts, the audit log, and the read model of risk scores, signals and alerts

Regulators, experts, stations and firms reach the system through the API as accounts with a
role and what scopes it; every action is audited. Risk scores, signals and alerts lived only
on their topics; the projector keeps them in SQL for people to query (rebuilt from the topics
if dropped).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = {
    "accounts": ["role", "region"],
    "audit_log": ["account_id", "at"],
    "risk_scores": ["risk_level", "updated_at", "region", "category"],
    "risk_signals": ["product_key", "category", "jurisdiction", "risk_level", "raised_at"],
    "alerts": ["kind", "jurisdiction", "at"],
}


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=True),
        sa.Column("station_id", sa.String(length=64), nullable=True),
        sa.Column("manufacturer_code", sa.String(length=18), nullable=True),
        sa.Column("expert_id", sa.String(length=64), nullable=True),
        sa.Column("token_id", sa.String(length=32), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_by", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("account_id"),
        sa.UniqueConstraint("token_id"),
    )
    op.create_table(
        "audit_log",
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("entry_id"),
    )
    op.create_table(
        "risk_scores",
        sa.Column("product_key", sa.String(length=300), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("risk_level", sa.String(length=16), nullable=True),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("source_partition", sa.Integer(), nullable=False),
        sa.Column("source_offset", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("product_key"),
    )
    op.create_table(
        "risk_signals",
        sa.Column("signal_id", sa.String(length=64), nullable=False),
        sa.Column("product_key", sa.String(length=300), nullable=False),
        sa.Column("hazard", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("risk_level", sa.String(length=16), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("signal_id"),
    )
    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("alert_id"),
    )
    for table, columns in _INDEXES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)
    # A station's health: its dead letters by reporter over a window.
    op.create_index(
        "ix_dead_letters_reporter_received", "dead_letters", ["reporter_id", "received_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_dead_letters_reporter_received", table_name="dead_letters")
    for table in reversed(list(_INDEXES)):
        op.drop_table(table)

"""referral_cases, firm_credit_records: enforcement referral cases and the firm's credit record

A referral to enforcement (a firm that misses its progress reports or refuses a recall) opens
one case in `referral_cases` (unique `referral_key`: replays open nothing new), owned by an
administration at the right tier and escalated one tier up when overdue; its outcome is written
to `firm_credit_records` (one row per case) and announced on `firms.credit`. See docs/cases.md.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 15:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "referral_cases",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("referral_key", sa.String(length=300), nullable=False),
        sa.Column("firm_code", sa.String(length=40), nullable=False),
        sa.Column("recall_id", sa.String(length=120), nullable=False),
        sa.Column("grounds", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("owner", sa.String(length=6), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
        sa.UniqueConstraint("referral_key"),
    )
    for column in ("firm_code", "recall_id", "state", "owner", "deadline"):
        op.create_index(f"ix_referral_cases_{column}", "referral_cases", [column])
    op.create_table(
        "firm_credit_records",
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("firm_code", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("recall_id", sa.String(length=120), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("fine_yuan", sa.Integer(), nullable=True),
        sa.Column("owner", sa.String(length=6), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("record_id"),
        sa.UniqueConstraint("case_id"),
    )
    for column in ("firm_code", "owner"):
        op.create_index(f"ix_firm_credit_records_{column}", "firm_credit_records", [column])


def downgrade() -> None:
    op.drop_table("firm_credit_records")
    op.drop_table("referral_cases")

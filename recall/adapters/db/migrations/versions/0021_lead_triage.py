"""leads: the triage queue of newsroom reports and consumer complaints (信息处置)

A lead is recorded once per (source, reference) — its id is derived from them, so recording
the same 12315 ticket twice stores one row — and carries its single triage decision (accepted,
merged, dismissed): who, when, why, and the investigation it opened or joined.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 15:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recall.adapters.db.types import UtcDateTime

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "leads",
        sa.Column("lead_id", sa.String(36), primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(120), nullable=False),
        sa.Column("jurisdiction", sa.String(6), nullable=False),
        sa.Column("product_key", sa.String(512), nullable=False),
        sa.Column("hazard", sa.String(32), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(120), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("investigation_id", sa.String(36), nullable=True),
        sa.Column("decided_by", sa.String(120), nullable=True),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_leads_jurisdiction", "leads", ["jurisdiction"])
    op.create_index("ix_leads_received_at", "leads", ["received_at"])
    op.create_index("ix_leads_state", "leads", ["state"])


def downgrade() -> None:
    op.drop_index("ix_leads_state", table_name="leads")
    op.drop_index("ix_leads_received_at", table_name="leads")
    op.drop_index("ix_leads_jurisdiction", table_name="leads")
    op.drop_table("leads")

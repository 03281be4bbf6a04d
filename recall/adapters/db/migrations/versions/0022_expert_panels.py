"""expert_panels: every panel decision and its composition (impartial panels, 异地专家)

One row per assignment: the rule applied (local_first, or out_of_area for a case involving a
local firm), the firm's home jurisdiction, the fallback to local experts when too few
out-of-area experts were eligible, and every expert chosen, passed over or excluded with why.
Statistics need no column of their own: the value recalled is read from the recall notice's
optional declared unit value, kept in `recalls.notice` as received.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 15:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recall.adapters.db.types import UtcDateTime

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "expert_panels",
        sa.Column("investigation_id", sa.String(36), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("home", sa.String(6), nullable=True),
        sa.Column("fallback", sa.Text(), nullable=True),
        sa.Column("composition", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("expert_panels")

"""product_disproportionality: each product x hazard pair against its category, for the live score

The leader's `compute_disproportionality` timer (streams/agents/disproportionality.py) counts
the injury reports of the last `disproportionality_window_days` in one grouped query, computes
PRR, ROR and IC for every pair with at least 3 reports (recall/service/risk/
disproportionality_job.py) and replaces this table in one transaction; every worker reads it
back into memory for the risk score. Primary key (product_key, hazard): one figure per pair.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 12:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "product_disproportionality",
        sa.Column("product_key", sa.String(length=512), nullable=False),
        sa.Column("hazard", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("a", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("prr", sa.Float(), nullable=False),
        sa.Column("chi2_yates", sa.Float(), nullable=False),
        sa.Column("ror_lower", sa.Float(), nullable=False),
        sa.Column("ic025", sa.Float(), nullable=False),
        sa.Column("criteria_met", sa.Integer(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("product_key", "hazard"),
    )


def downgrade() -> None:
    op.drop_table("product_disproportionality")

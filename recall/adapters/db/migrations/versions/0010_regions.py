"""region names (the registry's `regions` section) and an index for risk by region

`regions` holds the GB/T 2260 names a registry file carries (code, 中文, English), so the
dashboard shows 太原市 rather than 140100. The index on `risk_signals` (raised_at,
jurisdiction, category, risk_level) lets "risk by region" count a year of a province's
signals by region, category and level from the index alone, without reading the records.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 06:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNAL_COUNTS = ("raised_at", "jurisdiction", "category", "risk_level")


def upgrade() -> None:
    op.create_table(
        "regions",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_risk_signals_region_counts", "risk_signals", list(SIGNAL_COUNTS))


def downgrade() -> None:
    op.drop_index("ix_risk_signals_region_counts", table_name="risk_signals")
    op.drop_table("regions")

"""risk_scores.contributions: every part of a score as structured data, beside its explanation

The fused live score (recall/domain/risk/score.py) lists each part — key, bilingual label,
points, ceiling, detail — and the `risk.scores` record carries them (`contributions`). The read
model keeps them so the API can show what made a score without parsing the explanation lines.
Rows written before this revision get an empty list: their records carried no parts, and the
next score of the product replaces the row.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 12:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("risk_scores") as batch:
        batch.add_column(sa.Column("contributions", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("risk_scores") as batch:
        batch.drop_column("contributions")

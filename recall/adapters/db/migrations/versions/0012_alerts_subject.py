"""an index on alerts by subject and time, for one recall's or investigation's alerts

A recall's page lists the alerts raised about it (GET /alerts?subject=<recall id>): overdue
progress reports, lagging, post-recall injuries, referrals. Without this index each such read
walks the alerts by time until it has found them all, i.e. the whole table for a quiet recall.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_alerts_subject_at", "alerts", ["subject", "at"])


def downgrade() -> None:
    op.drop_index("ix_alerts_subject_at", table_name="alerts")

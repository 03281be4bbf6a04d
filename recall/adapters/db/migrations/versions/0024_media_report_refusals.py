"""media_report_refusals: newsroom reports that could not become a lead, and why

The media-lead import read such a report again on every tick (it has no lead), ahead of the
ones behind it, and each took one of the tick's places: enough of them would stop the queue.
A refusal is recorded once, with its reason, and the import reads the report no more.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01 18:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recall.adapters.db.types import UtcDateTime

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "media_report_refusals",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("refused_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_media_report_refusals_refused_at", "media_report_refusals", ["refused_at"])


def downgrade() -> None:
    op.drop_index("ix_media_report_refusals_refused_at", table_name="media_report_refusals")
    op.drop_table("media_report_refusals")

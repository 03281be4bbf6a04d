"""leads: index (source, reference), which names a lead

The live media-lead timer asks, for every newsroom injury report, whether a lead with that
(source, reference) exists (`unrecorded_media_reports`, a NOT EXISTS). Without this index each
tick scanned `leads` once per report: 17.6 s on a 50,000-event bench database, stalling the
worker's timers. Not unique: the primary key (`lead_id`, derived from the pair) already is.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 20:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_leads_source_reference", "leads", ["source", "reference"])


def downgrade() -> None:
    op.drop_index("ix_leads_source_reference", table_name="leads")

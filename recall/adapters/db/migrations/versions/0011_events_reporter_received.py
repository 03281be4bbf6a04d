"""an index on a station's events by receipt time, for its traffic over time

A station's traffic chart (GET /stations/{id}/traffic) and an area's intake rate (GET
/statistics/intake-rate) count a station's stored events in a time range, grouped by hour,
day or minute. The events' primary key (reporter_id, event_id) finds a station's events but
not those of the last hour: without this index each chart reads every event the station
ever sent. Dead letters have had the same index since 0006 (`ix_dead_letters_reporter_received`).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_events_reporter_received", "events", ["reporter_id", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_events_reporter_received", table_name="events")

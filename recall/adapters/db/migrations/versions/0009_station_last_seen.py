"""stations' last contact, from the events stored before the intake kept it

From this revision the intake keeps `stations.last_seen_at` itself (the newest stored event
of the station, heartbeats included, in the batch's transaction) and the station list reads
it instead of scanning. Stations that reported before the upgrade get the received time of
their newest stored event here, so the list does not show them as never heard from until
their next heartbeat. Resends (event_duplicates) are left out: a resend repeats a stored
event, at most minutes later. A value already set is kept (it can only be newer).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 12:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A correlated scalar subquery: the same statement on PostgreSQL and SQLite; each
    # station's events are a range of the events' primary key (reporter_id, event_id).
    op.execute(
        "UPDATE stations SET last_seen_at = ("
        " SELECT max(events.received_at) FROM events"
        " WHERE events.reporter_id = stations.station_id)"
        " WHERE last_seen_at IS NULL"
    )


def downgrade() -> None:
    """Nothing to undo: the column predates this revision, and the intake fills it anyway."""

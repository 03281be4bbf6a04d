"""station_health: each station's silence and feed verdicts, so each alerts once and resolves once

The `stations` timer (streams/agents/stations.py) judges every station each minute against its
learned cadence (recall.domain.station_health). Its verdicts live here, one row per station,
written in the same transaction as the alert that announces a change, so a silence fires once,
its end resolves once, and a worker restarted in between repeats neither. `silent_since` is the
last contact before the silence (the episode's identity, in the alert id); `feed_since` when
the feed turned poor. The figures of the last evaluation are kept for the station list, so the
page shows the verdict the alerts carry.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 09:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "station_health",
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("silent_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("silent_alert_id", sa.String(length=64), nullable=True),
        sa.Column("feed", sa.String(length=16), nullable=False),
        sa.Column("feed_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("feed_alert_id", sa.String(length=64), nullable=True),
        sa.Column("learned", sa.Boolean(), nullable=False),
        sa.Column("expected_events", sa.Float(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("rejected_share", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("station_id"),
    )


def downgrade() -> None:
    op.drop_table("station_health")

"""alert conditions for Alertmanager, and the status of each alert in the read model

Alertmanager forgets a firing alert unless it is sent again before its `endsAt` (Prometheus
re-sends every evaluation), and it may be down when an alert arrives. `alert_conditions` keeps,
per condition (kind + subject) or moment (kind + alert id), the latest alert applied, when it
started and ends, and when it was last delivered, so a timer re-sends every active one and an
outage loses nothing. `alerts.status` lets the API and dashboard tell resolved alerts apart.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 09:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_conditions",
        sa.Column("condition_key", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("alert_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("condition_key"),
    )
    # The re-send timer and the firing gauge read by status.
    op.create_index("ix_alert_conditions_status", "alert_conditions", ["status", "kind"])
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="firing")
        )


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("status")
    op.drop_index("ix_alert_conditions_status", table_name="alert_conditions")
    op.drop_table("alert_conditions")

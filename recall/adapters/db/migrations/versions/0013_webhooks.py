"""webhooks: subscriptions, their signing secrets, the delivery schedule and its attempt log

Alerts leave the system through webhooks an authorised account subscribes to. The schedule of
deliveries is a SQL queue, not retry topics: each row is one (subscription, event) pair, so
fan-out is idempotent by a unique key, a paused subscriber's deliveries wait in place, and the
delivery log is a query (docs/webhooks.md gives the whole reasoning).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 09:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("subscription_id", sa.String(length=64), nullable=False),
        sa.Column("owner_account_id", sa.String(length=64), nullable=False),
        sa.Column("owner_jurisdiction", sa.String(length=6), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("severities", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("paused_reason", sa.String(length=500), nullable=True),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subscription_id"),
    )
    op.create_index(
        "ix_webhook_subscriptions_owner_account_id",
        "webhook_subscriptions",
        ["owner_account_id"],
    )
    op.create_index("ix_webhook_subscriptions_state", "webhook_subscriptions", ["state"])
    op.create_table(
        "webhook_secrets",
        sa.Column("secret_id", sa.String(length=64), nullable=False),
        sa.Column("subscription_id", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("secret_id"),
    )
    op.create_index("ix_webhook_secrets_subscription_id", "webhook_secrets", ["subscription_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("delivery_id", sa.String(length=64), nullable=False),
        sa.Column("subscription_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=120), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("delivery_id"),
    )
    # One row per (subscription, event): fan-out replayed after a crash inserts nothing new.
    op.create_index(
        "ux_webhook_deliveries_once",
        "webhook_deliveries",
        ["subscription_id", "event_id"],
        unique=True,
    )
    # The dispatcher's claim: due rows by state and time.
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["state", "next_attempt_at"])
    # A subscription's delivery log and dead letters, newest first.
    op.create_index(
        "ix_webhook_deliveries_log",
        "webhook_deliveries",
        ["subscription_id", "state", "created_at"],
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("attempt_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.String(length=64), nullable=False),
        sa.Column("attempt_no", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("attempt_id"),
    )
    op.create_index("ix_webhook_attempts_delivery_id", "webhook_attempts", ["delivery_id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_attempts_delivery_id", table_name="webhook_attempts")
    op.drop_table("webhook_attempts")
    op.drop_index("ix_webhook_deliveries_log", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_index("ux_webhook_deliveries_once", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index("ix_webhook_secrets_subscription_id", table_name="webhook_secrets")
    op.drop_table("webhook_secrets")
    op.drop_index("ix_webhook_subscriptions_state", table_name="webhook_subscriptions")
    op.drop_index("ix_webhook_subscriptions_owner_account_id", table_name="webhook_subscriptions")
    op.drop_table("webhook_subscriptions")

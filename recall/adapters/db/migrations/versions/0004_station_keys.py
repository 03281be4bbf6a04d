"""station keys: active and revoked versions of each station's signing key

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "station_keys",
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=120), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("station_id", "version"),
    )
    with op.batch_alter_table("station_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_station_keys_status"), ["status"], unique=False)
    # Stations registered before this revision get version 1, as `recall registry load` gives
    # new ones, so an upgraded deployment keeps accepting its stations' re-provisioned keys.
    op.execute(
        "INSERT INTO station_keys (station_id, version, status, created_at, created_by)"
        " SELECT station_id, 1, 'active', CURRENT_TIMESTAMP, 'migration 0004' FROM stations"
    )


def downgrade() -> None:

    with op.batch_alter_table("station_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_station_keys_status"))

    op.drop_table("station_keys")

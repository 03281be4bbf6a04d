"""event identity per reporter, content hash, bounded dead letters

Event ids are chosen by stations, so an event is identified by (reporter_id, event_id): one
station can no longer squat another's id. `content_hash` tells a resend from a conflicting
reuse of an id. Dead letters keep the size and SHA-256 of the whole original, since only a
bounded, redacted prefix of it is stored.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 21:45:00.000000
"""

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with warnings.catch_warnings():
        # SQLite rebuilds the table; SQLAlchemy warns that the copy's primary key differs from
        # the reflected one, which is exactly the change this migration makes.
        warnings.filterwarnings("ignore", message=".*_alembic_tmp_events.*primary_key")
        _rekey_events(postgres)
    with op.batch_alter_table("event_duplicates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reporter_id", sa.String(length=64), nullable=True))
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("original_size", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("original_sha256", sa.String(length=64), nullable=True))


def _rekey_events(postgres: bool) -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
        batch_op.drop_index("ix_events_reporter_id")
        if postgres:
            batch_op.drop_constraint("events_pkey", type_="primary")
        batch_op.create_primary_key("events_pkey", ["reporter_id", "event_id"])
        batch_op.create_index("ix_events_event_id", ["event_id"], unique=False)
        batch_op.create_index(
            "ix_events_source",
            ["source_topic", "source_partition", "source_offset"],
            unique=False,
        )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.drop_column("original_sha256")
        batch_op.drop_column("original_size")
    with op.batch_alter_table("event_duplicates", schema=None) as batch_op:
        batch_op.drop_column("reporter_id")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_source")
        batch_op.drop_index("ix_events_event_id")
        if postgres:
            batch_op.drop_constraint("events_pkey", type_="primary")
        batch_op.create_primary_key("events_pkey", ["event_id"])
        batch_op.create_index("ix_events_reporter_id", ["reporter_id"], unique=False)
        batch_op.drop_column("content_hash")

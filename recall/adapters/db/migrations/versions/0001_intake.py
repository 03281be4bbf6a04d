"""intake registries events duplicates dead letters

Revision ID: 0001
Revises:
Create Date: 2026-11-22 02:41:44.028898
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "dead_letters",
        sa.Column("source_topic", sa.String(length=128), nullable=False),
        sa.Column("source_partition", sa.Integer(), nullable=False),
        sa.Column("source_offset", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("reporter_id", sa.String(length=200), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("original", sa.LargeBinary(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("source_topic", "source_partition", "source_offset"),
    )
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dead_letters_reason"), ["reason"], unique=False)

    op.create_table(
        "event_duplicates",
        sa.Column("source_topic", sa.String(length=128), nullable=False),
        sa.Column("source_partition", sa.Integer(), nullable=False),
        sa.Column("source_offset", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source_topic", "source_partition", "source_offset"),
    )
    with op.batch_alter_table("event_duplicates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_duplicates_event_id"), ["event_id"], unique=False
        )

    op.create_table(
        "events",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("reporter_id", sa.String(length=64), nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("product_key", sa.String(length=200), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_topic", sa.String(length=128), nullable=False),
        sa.Column("source_partition", sa.Integer(), nullable=False),
        sa.Column("source_offset", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_jurisdiction_type", ["jurisdiction", "type"], unique=False)
        batch_op.create_index(
            "ix_events_product_occurred", ["product_key", "occurred_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_events_reporter_id"), ["reporter_id"], unique=False)

    op.create_table(
        "experts",
        sa.Column("expert_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("linked_firms", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("expert_id"),
    )
    op.create_table(
        "labs",
        sa.Column("lab_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("accreditation", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("lab_id"),
    )
    op.create_table(
        "manufacturers",
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.PrimaryKeyConstraint("credit_code"),
    )
    with op.batch_alter_table("manufacturers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_manufacturers_jurisdiction"), ["jurisdiction"], unique=False
        )

    op.create_table(
        "product_kinds",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=80), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("kind"),
    )
    with op.batch_alter_table("product_kinds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_product_kinds_category"), ["category"], unique=False)

    op.create_table(
        "products",
        sa.Column("product_key", sa.String(length=200), nullable=False),
        sa.Column("manufacturer_code", sa.String(length=18), nullable=True),
        sa.Column("brand", sa.String(length=80), nullable=False),
        sa.Column("model", sa.String(length=80), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=True),
        sa.Column("units_in_use", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("product_key"),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_products_category"), ["category"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_products_manufacturer_code"), ["manufacturer_code"], unique=False
        )

    op.create_table(
        "standards",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "stations",
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("manufacturer_code", sa.String(length=18), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("station_id"),
    )
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stations_jurisdiction"), ["jurisdiction"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stations_jurisdiction"))

    op.drop_table("stations")
    op.drop_table("standards")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_manufacturer_code"))
        batch_op.drop_index(batch_op.f("ix_products_category"))

    op.drop_table("products")
    with op.batch_alter_table("product_kinds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_kinds_category"))

    op.drop_table("product_kinds")
    with op.batch_alter_table("manufacturers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manufacturers_jurisdiction"))

    op.drop_table("manufacturers")
    op.drop_table("labs")
    op.drop_table("experts")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_reporter_id"))
        batch_op.drop_index("ix_events_product_occurred")
        batch_op.drop_index("ix_events_jurisdiction_type")

    op.drop_table("events")
    with op.batch_alter_table("event_duplicates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_duplicates_event_id"))

    op.drop_table("event_duplicates")
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dead_letters_reason"))

    op.drop_table("dead_letters")

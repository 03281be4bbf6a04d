"""supervision tiers: the owner of each investigation, the audited moves, regions per product

`investigations.owner` (+ `owner_since`, when the wait at that owner began) is the owning
administration (a GB/T 2260 code; its tier is its level). `tier_moves` audits every assignment
and move of an owner, for investigations and signals. `tier_regions` remembers where evidence
about each product arose (the "regions touched" rule). Existing investigations keep a null owner
until the next signal or tick assigns one. See docs/tiers.md.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 15:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recall.adapters.db.types import UtcDateTime

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("investigations") as batch:
        batch.add_column(sa.Column("owner", sa.String(6), nullable=True))
        batch.add_column(sa.Column("owner_since", UtcDateTime(), nullable=True))
        batch.create_index("ix_investigations_owner", ["owner"])
    op.create_table(
        "tier_moves",
        sa.Column("move_id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("from_owner", sa.String(6), nullable=True),
        sa.Column("to_owner", sa.String(6), nullable=False),
        sa.Column("region", sa.String(6), nullable=True),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
    )
    op.create_index("ix_tier_moves_subject", "tier_moves", ["kind", "subject_id", "at"])
    op.create_index("ix_tier_moves_to_owner", "tier_moves", ["to_owner"])
    op.create_table(
        "tier_regions",
        sa.Column("product_key", sa.String(512), primary_key=True),
        sa.Column("region", sa.String(6), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("tier_regions")
    op.drop_index("ix_tier_moves_to_owner", table_name="tier_moves")
    op.drop_index("ix_tier_moves_subject", table_name="tier_moves")
    op.drop_table("tier_moves")
    with op.batch_alter_table("investigations") as batch:
        batch.drop_index("ix_investigations_owner")
        batch.drop_column("owner_since")
        batch.drop_column("owner")

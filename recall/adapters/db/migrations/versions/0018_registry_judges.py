"""registries that judge: standard status and dates, lab accreditation, the registry audit trail

Standards get status (in_force / superseded / withdrawn), superseded_by and validity dates;
labs get accreditation status, expiry and scope (product categories). Existing standards stay in
force and existing labs accredited but with an empty scope, so their results are refused as out
of scope until the registry states what they are accredited for (fail closed). The
`registry_changes` table is the audit trail of every entry that changed.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 15:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recall.adapters.db.types import UtcDateTime

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("standards") as batch:
        batch.add_column(
            sa.Column("status", sa.String(16), nullable=False, server_default="in_force")
        )
        batch.add_column(sa.Column("superseded_by", sa.String(40), nullable=True))
        batch.add_column(sa.Column("valid_from", sa.Date(), nullable=True))
        batch.add_column(sa.Column("valid_until", sa.Date(), nullable=True))
    with op.batch_alter_table("labs") as batch:
        batch.add_column(
            sa.Column("status", sa.String(16), nullable=False, server_default="accredited")
        )
        batch.add_column(sa.Column("accredited_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("scope", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "registry_changes",
        sa.Column("change_id", sa.String(36), primary_key=True),
        sa.Column("section", sa.String(32), nullable=False),
        sa.Column("entry_key", sa.String(512), nullable=False),
        sa.Column("operation", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("applied_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_registry_changes_section", "registry_changes", ["section"])
    op.create_index("ix_registry_changes_entry_key", "registry_changes", ["entry_key"])
    op.create_index("ix_registry_changes_changed_at", "registry_changes", ["changed_at"])


def downgrade() -> None:
    op.drop_table("registry_changes")
    with op.batch_alter_table("labs") as batch:
        for column in ("scope", "accredited_until", "status"):
            batch.drop_column(column)
    with op.batch_alter_table("standards") as batch:
        for column in ("valid_until", "valid_from", "superseded_by", "status"):
            batch.drop_column(column)

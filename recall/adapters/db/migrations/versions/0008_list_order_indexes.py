"""indexes in the order the investigation queue and the recall register are paged

The API's lists are keyset pages ordered by (sort column, id). Without an index in that order
PostgreSQL reads and sorts every row in the caller's scope for each page; with one it walks
the index from the cursor and stops after `limit + 1` rows (`recall bench api`, docs/benchmarks.md).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 03:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_investigations_opened_page", "investigations", ("opened_at", "investigation_id")),
    ("ix_investigations_updated_page", "investigations", ("updated_at", "investigation_id")),
    ("ix_recalls_updated_page", "recalls", ("updated_at", "recall_id")),
    ("ix_recalls_start_page", "recalls", ("start", "recall_id")),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, list(columns))


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)

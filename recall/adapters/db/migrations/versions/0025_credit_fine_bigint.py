"""firm_credit_records.fine_yuan: BIGINT, as a fine above 2,147,483,647 yuan is a fine

On PostgreSQL the column was a 4-byte integer: a penalty with a larger fine (the API allowed
any) failed on the credit record's insert and answered 500. The API now bounds fines at a
trillion yuan (`schemas.cases.MAX_FINE_YUAN`), which this column holds. SQLite's INTEGER is
already 8 bytes; the batch rebuild there changes only the declared type.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01 21:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("firm_credit_records") as batch_op:
        batch_op.alter_column(
            "fine_yuan", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=True
        )


def downgrade() -> None:
    with op.batch_alter_table("firm_credit_records") as batch_op:
        batch_op.alter_column(
            "fine_yuan", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=True
        )

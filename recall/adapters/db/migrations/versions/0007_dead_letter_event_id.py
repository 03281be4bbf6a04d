"""dead letters carry the event id their record claims

`GET /submissions/{event_id}` used to find a refusal by searching the text of the reporter's
newest 500 kept originals, so a station that sent 501 bad records after one never found that
one's answer. The intake now stores the claimed id (a UUID, canonical text, NULL when the record
claims none it could read) in `dead_letters.event_id`, and the lookup is one indexed query on
(reporter_id, event_id, received_at): the newest refusal of that id, in the index's order.

Backfill: only the letters the old search could reach — each reporter's newest 500 — get an id,
read from their kept original when it is still a whole JSON object (an original over 16 KiB was
truncated, and stays NULL). So every refusal a reporter could look up before the upgrade is
still found after it; older letters keep NULL and are listed by `GET /dead-letters` as before.
The rule is copied here, not imported, so that this revision means the same thing forever.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00.000000
"""

import re
import uuid
from collections.abc import Sequence

import orjson
import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL_PER_REPORTER = 500
_UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32}")
_LETTERS = sa.table(
    "dead_letters",
    sa.column("source_topic", sa.String()),
    sa.column("source_partition", sa.Integer()),
    sa.column("source_offset", sa.BigInteger()),
    sa.column("reporter_id", sa.String()),
    sa.column("received_at", sa.DateTime(timezone=True)),
    sa.column("original", sa.LargeBinary()),
    sa.column("event_id", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", sa.String(length=36), nullable=True))
        batch_op.create_index(
            "ix_dead_letters_reporter_event",
            ["reporter_id", "event_id", "received_at"],
            unique=False,
        )
    _backfill()


def downgrade() -> None:
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.drop_index("ix_dead_letters_reporter_event")
        batch_op.drop_column("event_id")


def _backfill() -> None:
    """Each reporter's newest letters, read once (streamed), updated by primary key."""
    rank = (
        sa.func.row_number()
        .over(partition_by=_LETTERS.c.reporter_id, order_by=_LETTERS.c.received_at.desc())
        .label("rank")
    )
    ranked = (
        sa.select(
            _LETTERS.c.source_topic,
            _LETTERS.c.source_partition,
            _LETTERS.c.source_offset,
            _LETTERS.c.original,
            rank,
        )
        .where(_LETTERS.c.reporter_id.is_not(None))
        .subquery()
    )
    newest = sa.select(
        ranked.c.source_topic, ranked.c.source_partition, ranked.c.source_offset, ranked.c.original
    ).where(ranked.c.rank <= _BACKFILL_PER_REPORTER)
    bind = op.get_bind()
    found = [
        {"t": topic, "p": partition, "o": offset, "id": event_id}
        for topic, partition, offset, original in bind.execute(
            newest, execution_options={"yield_per": 1000}
        )
        if (event_id := _claimed_event_id(bytes(original))) is not None
    ]
    if found:
        bind.execute(
            sa.update(_LETTERS)
            .where(
                _LETTERS.c.source_topic == sa.bindparam("t"),
                _LETTERS.c.source_partition == sa.bindparam("p"),
                _LETTERS.c.source_offset == sa.bindparam("o"),
            )
            .values(event_id=sa.bindparam("id")),
            found,
        )


def _claimed_event_id(original: bytes) -> str | None:
    """The top-level `event_id` of a kept original, canonical, if it is a UUID (as at intake)."""
    try:
        document = orjson.loads(original)
    except orjson.JSONDecodeError:
        return None
    claimed = document.get("event_id") if isinstance(document, dict) else None
    if not isinstance(claimed, str) or len(claimed) > len("urn:uuid:") + 36:
        return None
    core = claimed
    if claimed.startswith("urn:uuid:"):
        core = claimed[len("urn:uuid:") :]
    elif claimed.startswith("{") and claimed.endswith("}"):
        core = claimed[1:-1]
    return str(uuid.UUID(core)) if _UUID_TEXT.fullmatch(core) else None

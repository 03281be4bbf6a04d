"""The replay's SQL side (`recall.service.risk.replay`): stored events in, scores out.

`SqlReplaySource` streams the `events` rows in arrival order with ONE query read through a
server-side cursor (`yield_per`): PostgreSQL sorts the window once and sends it in pages, where
keyset pages would each re-sort what is left (there is no index on `received_at` alone, and
adding one for an operator command would slow every intake insert). Only the columns the
parser reads cross the wire.

`SqlReplayTarget` reads the stored scores and signals of the replayed products and writes
scores through the read model's own upsert (`SqlReadModel.write`, newer-wins), with no
signals and no alerts, and with each product's region and category as the projector finds
them. Replayed scores carry source position (-1, -1): no `risk.scores` record is behind them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import Event, RiskScoreRow, RiskSignalRow
from recall.adapters.db.read_model import SqlReadModel
from recall.service.readmodel.ports import ScoreAt, ScoreRow
from recall.service.risk.replay import (
    REPLAYED_TYPES,
    ReplayedScore,
    ReplayWindow,
    StoredEvent,
    StoredScore,
)

REPLAYED_POSITION = -1
"""The source partition and offset of a replayed score: no topic record is behind it."""


class SqlReplaySource:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def count(self, window: ReplayWindow) -> int:
        query = select(func.count()).select_from(Event).where(*_filters(window))
        with self._sessions() as session:
            return int(session.scalar(query) or 0)

    def pages(self, window: ReplayWindow, size: int) -> Iterator[Sequence[StoredEvent]]:
        query = (
            select(
                Event.event_id,
                Event.type,
                Event.jurisdiction,
                Event.product_key,
                Event.payload,
                Event.received_at,
            )
            .where(*_filters(window))
            .order_by(
                Event.received_at,
                Event.source_topic,
                Event.source_partition,
                Event.source_offset,
            )
            .execution_options(yield_per=size)
        )
        with self._sessions() as session:
            for rows in session.execute(query).partitions():
                yield [
                    StoredEvent(r.event_id, r.type, r.jurisdiction, r.product_key, r.payload, r[5])
                    for r in rows
                ]


def _filters(window: ReplayWindow) -> list[ColumnElement[bool]]:
    """The window in SQL; the category is in the payload, so the service filters it."""
    out: list[ColumnElement[bool]] = [
        Event.type.in_(REPLAYED_TYPES),
        Event.product_key.is_not(None),
    ]
    if window.since is not None:
        out.append(Event.received_at >= window.since)
    if window.until is not None:
        out.append(Event.received_at < window.until)
    return out


class SqlReplayTarget:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._read_model = SqlReadModel(sessions)

    def stored_scores(self, product_keys: Collection[str]) -> Mapping[str, StoredScore]:
        query = select(RiskScoreRow.product_key, RiskScoreRow.score, RiskScoreRow.risk_level)
        with self._sessions() as session:
            rows = session.execute(query.where(RiskScoreRow.product_key.in_(list(product_keys))))
            return {r.product_key: StoredScore(r.score, r.risk_level) for r in rows}

    def stored_signals(self, product_keys: Collection[str]) -> Mapping[str, str]:
        query = select(RiskSignalRow.signal_id, RiskSignalRow.product_key).where(
            RiskSignalRow.product_key.in_(list(product_keys))
        )
        with self._sessions() as session:
            return {r.signal_id: r.product_key for r in session.execute(query)}

    def write_scores(self, scores: Sequence[ReplayedScore]) -> int:
        """Region and category as the projector finds them (registry, then latest signal),
        else the replayed state's own (its firm's jurisdiction, its category)."""
        if not scores:
            return 0
        facts = self._read_model.product_facts({s.record.product_key for s in scores})
        rows = []
        for score in scores:
            known = facts.get(score.record.product_key)
            at = ScoreAt(score.record, REPLAYED_POSITION, REPLAYED_POSITION)
            region = (known and known.region) or score.jurisdiction or None
            category = (known and known.category) or score.category or None
            rows.append(ScoreRow(at, region, category))
        return self._read_model.write(rows, (), ()).scores

"""The SQL read model (`recall.service.readmodel.ports.ReadModel`) on PostgreSQL or SQLite.

Every write is one statement per table, decided by the database, so workers projecting
different partitions at once cannot race: a score is written by `INSERT … ON CONFLICT
(product_key) DO UPDATE … WHERE (stored updated_at, partition, offset) < (new …)` — a row
locked by a concurrent insert is re-checked against the committed one, never overwritten
blindly — and signals and alerts by `INSERT … ON CONFLICT DO NOTHING`. `RETURNING` says which
rows the statement changed, so the caller can count records skipped as older or known.

SQLite keeps times as text without an offset: every time is written in UTC and read back as
UTC, so text order is time order.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from sqlalchemy import ColumnElement, Select, delete, func, select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.errors import is_transient
from recall.adapters.db.models import (
    AlertRow,
    DeadLetterRow,
    Event,
    Manufacturer,
    Product,
    RiskScoreRow,
    RiskSignalRow,
    Station,
)
from recall.adapters.db.read_model_rows import alert_row, insert_new, signal_row, upsert_scores
from recall.service.readmodel.ports import (
    AlertFilter,
    ProductFacts,
    ScoreFilter,
    ScoreRow,
    ScoreSort,
    ScoreView,
    SignalFilter,
    StationHealth,
    TableStatus,
    WriteOutcome,
)
from schemas.risk import Alert, ScoreContribution, SignalRaised

T = TypeVar("T")
CHUNK = 500
"""Rows per statement: far below PostgreSQL's 65,535 bound parameters."""


class SqlReadModel:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def is_transient(self, error: BaseException) -> bool:
        return is_transient(error)

    # --- writes ---------------------------------------------------------------------------

    def write(
        self, scores: Sequence[ScoreRow], signals: Sequence[SignalRaised], alerts: Sequence[Alert]
    ) -> WriteOutcome:
        # Rows in key order: two writers of overlapping keys (a rebuild beside a worker, a
        # rebalance) lock them in the same order, so they wait for each other, never deadlock.
        scores = sorted(scores, key=lambda r: r.record.score.product_key)
        signals = sorted(signals, key=lambda s: s.signal_id)
        alerts = sorted(alerts, key=lambda a: a.alert_id)
        with self.sessions.begin() as session:
            return WriteOutcome(
                scores=sum(upsert_scores(session, chunk) for chunk in _chunks(scores)),
                signals=sum(
                    insert_new(session, RiskSignalRow, [signal_row(s) for s in chunk])
                    for chunk in _chunks(signals)
                ),
                alerts=sum(
                    insert_new(session, AlertRow, [alert_row(a) for a in chunk])
                    for chunk in _chunks(alerts)
                ),
            )

    def clear(self) -> None:
        # DELETE, not TRUNCATE: no exclusive lock, so a running projector only waits for rows.
        with self.sessions.begin() as session:
            for model in (RiskScoreRow, RiskSignalRow, AlertRow):
                session.execute(delete(model))

    # --- reads ----------------------------------------------------------------------------

    def product_facts(self, product_keys: Collection[str]) -> Mapping[str, ProductFacts]:
        keys = sorted(product_keys)
        facts: dict[str, ProductFacts] = {}
        with self.sessions() as session:
            registered = session.execute(
                select(Product.product_key, Manufacturer.jurisdiction, Product.category)
                .outerjoin(Manufacturer, Manufacturer.credit_code == Product.manufacturer_code)
                .where(Product.product_key.in_(keys))
            )
            for key, region, category in registered:
                facts[key] = ProductFacts(region, category)
            missing = [k for k in keys if k not in facts or facts[k].region is None]
            if missing:  # not in the registry: where its latest signal was reported
                latest = session.execute(
                    select(
                        RiskSignalRow.product_key,
                        RiskSignalRow.jurisdiction,
                        RiskSignalRow.category,
                    )
                    .where(RiskSignalRow.product_key.in_(missing))
                    .order_by(RiskSignalRow.raised_at.desc())
                )
                for key, region, category in latest:
                    known = facts.get(key)
                    if known is None or known.region is None:
                        facts[key] = ProductFacts(region, (known and known.category) or category)
        return facts

    def status(self) -> list[TableStatus]:
        newest = {
            RiskScoreRow: RiskScoreRow.updated_at,
            RiskSignalRow: RiskSignalRow.raised_at,
            AlertRow: AlertRow.at,
        }
        with self.sessions() as session:
            out = []
            for model, column in newest.items():
                rows, latest = session.execute(select(func.count(), func.max(column))).one()
                out.append(TableStatus(model.__tablename__, rows, _utc(latest)))
            return out

    def scores(self, query: ScoreFilter) -> list[ScoreView]:
        sort = RiskScoreRow.score if query.sort is ScoreSort.SCORE else RiskScoreRow.updated_at
        stmt = select(RiskScoreRow)
        if query.product_key is not None:
            stmt = stmt.where(RiskScoreRow.product_key == query.product_key)
        if query.product_prefix is not None:
            stmt = stmt.where(
                RiskScoreRow.product_key.startswith(query.product_prefix, autoescape=True)
            )
        if query.region_prefix:
            stmt = stmt.where(RiskScoreRow.region.startswith(query.region_prefix, autoescape=True))
        if query.risk_levels:
            stmt = stmt.where(RiskScoreRow.risk_level.in_(list(query.risk_levels)))
        if query.category is not None:
            stmt = stmt.where(RiskScoreRow.category == query.category)
        stmt = _keyset(stmt, sort, RiskScoreRow.product_key, query.after, query.descending)
        with self.sessions() as session:
            return [_score_view(row) for row in session.scalars(stmt.limit(query.limit))]

    def signals(self, query: SignalFilter) -> list[SignalRaised]:
        stmt = select(RiskSignalRow.record)
        if query.product_key is not None:
            stmt = stmt.where(RiskSignalRow.product_key == query.product_key)
        if query.region_prefix:
            stmt = stmt.where(
                RiskSignalRow.jurisdiction.startswith(query.region_prefix, autoescape=True)
            )
        if query.risk_levels:
            stmt = stmt.where(RiskSignalRow.risk_level.in_(list(query.risk_levels)))
        if query.methods:
            stmt = stmt.where(RiskSignalRow.method.in_(list(query.methods)))
        stmt = _window(stmt, RiskSignalRow.raised_at, query.since, query.until)
        stmt = _keyset(
            stmt, RiskSignalRow.raised_at, RiskSignalRow.signal_id, query.after, query.descending
        )
        with self.sessions() as session:
            records = session.scalars(stmt.limit(query.limit)).all()
        return [SignalRaised.model_validate_json(orjson.dumps(r)) for r in records]

    def alerts(self, query: AlertFilter) -> list[Alert]:
        stmt = select(AlertRow.record)
        if query.kinds:
            stmt = stmt.where(AlertRow.kind.in_(list(query.kinds)))
        if query.subject is not None:
            stmt = stmt.where(AlertRow.subject == query.subject)
        if query.region_prefix:
            stmt = stmt.where(
                AlertRow.jurisdiction.startswith(query.region_prefix, autoescape=True)
            )
        stmt = _window(stmt, AlertRow.at, query.since, query.until)
        stmt = _keyset(stmt, AlertRow.at, AlertRow.alert_id, query.after, descending=True)
        with self.sessions() as session:
            records = session.scalars(stmt.limit(query.limit)).all()
        return [Alert.model_validate_json(orjson.dumps(r)) for r in records]

    def stations_health(
        self, station_ids: Collection[str], since: datetime
    ) -> Mapping[str, StationHealth]:
        """Three grouped queries per `CHUNK` stations, whatever their number: last seen from
        the stations' rows (the intake keeps it), the events' count in the window and latest
        time, the dead letters' counts by reason in the window."""
        since = since.astimezone(UTC)
        ids = sorted(set(station_ids))
        seen: dict[str, datetime | None] = {}
        accepted: dict[str, tuple[datetime | None, int]] = {}
        rejected: dict[str, dict[str, int]] = {station_id: {} for station_id in ids}
        recent = Event.received_at >= since
        with self.sessions() as session:
            for chunk in _chunks(ids):
                last_seen = select(Station.station_id, Station.last_seen_at).where(
                    Station.station_id.in_(chunk)
                )
                seen.update({row[0]: row[1] for row in session.execute(last_seen)})
                events = (
                    select(
                        Event.reporter_id, func.max(Event.received_at), func.count().filter(recent)
                    )
                    .where(Event.reporter_id.in_(chunk))
                    .group_by(Event.reporter_id)
                )
                for reporter, newest, count in session.execute(events):
                    accepted[reporter] = (newest, count)
                letters = (
                    select(DeadLetterRow.reporter_id, DeadLetterRow.reason, func.count())
                    .where(DeadLetterRow.reporter_id.in_(chunk), DeadLetterRow.received_at >= since)
                    .group_by(DeadLetterRow.reporter_id, DeadLetterRow.reason)
                )
                for claimed, reason, refused in session.execute(letters):
                    if claimed is not None:  # always: the query names the reporters
                        rejected[claimed][reason] = refused
        health = {}
        for station_id in ids:
            latest, count = accepted.get(station_id, (None, 0))
            health[station_id] = StationHealth(
                station_id=station_id,
                since=since,
                last_seen_at=_utc(seen.get(station_id)),
                last_accepted_at=_utc(latest),
                accepted=count,
                rejected=dict(sorted(rejected[station_id].items())),
            )
        return health


def _keyset(
    stmt: Select[Any],
    sort: Any,
    key: Any,
    after: tuple[float | datetime, str] | None,
    descending: bool,
) -> Select[Any]:
    """Order by (sort, key) and start after the cursor's (value, key)."""
    if after is not None:
        value, last = after
        if isinstance(value, datetime):
            value = value.astimezone(UTC)
        position: ColumnElement[bool] = (
            tuple_(sort, key) < tuple_(value, last)
            if descending
            else tuple_(sort, key) > tuple_(value, last)
        )
        stmt = stmt.where(position)
    if descending:
        return stmt.order_by(sort.desc(), key.desc())
    return stmt.order_by(sort.asc(), key.asc())


def _window(
    stmt: Select[Any], column: Any, since: datetime | None, until: datetime | None
) -> Select[Any]:
    if since is not None:
        stmt = stmt.where(column >= since.astimezone(UTC))
    if until is not None:
        stmt = stmt.where(column < until.astimezone(UTC))
    return stmt


def _score_view(row: RiskScoreRow) -> ScoreView:
    return ScoreView(
        product_key=row.product_key,
        score=row.score,
        risk_level=row.risk_level,
        explanation=tuple(row.explanation),
        updated_at=_utc(row.updated_at) or row.updated_at,
        region=row.region,
        category=row.category,
        contributions=tuple(ScoreContribution.model_validate(c) for c in row.contributions),
    )


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite returns times without an offset; they were written in UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]

"""Station health in SQL: the check's reads, its verdicts (`station_health`), the page's read.

`SqlHealthReads` groups in the database: the learning window's records per station and hour
(at most stations × hours rows, however many records), the feed window's counts per station
(and reason), the registry with each station's last contact (kept by the intake). Hours are
`floor(epoch(received_at) / 3600)`: `extract(epoch …)` on PostgreSQL, `strftime('%s', …)` on
SQLite, where stored times are UTC wall-clock text (as in `recall.adapters.db.traffic`).
`SqlHealthStorage` writes the verdicts and the outbox in one transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import ColumnElement, Integer, cast, exists, func, select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import DeadLetterRow, Event, Station, StationHealthRow
from recall.adapters.db.storage import SqlOutbox
from recall.domain.station_health import epoch_hour
from recall.service.stations.ports import FeedCounts, HealthState, History, StationFacts

WELL, SILENT, OK, POOR = "well", "silent", "ok", "poor"


class SqlHealthReads:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def stations(self) -> list[StationFacts]:
        with self.sessions() as session:
            return [
                StationFacts(s.station_id, s.kind, s.jurisdiction, s.enabled, s.last_seen_at)
                for s in session.scalars(select(Station).order_by(Station.station_id))
            ]

    def history(self, start: datetime, end: datetime) -> dict[str, History]:
        """One grouped query for the counts, one for the stations heard from before `start`
        (each an index probe of `ix_events_reporter_received`)."""
        with self.sessions() as session:
            hour = _hour_of(session, Event.received_at)
            counted = session.execute(
                select(Event.reporter_id, hour, func.count())
                .where(Event.received_at >= start, Event.received_at < end)
                .group_by(Event.reporter_id, hour)
            )
            counts: dict[str, dict[int, int]] = {}
            for reporter, at, n in counted:
                counts.setdefault(reporter, {})[int(at)] = int(n)
            earlier = exists().where(
                Event.reporter_id == Station.station_id, Event.received_at < start
            )
            older = set(session.scalars(select(Station.station_id).where(earlier)))
        first = epoch_hour(start)
        return {
            reporter: History(by_hour, first if reporter in older else min(by_hour))
            for reporter, by_hour in counts.items()
        }

    def feed(self, start: datetime, end: datetime) -> dict[str, FeedCounts]:
        with self.sessions() as session:
            accepted = dict(
                session.execute(
                    select(Event.reporter_id, func.count())
                    .where(Event.received_at >= start, Event.received_at < end)
                    .group_by(Event.reporter_id)
                ).all()
            )
            refused: dict[str, dict[str, int]] = {}
            letter = DeadLetterRow
            for reporter, reason, n in session.execute(
                select(letter.reporter_id, letter.reason, func.count())
                .where(
                    letter.reporter_id.is_not(None),
                    letter.received_at >= start,
                    letter.received_at < end,
                )
                .group_by(letter.reporter_id, letter.reason)
            ):
                if reporter is not None:  # always: the query leaves out letters of no one
                    refused.setdefault(reporter, {})[reason] = int(n)
        return {
            station: FeedCounts(int(accepted.get(station, 0)), refused.get(station, {}))
            for station in set(accepted) | set(refused)
        }


class SqlHealthRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._rows: dict[str, StationHealthRow] = {}

    def states(self) -> dict[str, HealthState]:
        rows = self._session.scalars(select(StationHealthRow).with_for_update())
        self._rows = {row.station_id: row for row in rows}
        return {station: _state(row) for station, row in self._rows.items()}

    def save(self, states: Sequence[HealthState]) -> None:
        for state in states:
            row = self._rows.get(state.station_id)
            if row is None:
                row = self._rows[state.station_id] = StationHealthRow(station_id=state.station_id)
                self._session.add(row)
            _fill(row, state)


class SqlHealthUnit:
    def __init__(self, session: Session) -> None:
        self.session = session

    @cached_property
    def health(self) -> SqlHealthRepository:
        return SqlHealthRepository(self.session)

    @cached_property
    def outbox(self) -> SqlOutbox:
        return SqlOutbox(self.session)


class SqlHealthStorage:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    @contextmanager
    def transaction(self) -> Iterator[SqlHealthUnit]:
        with self.sessions.begin() as session:
            yield SqlHealthUnit(session)


def health_states(
    sessions: sessionmaker[Session], station_ids: Collection[str]
) -> dict[str, HealthState]:
    """The stored verdicts of these stations (the station list shows what the alerts say)."""
    if not station_ids:
        return {}
    with sessions() as session:
        rows = session.scalars(
            select(StationHealthRow).where(StationHealthRow.station_id.in_(sorted(station_ids)))
        )
        return {row.station_id: _state(row) for row in rows}


def _state(row: StationHealthRow) -> HealthState:
    return HealthState(
        station_id=row.station_id,
        silent_since=row.silent_since,
        silent_alert_id=row.silent_alert_id,
        feed_since=row.feed_since,
        feed_alert_id=row.feed_alert_id,
        learned=row.learned,
        expected_events=row.expected_events,
        probability=row.probability,
        rejected_share=row.rejected_share,
        updated_at=row.updated_at,
    )


def _fill(row: StationHealthRow, state: HealthState) -> None:
    row.state = SILENT if state.silent else WELL
    row.silent_since = state.silent_since
    row.silent_alert_id = state.silent_alert_id
    row.feed = POOR if state.feed_poor else OK
    row.feed_since = state.feed_since
    row.feed_alert_id = state.feed_alert_id
    row.learned = state.learned
    row.expected_events = state.expected_events
    row.probability = state.probability
    row.rejected_share = state.rejected_share
    if state.updated_at is not None:
        row.updated_at = state.updated_at


def _hour_of(session: Session, column: Any) -> ColumnElement[int]:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", column) / 3600), Integer)
    return cast(func.strftime("%s", column), Integer) // 3600

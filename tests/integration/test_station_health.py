"""The silent-station test (issue 12): through real SQL (SQLite and PostgreSQL) and the outbox.

An emergency room with a regular cadence (about 6 records an hour by day, 1.5 at night) and a
school lab that reports about once every two days both fall quiet at the same moment. With a
test clock advanced hour by hour, the emergency room's silence alert fires at the first hour
its learned cadence makes the silence unlikely beyond α (and within a few hours), the lab's
never does over the same silence; when the emergency room reports again its alert resolves,
once. A poor feed fires and resolves the same way.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.intake_store import SqlIntakeRepository
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.models import DeadLetterRow, Event, OutboxRow, Station, StationHealthRow
from recall.adapters.db.station_health import SqlHealthReads, SqlHealthStorage, health_states
from recall.domain.station_health import silence_odds
from recall.service.ports import OutputTopics
from recall.service.stations.health import CadenceBook, HealthRules, check_stations
from schemas.risk import Alert, AlertKind, AlertStatus

CHINA = 8 * 3600
STOP = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in China
ER, LAB = "er-01", "lab-01"


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade(database_url)
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def _er_rate(at: datetime) -> float:
    hour = (at.hour + 8) % 24
    return 6.0 if 8 <= hour < 22 else 1.5


def _lab_rate(at: datetime) -> float:
    china = at + timedelta(hours=8)
    return 0.5 * 7 / (5 * 8) if china.weekday() < 5 and 9 <= china.hour < 17 else 0.0


def _times(rate: Any, start: datetime, end: datetime, rng: random.Random) -> list[datetime]:
    """A Poisson process with an hourly rate, hour by hour."""
    out, hour = [], start
    while hour < end:
        at, lam = 0.0, rate(hour)
        while lam > 0:
            at += rng.expovariate(lam)
            if at >= 1:
                break
            out.append(hour + timedelta(hours=at))
        hour += timedelta(hours=1)
    return out


def _event(station: str, at: datetime, offset: int) -> dict[str, Any]:
    return {
        "reporter_id": station,
        "event_id": str(uuid.uuid4()),
        "type": "station_heartbeat",
        "jurisdiction": "140105",
        "product_key": None,
        "occurred_at": None,
        "sent_at": at,
        "received_at": at,
        "source_topic": "intake.raw",
        "source_partition": 0,
        "source_offset": offset,
        "content_hash": None,
        "payload": {},
    }


def _report(sessions: sessionmaker[Session], station: str, times: list[datetime]) -> None:
    """Store the events as the intake does, and move the station's last contact."""
    with sessions.begin() as session:
        base = session.scalar(select(Event.source_offset).order_by(Event.source_offset.desc()))
        start = (base or 0) + 1
        session.execute(insert(Event), [_event(station, t, start + n) for n, t in enumerate(times)])
        SqlIntakeRepository(session).mark_seen({station: max(times)})


def _register(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        for station, kind in ((ER, "hospital"), (LAB, "lab"), ("firm-01", "firm")):
            session.add(Station(station_id=station, kind=kind, name=station, jurisdiction="140105"))


def _alerts(sessions: sessionmaker[Session]) -> list[Alert]:
    with sessions() as session:
        values = session.scalars(select(OutboxRow.value).order_by(OutboxRow.created_at)).all()
    return [Alert.model_validate(orjson.loads(v)) for v in values]


def _check(sessions: sessionmaker[Session], now: datetime, book: CadenceBook) -> None:
    check_stations(
        SqlHealthReads(sessions),
        SqlHealthStorage(sessions),
        OutputTopics(),
        now,
        HealthRules(),
        book,
    )


def test_a_regular_station_that_stops_alerts_a_sparse_one_does_not(
    sessions: sessionmaker[Session],
) -> None:
    rng = random.Random(12)
    _register(sessions)
    history = STOP - timedelta(weeks=4)
    _report(sessions, ER, [*_times(_er_rate, history, STOP, rng), STOP])
    _report(sessions, LAB, [*_times(_lab_rate, history, STOP, rng), STOP])
    _report(sessions, "firm-01", [history + timedelta(hours=1)])  # a firm: never silent

    book, fired = CadenceBook(), None
    for hours in range(1, 25):
        now = STOP + timedelta(hours=hours)
        _check(sessions, now, book)
        silent = [a for a in _alerts(sessions) if a.kind is AlertKind.STATION_SILENT]
        assert {a.subject for a in silent} <= {ER}, "the lab and the firm never fall silent"
        if silent and fired is None:
            fired = now
    assert fired is not None, "the emergency room's silence was never noticed"

    # Within its learned window: the first hourly tick past the bound α sets, a few hours in.
    cadence = book.cadences[ER]
    threshold = cadence.threshold(HealthRules().silence.alpha)
    assert silence_odds(cadence, STOP, fired).probability < threshold
    assert silence_odds(cadence, STOP, fired - timedelta(hours=1)).probability >= threshold
    assert fired - STOP <= timedelta(hours=6)
    lab = book.cadences[LAB]
    assert silence_odds(lab, STOP, STOP + timedelta(hours=24)).probability > 0.01

    (alert,) = _alerts(sessions)
    assert (alert.status, alert.subject, alert.jurisdiction) == (AlertStatus.FIRING, ER, "140105")
    assert alert.category is None and alert.details["last_seen_at"] == STOP.isoformat()
    assert float(alert.details["expected_events"]) > 9

    # A restarted worker (no cadences in memory) decides nothing twice.
    _check(sessions, STOP + timedelta(hours=25), CadenceBook())
    assert len(_alerts(sessions)) == 1

    back = STOP + timedelta(hours=25, minutes=30)
    _report(sessions, ER, [back])
    _check(sessions, back + timedelta(minutes=1), book)
    _check(sessions, back + timedelta(minutes=2), book)
    fired_alert, resolved = _alerts(sessions)
    assert (resolved.kind, resolved.subject, resolved.status) == (
        AlertKind.STATION_SILENT,
        ER,
        AlertStatus.RESOLVED,
    )
    assert resolved.alert_id != fired_alert.alert_id
    assert resolved.details["silent_for"] == str(int((back - STOP).total_seconds()))
    states = health_states(sessions, [ER, LAB])
    assert not states[ER].silent and not states[LAB].silent


def test_a_poor_feed_alerts_once_and_recovers_once(sessions: sessionmaker[Session]) -> None:
    _register(sessions)
    now = STOP
    _report(sessions, ER, [now - timedelta(minutes=m) for m in range(1, 11)])
    with sessions.begin() as session:
        session.execute(
            insert(DeadLetterRow),
            [
                {
                    "source_topic": "intake.raw",
                    "source_partition": 1,
                    "source_offset": n,
                    "reason": "schema" if n % 3 else "unauthenticated",
                    "errors": [],
                    "reporter_id": ER,
                    "received_at": now - timedelta(minutes=n % 50 + 1),
                    "original": b"{}",
                    "detail": "",
                }
                for n in range(15)
            ],
        )
    book = CadenceBook()
    _check(sessions, now, book)
    _check(sessions, now + timedelta(minutes=1), book)
    (poor,) = [a for a in _alerts(sessions) if a.kind is AlertKind.STATION_FEED_POOR]
    assert poor.status is AlertStatus.FIRING
    assert poor.details["received"] == "25" and poor.details["rejected"] == "15"
    assert poor.details["reasons"] == "schema=10,unauthenticated=5"
    # Six hours on, with clean records only, the window holds no refusal: ok again.
    later = now + timedelta(hours=7)
    _report(sessions, ER, [later - timedelta(minutes=m) for m in range(1, 30)])
    _check(sessions, later, book)
    feed = [a for a in _alerts(sessions) if a.kind is AlertKind.STATION_FEED_POOR]
    assert [a.status for a in feed] == [AlertStatus.FIRING, AlertStatus.RESOLVED]
    with sessions() as session:
        row = session.get(StationHealthRow, ER)
        assert row is not None and row.feed == "ok"

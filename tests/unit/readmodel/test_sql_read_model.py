"""`SqlReadModel` on SQLite: the same rules as the in-memory port, decided by the database,
read through the API's pages (`recall.service.readmodel.pages` over `SqlReadModelPages`).

The upsert's `WHERE (stored version) < (offered version)` and the inserts' `ON CONFLICT DO
NOTHING` are the statements PostgreSQL runs too (`tests/integration/test_read_model.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.models import Base, DeadLetterRow, Event, Manufacturer, Product, Station
from recall.adapters.db.read_model_pages import SqlReadModelPages
from recall.service.paging import Page, PageRequest
from recall.service.readmodel import pages
from recall.service.readmodel.ports import ScoreAt, ScoreSort, ScoreView, SignalFilter
from recall.service.readmodel.projection import project
from tests.support.readmodel import (
    EVERYTHING,
    PRODUCT,
    T0,
    alert,
    alerts,
    every_page,
    score,
    scores,
    signal_at,
    signals,
)

USCC = PRODUCT.split("/")[0]


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'read.db'}")
    Base.metadata.create_all(engine)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def model(sessions: sessionmaker[Session]) -> SqlReadModelPages:
    return SqlReadModelPages(sessions)


def _register(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(Manufacturer(credit_code=USCC, name="Acme", jurisdiction="140100"))
        session.add(
            Product(
                product_key=PRODUCT,
                manufacturer_code=USCC,
                brand="acme",
                model="k-1",
                category="appliances",
                kind="kettle",
            )
        )


def test_replaying_everything_changes_nothing(model: SqlReadModelPages) -> None:
    batch = {
        "scores": [score(40, minutes=1, offset=3)],
        "signals": [signal_at("s1"), signal_at("s2", 5)],
        "alerts": [alert("a1")],
    }
    first = project(model, **batch)  # type: ignore[arg-type]  # the three keyword lists
    again = project(model, **batch)  # type: ignore[arg-type]
    assert (first.projected, again.projected, again.skipped) == (4, 0, 4)
    assert [(t.table, t.rows) for t in model.status()] == [
        ("risk_scores", 1),
        ("risk_signals", 2),
        ("alerts", 1),
    ]


def test_an_older_score_never_overwrites_a_newer_one(model: SqlReadModelPages) -> None:
    project(model, scores=[score(40, minutes=10, offset=9)])
    assert project(model, scores=[score(99, minutes=5, offset=12)]).projected == 0
    assert project(model, scores=[score(98, minutes=10, offset=8)]).projected == 0, "same time"
    assert project(model, scores=[score(41, minutes=10, offset=10)]).projected == 1
    assert project(model, scores=[score(42, minutes=11, offset=1)]).projected == 1
    [view] = scores(model)
    assert (view.score, view.updated_at) == (42, T0 + timedelta(minutes=11))
    assert view.updated_at.tzinfo is not None


def test_times_in_other_offsets_compare_as_instants(model: SqlReadModelPages) -> None:
    """SQLite compares text: every time is written in UTC, so 17:30+08:00 < 10:00Z."""
    project(model, scores=[score(1, minutes=60)])
    china = timezone(timedelta(hours=8))
    earlier = score(2).score.model_copy(
        update={"updated_at": (T0 + timedelta(minutes=30)).astimezone(china)}
    )
    assert project(model, scores=[ScoreAt(earlier, 0, 99)]).projected == 0
    assert [v.score for v in scores(model)] == [1]


def test_scores_are_scoped_sorted_and_paged(
    model: SqlReadModelPages, sessions: sessionmaker[Session]
) -> None:
    _register(sessions)
    other = "unknown/acme/x-9"
    project(model, signals=[signal_at("s1", product_key=other, jurisdiction="310104")])
    rows = [score(n % 4, product_key=f"p/{n:02}", minutes=n) for n in range(11)]
    project(model, scores=[*rows, score(50), score(60, product_key=other)])
    views = {v.product_key: v for v in scores(model, limit=100)}
    assert (views[PRODUCT].region, views[PRODUCT].category) == ("140100", "appliances")
    assert (views[other].region, views[other].category) == ("310104", "appliances")
    assert views["p/00"].region is None
    assert [v.product_key for v in scores(model, region="140000")] == [PRODUCT]
    assert [v.product_key for v in scores(model, category="appliances")] == [other, PRODUCT]

    def fetch(request: PageRequest) -> Page[ScoreView]:
        return pages.score_page(model, EVERYTHING, request)

    by_score = every_page(fetch, PageRequest(ScoreSort.SCORE, True, 4))
    seen = [(v.score, v.product_key) for page in by_score for v in page.items]
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == 13
    by_time = every_page(fetch, PageRequest(ScoreSort.UPDATED_AT, True, 5))
    recent = [v.updated_at for page in by_time for v in page.items]
    assert recent == sorted(recent, reverse=True) and len(recent) == 13


def test_signals_and_alerts_filtered_and_paged(model: SqlReadModelPages) -> None:
    project(
        model,
        signals=[
            signal_at("s1", 0),
            signal_at("s2", 10, risk_level="medium"),
            signal_at("s3", 20, jurisdiction="310104"),
            signal_at("s4", 30, product_key="other/acme/z"),
        ],
        alerts=[alert("a1"), alert("a2", minutes=5, jurisdiction="310100")],
    )
    ids = [s.signal_id for s in signals(model, region="140000")]
    assert ids == ["s4", "s2", "s1"]
    window = signals(
        model, product_key=PRODUCT, since=T0 + timedelta(minutes=10), until=T0 + timedelta(hours=1)
    )
    assert [s.signal_id for s in window] == ["s3", "s2"]
    walked = every_page(
        lambda r: pages.signal_page(model, EVERYTHING, r, SignalFilter()),
        PageRequest("raised_at", True, 2),
    )
    assert [[s.signal_id for s in page.items] for page in walked] == [["s4", "s3"], ["s2", "s1"]]
    assert [a.alert_id for a in alerts(model, region="310000")] == ["a2"]
    assert [a.alert_id for a in alerts(model, kinds=["regional_signal"])] == ["a2", "a1"]
    view = pages.product_view(model, PRODUCT, EVERYTHING)
    assert view is not None and view.score is None
    assert [s.signal_id for s in view.history] == ["s1", "s2", "s3"]
    assert view.history[0] == signal_at("s1", 0), "the record comes back as it was read"


def test_clear_empties_the_three_tables(model: SqlReadModelPages) -> None:
    project(model, scores=[score()], signals=[signal_at("s1")], alerts=[alert("a1")])
    newest = {t.table: t.newest for t in model.status()}
    assert newest == {"risk_scores": T0, "risk_signals": T0, "alerts": T0}
    model.clear()
    assert [(t.rows, t.newest) for t in model.status()] == [(0, None)] * 3


def test_station_health_from_events_and_dead_letters(
    model: SqlReadModelPages, sessions: sessionmaker[Session]
) -> None:
    now = T0 + timedelta(days=10)
    with sessions.begin() as session:
        session.add(
            Station(
                station_id="st-1",
                kind="hospital",
                name="h",
                jurisdiction="140105",
                last_seen_at=now - timedelta(hours=2),  # as the intake kept it: a resend
            )
        )
        for n, at in enumerate([T0, now - timedelta(hours=3)]):
            session.add(
                Event(
                    reporter_id="st-1",
                    event_id=f"e{n}",
                    type="injury_report",
                    jurisdiction="140105",
                    sent_at=at,
                    received_at=at,
                    source_topic="intake.raw",
                    source_partition=0,
                    source_offset=n,
                    payload={},
                )
            )
        for n, reason in enumerate(["schema", "schema", "bad_signature"]):
            session.add(
                DeadLetterRow(
                    source_topic="intake.raw",
                    source_partition=1,
                    source_offset=n,
                    reason=reason,
                    errors=[],
                    reporter_id="st-1",
                    received_at=now - timedelta(hours=1),
                    original=b"",
                )
            )
    record, health = pages.station_view(model, "st-1", now - timedelta(days=1))
    assert record is not None and record.jurisdiction == "140105"
    assert (health.accepted, dict(health.rejected)) == (1, {"bad_signature": 1, "schema": 2})
    assert health.last_accepted_at == now - timedelta(hours=3)
    assert health.last_seen_at == now - timedelta(hours=2)  # the column; refusals do not count
    missing, empty = pages.station_view(model, "st-9", now - timedelta(days=7))
    assert missing is None
    assert (empty.accepted, empty.last_seen_at, dict(empty.rejected)) == (0, None, {})
    both = model.stations_health(["st-9", "st-1", "st-1"], now - timedelta(days=1))
    assert both == {"st-1": health, "st-9": replace(empty, since=health.since)}

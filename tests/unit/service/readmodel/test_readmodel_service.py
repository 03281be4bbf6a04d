"""The read model's use cases on the in-memory port: projection rules, cursors, queries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recall.service.readmodel.ports import ProductFacts, ScoreSort
from recall.service.readmodel.projection import ProjectionOutcome, newest_per_product, project
from recall.service.readmodel.queries import (
    InvalidCursorError,
    Page,
    list_alerts,
    list_scores,
    list_signals,
    product_risk,
    station_health,
)
from schemas.risk import Alert, AlertKind, SignalRaised
from tests.support.fakes.read_model import MemoryReadModel, StationTraffic
from tests.support.readmodel import PRODUCT, T0, alert, score, signal_at


def test_a_newer_score_replaces_an_older_never_the_reverse() -> None:
    model = MemoryReadModel()
    assert project(model, scores=[score(40, minutes=1, offset=5)]) == ProjectionOutcome(1, 1)
    older = project(model, scores=[score(90, minutes=0, offset=4)])
    assert (older.read, older.projected, older.skipped) == (1, 0, 1)
    assert project(model, scores=[score(40, minutes=1, offset=5)]).skipped == 1, "a replay"
    [view] = list_scores(model).items
    assert view.score == 40


def test_equal_times_are_ordered_by_position() -> None:
    model = MemoryReadModel()
    project(model, scores=[score(10, offset=7)])
    assert project(model, scores=[score(20, offset=6)]).projected == 0
    assert project(model, scores=[score(30, offset=8)]).projected == 1
    assert [v.score for v in list_scores(model).items] == [30]


def test_a_batch_keeps_the_newest_score_of_each_product_and_each_id_once() -> None:
    batch = [score(1, minutes=2, offset=1), score(2, minutes=1, offset=2), score(3, minutes=2)]
    assert [s.score.score for s in newest_per_product(batch)] == [1]
    model = MemoryReadModel()
    outcome = project(
        model,
        scores=batch,
        signals=[signal_at("s1"), signal_at("s1"), signal_at("s2")],
        alerts=[alert("a1"), alert("a1")],
    )
    assert (outcome.read, outcome.projected, outcome.skipped) == (8, 4, 4)
    assert project(model, signals=[signal_at("s2")], alerts=[alert("a1")]).projected == 0


def test_a_score_is_scoped_by_its_manufacturer_else_its_latest_signal() -> None:
    model = MemoryReadModel(registry={PRODUCT: ProductFacts("140100", "appliances")})
    other = "unknown/acme/x-9"
    project(model, signals=[signal_at("s1", product_key=other, jurisdiction="310104")])
    project(model, scores=[score(50), score(60, product_key=other)])
    regions = {v.product_key: (v.region, v.category) for v in list_scores(model).items}
    assert regions == {PRODUCT: ("140100", "appliances"), other: ("310104", "appliances")}
    assert [v.product_key for v in list_scores(model, scope="140000").items] == [PRODUCT]
    assert [v.product_key for v in list_scores(model, scope="310100").items] == [other]


def test_scores_page_through_every_row_once_in_order() -> None:
    model = MemoryReadModel()
    project(model, scores=[score(n % 7, product_key=f"p/{n:02}", minutes=n) for n in range(23)])
    seen, cursor = [], None
    while True:
        page = list_scores(model, cursor=cursor, limit=5)
        seen += [(v.score, v.product_key) for v in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == len(set(seen)) == 23
    oldest_first = list_scores(model, sort=ScoreSort.UPDATED_AT, descending=False, limit=3)
    assert [v.product_key for v in oldest_first.items] == ["p/00", "p/01", "p/02"]
    assert oldest_first.next_cursor is not None
    second = list_scores(
        model,
        sort=ScoreSort.UPDATED_AT,
        descending=False,
        cursor=oldest_first.next_cursor,
        limit=3,
    )
    assert [v.product_key for v in second.items] == ["p/03", "p/04", "p/05"]


@pytest.mark.parametrize("cursor", ["nonsense!", "W10", "WyJhbGVydHMiLDEsIngiXQ"])
def test_a_cursor_from_elsewhere_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        list_scores(MemoryReadModel(), cursor=cursor)


def test_a_cursor_of_another_order_is_refused() -> None:
    model = MemoryReadModel()
    project(model, scores=[score(1, product_key="a"), score(2, product_key="b")])
    cursor = list_scores(model, limit=1).next_cursor
    with pytest.raises(InvalidCursorError):
        list_scores(model, sort=ScoreSort.UPDATED_AT, cursor=cursor)


def test_signals_by_product_region_level_and_window() -> None:
    model = MemoryReadModel()
    project(
        model,
        signals=[
            signal_at("s1", 0),
            signal_at("s2", 10, risk_level="medium"),
            signal_at("s3", 20, jurisdiction="310104"),
            signal_at("s4", 30, product_key="other/acme/z"),
        ],
    )
    assert _signal_ids(list_signals(model)) == ["s4", "s3", "s2", "s1"]
    assert _signal_ids(list_signals(model, product_key=PRODUCT)) == ["s3", "s2", "s1"]
    assert _signal_ids(list_signals(model, scope="140000")) == ["s4", "s2", "s1"]
    assert _signal_ids(list_signals(model, risk_levels=["medium"])) == ["s2"]
    window = list_signals(model, since=T0 + timedelta(minutes=10), until=T0 + timedelta(minutes=30))
    assert _signal_ids(window) == ["s3", "s2"]
    first = list_signals(model, limit=3)
    assert _signal_ids(list_signals(model, cursor=first.next_cursor)) == ["s1"]


def test_alerts_by_kind_region_and_window() -> None:
    model = MemoryReadModel()
    project(
        model,
        alerts=[
            alert("a1", minutes=0),
            alert("a2", minutes=5, jurisdiction="310100"),
            alert("a3", minutes=9, kind=AlertKind.INVESTIGATION_OPENED, jurisdiction=None),
        ],
    )
    assert _alert_ids(list_alerts(model)) == ["a3", "a2", "a1"]
    assert _alert_ids(list_alerts(model, kinds=["regional_signal"])) == ["a2", "a1"]
    assert _alert_ids(list_alerts(model, scope="140100")) == ["a1"]
    assert _alert_ids(list_alerts(model, since=T0 + timedelta(minutes=1))) == ["a3", "a2"]


def test_product_risk_is_the_score_and_the_signals_oldest_first() -> None:
    model = MemoryReadModel()
    assert product_risk(model, PRODUCT).score is None
    project(model, scores=[score(70)], signals=[signal_at("s2", 5), signal_at("s1", 0)])
    history = product_risk(model, PRODUCT)
    assert history.score is not None and history.score.score == 70
    assert [s.signal_id for s in history.signals] == ["s1", "s2"]


def test_station_health_counts_the_window_and_remembers_the_last_contact() -> None:
    now = T0 + timedelta(days=10)
    model = MemoryReadModel(
        traffic=[
            StationTraffic("st-1", T0),  # before the window: last accepted, not counted
            StationTraffic("st-1", now - timedelta(hours=2), "bad_signature"),
            StationTraffic("st-1", now - timedelta(hours=1), "schema"),
            StationTraffic("st-1", now - timedelta(hours=1), "schema"),
            StationTraffic("st-2", now),
        ],
        last_seen={"st-1": T0 + timedelta(minutes=5)},  # a resend after the last event
    )
    health = station_health(model, "st-1", window=timedelta(days=1), now=now)
    assert health.accepted == 0
    assert dict(health.rejected) == {"bad_signature": 1, "schema": 2}
    assert health.last_accepted_at == T0
    assert health.last_seen_at == T0 + timedelta(minutes=5)  # as the intake keeps it
    assert station_health(model, "st-9", now=now).last_seen_at is None


def _signal_ids(page: Page[SignalRaised]) -> list[str]:
    return [s.signal_id for s in page.items]


def _alert_ids(page: Page[Alert]) -> list[str]:
    return [a.alert_id for a in page.items]

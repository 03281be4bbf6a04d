"""The read model's use cases on the in-memory port: projection rules, and the pages the API
reads (`recall.service.readmodel.pages`): filters, order, keyset pages, a product's history.

The API's own cursors (signed, refused from another order) are tested in tests/unit/api."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from recall.service.paging import PageRequest
from recall.service.readmodel import pages
from recall.service.readmodel.ports import ProductFacts, ScoreSort, SignalFilter
from recall.service.readmodel.projection import ProjectionOutcome, newest_per_product, project
from schemas.risk import Alert, AlertKind, SignalRaised
from tests.support.fakes.read_model import MemoryReadModel, StationTraffic
from tests.support.readmodel import (
    EVERYTHING,
    PRODUCT,
    T0,
    MemoryPages,
    alert,
    alerts,
    every_page,
    score,
    scores,
    signal_at,
    signals,
)


def test_a_newer_score_replaces_an_older_never_the_reverse() -> None:
    model = MemoryReadModel()
    assert project(model, scores=[score(40, minutes=1, offset=5)]) == ProjectionOutcome(1, 1)
    older = project(model, scores=[score(90, minutes=0, offset=4)])
    assert (older.read, older.projected, older.skipped) == (1, 0, 1)
    assert project(model, scores=[score(40, minutes=1, offset=5)]).skipped == 1, "a replay"
    [view] = scores(model)
    assert view.score == 40


def test_equal_times_are_ordered_by_position() -> None:
    model = MemoryReadModel()
    project(model, scores=[score(10, offset=7)])
    assert project(model, scores=[score(20, offset=6)]).projected == 0
    assert project(model, scores=[score(30, offset=8)]).projected == 1
    assert [v.score for v in scores(model)] == [30]


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
    regions = {v.product_key: (v.region, v.category) for v in scores(model)}
    assert regions == {PRODUCT: ("140100", "appliances"), other: ("310104", "appliances")}
    assert [v.product_key for v in scores(model, region="140000")] == [PRODUCT]
    assert [v.product_key for v in scores(model, region="310100")] == [other]


def test_scores_page_through_every_row_once_in_order() -> None:
    model = MemoryReadModel()
    project(model, scores=[score(n % 7, product_key=f"p/{n:02}", minutes=n) for n in range(23)])
    walked = every_page(
        lambda r: pages.score_page(model, EVERYTHING, r), PageRequest(ScoreSort.SCORE, True, 5)
    )
    seen = [(v.score, v.product_key) for page in walked for v in page.items]
    assert len(walked) == 5
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == len(set(seen)) == 23
    oldest_first = PageRequest(ScoreSort.UPDATED_AT, False, 3)
    first = pages.score_page(model, EVERYTHING, oldest_first)
    assert [v.product_key for v in first.items] == ["p/00", "p/01", "p/02"]
    assert first.next_after == (T0 + timedelta(minutes=2), "p/02")
    after = PageRequest(ScoreSort.UPDATED_AT, False, 3, first.next_after)
    second = pages.score_page(model, EVERYTHING, after)
    assert [v.product_key for v in second.items] == ["p/03", "p/04", "p/05"]


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
    assert _signal_ids(signals(model)) == ["s4", "s3", "s2", "s1"]
    assert _signal_ids(signals(model, product_key=PRODUCT)) == ["s3", "s2", "s1"]
    assert _signal_ids(signals(model, region="140000")) == ["s4", "s2", "s1"]
    assert _signal_ids(signals(model, risk_levels=["medium"])) == ["s2"]
    window = signals(model, since=T0 + timedelta(minutes=10), until=T0 + timedelta(minutes=30))
    assert _signal_ids(window) == ["s3", "s2"]
    request, everything = PageRequest("raised_at", True, 3), SignalFilter()
    first = pages.signal_page(model, EVERYTHING, request, everything)
    rest = pages.signal_page(
        model, EVERYTHING, replace(request, after=first.next_after), everything
    )
    assert _signal_ids(rest.items) == ["s1"] and rest.next_after is None


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
    assert _alert_ids(alerts(model)) == ["a3", "a2", "a1"]
    assert _alert_ids(alerts(model, kinds=["regional_signal"])) == ["a2", "a1"]
    assert _alert_ids(alerts(model, region="140100")) == ["a1"]
    assert _alert_ids(alerts(model, since=T0 + timedelta(minutes=1))) == ["a3", "a2"]


def test_a_products_view_is_its_score_and_its_signals_oldest_first() -> None:
    model = MemoryPages()
    assert pages.product_view(model, PRODUCT, EVERYTHING) is None, "nothing known of it yet"
    project(model, scores=[score(70)], signals=[signal_at("s2", 5), signal_at("s1", 0)])
    view = pages.product_view(model, PRODUCT, EVERYTHING)
    assert view is not None and view.score is not None and view.score.score == 70
    assert [s.signal_id for s in view.history] == ["s1", "s2"]
    unseen = pages.product_view(model, PRODUCT, None)
    assert unseen is not None and unseen.history == []


def test_station_health_counts_the_window_and_remembers_the_last_contact() -> None:
    now = T0 + timedelta(days=10)
    model = MemoryPages(
        traffic=[
            StationTraffic("st-1", T0),  # before the window: last accepted, not counted
            StationTraffic("st-1", now - timedelta(hours=2), "bad_signature"),
            StationTraffic("st-1", now - timedelta(hours=1), "schema"),
            StationTraffic("st-1", now - timedelta(hours=1), "schema"),
            StationTraffic("st-2", now),
        ],
        last_seen={"st-1": T0 + timedelta(minutes=5)},  # a resend after the last event
    )
    record, health = pages.station_view(model, "st-1", now - timedelta(days=1))
    assert record is None  # the fake keeps no station register
    assert health.accepted == 0
    assert dict(health.rejected) == {"bad_signature": 1, "schema": 2}
    assert health.last_accepted_at == T0
    assert health.last_seen_at == T0 + timedelta(minutes=5)  # as the intake keeps it
    assert pages.station_view(model, "st-9", now - timedelta(days=7))[1].last_seen_at is None


def _signal_ids(items: list[SignalRaised]) -> list[str]:
    return [s.signal_id for s in items]


def _alert_ids(items: list[Alert]) -> list[str]:
    return [a.alert_id for a in items]

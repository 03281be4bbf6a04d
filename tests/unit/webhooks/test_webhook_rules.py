"""The pure webhook rules: who receives an alert, the backoff schedule, the auto-pause."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from recall.domain.webhooks import (
    AlertFacts,
    EndpointHealth,
    Filters,
    Outcome,
    PauseRule,
    RetryPolicy,
    WebhookFilterError,
    check_regions,
    in_owner_area,
    is_success,
    matches,
)

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _alert(
    jurisdiction: str | None = "140105",
    kind: str = "recall_lagging",
    severity: str = "warning",
    category: str | None = "children",
) -> AlertFacts:
    return AlertFacts(kind, severity, category, jurisdiction)


@pytest.mark.parametrize(
    ("owner", "place", "inside"),
    [
        ("140000", "140105", True),  # a province covers its counties
        ("140100", "140105", True),  # a city its counties
        ("140105", "140105", True),  # a county itself
        ("140105", "140106", False),  # not a neighbour
        ("140100", "140200", False),  # not another city
        ("140100", "140000", False),  # not the province above it
        ("140000", "150105", False),  # not another province
        ("140105", None, False),  # no jurisdiction: nobody's
        ("140000", None, False),
        (None, "150105", True),  # a national owner: every coded region
        (None, None, False),
        ("140105", "14010X", False),  # not a place
    ],
)
def test_never_outside_the_owners_jurisdiction(
    owner: str | None, place: str | None, inside: bool
) -> None:
    assert in_owner_area(owner, place) is inside
    # No filter widens the owner's area: even one naming the place (or nothing at all).
    assert matches(owner, Filters(), _alert(place)) is inside
    if place is not None and len(place) == 6 and place.isdigit():
        assert matches(owner, Filters.of(regions=[place]), _alert(place)) is inside


def test_empty_filters_admit_everything_inside_the_area() -> None:
    assert matches("140000", Filters(), _alert(category=None))


def test_each_filter_is_any_of() -> None:
    filters = Filters.of(
        kinds=["recall_lagging", "referral"],
        severities=["warning", "critical"],
        categories=["children"],
        regions=["140100", "140300"],
    )
    assert matches("140000", filters, _alert())
    assert matches("140000", filters, _alert("140302", kind="referral", severity="critical"))
    assert not matches("140000", filters, _alert(kind="investigation_opened"))
    assert not matches("140000", filters, _alert(severity="info"))
    assert not matches("140000", filters, _alert(category="vehicles"))
    assert not matches("140000", filters, _alert(category=None))  # a station alert: no category
    assert not matches("140000", filters, _alert("140202"))  # the province's, not the filter's


def test_region_filters_by_prefix_of_significant_digits() -> None:
    county = Filters.of(regions=["140105"])
    assert matches("140000", county, _alert("140105"))
    assert not matches("140000", county, _alert("140106"))
    province = Filters.of(regions=["140000"])
    assert matches("140000", province, _alert("140105"))


def test_region_filters_outside_the_owners_area_are_refused_by_name() -> None:
    assert check_regions("140100", ["140105", "140100", "140105"]) == ("140105", "140100")
    with pytest.raises(WebhookFilterError, match="140200, 140000 lie outside your jurisdiction"):
        check_regions("140100", ["140105", "140200", "140000"])
    with pytest.raises(WebhookFilterError, match="six ASCII digits"):
        check_regions("140100", ["1401"])
    assert check_regions(None, ["650100"]) == ("650100",)


def test_backoff_doubles_to_the_cap_with_full_jitter() -> None:
    policy = RetryPolicy(base_s=0.5, cap_s=5.0, max_attempts=8)
    assert [policy.ceiling(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    assert policy.ceiling(10_000) == 5.0  # no overflow on a huge count
    rng = random.Random(7)
    delays = [policy.delay(4, rng.uniform) for _ in range(2000)]
    assert all(0.0 <= d <= 4.0 for d in delays)
    assert min(delays) < 0.2 and max(delays) > 3.8  # the whole window, not a band near the top
    assert policy.next_attempt(T0, 1, lambda low, high: high) == T0 + timedelta(seconds=0.5)
    assert policy.schedule()[:3] == [(1, 0.5), (2, 1.0), (3, 2.0)]


def test_the_budget_ends_in_a_dead_letter() -> None:
    policy = RetryPolicy(base_s=1, cap_s=10, max_attempts=3)
    assert [policy.after_failure(n) for n in (1, 2, 3, 4)] == [
        Outcome.RETRY,
        Outcome.RETRY,
        Outcome.DEAD,
        Outcome.DEAD,
    ]
    with pytest.raises(ValueError, match="0 < base <= cap"):
        RetryPolicy(base_s=2, cap_s=1, max_attempts=3)


@pytest.mark.parametrize(
    ("status", "ok"), [(200, True), (204, True), (299, True), (301, False), (410, False),
                       (503, False), (None, False)]
)  # fmt: skip
def test_only_2xx_acknowledges(status: int | None, ok: bool) -> None:
    assert is_success(status) is ok


def test_pause_needs_failures_in_a_row_and_a_failing_time() -> None:
    rule = PauseRule(after_failures=3, after=timedelta(minutes=10))
    health = EndpointHealth()
    for minute in (0, 1, 2):
        health = health.failed(T0 + timedelta(minutes=minute))
    assert health == EndpointHealth(3, T0)
    assert not rule.should_pause(health, T0 + timedelta(minutes=2))  # enough failures, too soon
    assert rule.should_pause(health, T0 + timedelta(minutes=10))
    once = EndpointHealth().failed(T0)
    assert not rule.should_pause(once, T0 + timedelta(days=1))  # long ago, but only once
    assert EndpointHealth.succeeded() == EndpointHealth()
    assert "3 failed attempts in a row" in rule.reason(health)

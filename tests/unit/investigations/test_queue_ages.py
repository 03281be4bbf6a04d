"""The open queue by state and age band: band edges, closed states left out, the oldest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from recall.domain.investigations.ages import AGE_BANDS, age_band, queue_ages

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)


def test_each_band_ends_just_before_its_bound() -> None:
    for (name, days), following in pairwise(AGE_BANDS):
        assert days is not None
        assert age_band(NOW - timedelta(days=days) + timedelta(seconds=1), NOW) == name
        assert age_band(NOW - timedelta(days=days), NOW) == following[0]
    assert age_band(NOW - timedelta(days=4000), NOW) == AGE_BANDS[-1][0]
    assert age_band(NOW + timedelta(hours=1), NOW) == AGE_BANDS[0][0]  # a clock ahead


def test_counts_by_state_and_band_and_the_oldest() -> None:
    rows = [
        ("opened", NOW - timedelta(days=1)),
        ("opened", NOW - timedelta(days=40)),
        ("assigned", NOW - timedelta(days=40)),
        ("assigned", NOW - timedelta(days=200)),
        ("concluded", NOW - timedelta(days=900)),  # not open: not counted, not the oldest
    ]
    ages = queue_ages(rows, NOW)
    assert ages.bands == tuple(name for name, _ in AGE_BANDS)
    assert ages.counts == {"opened": [1, 0, 1, 0], "assigned": [0, 0, 1, 1]}
    assert ages.oldest_opened_at == NOW - timedelta(days=200)
    assert queue_ages([], NOW).oldest_opened_at is None

"""Traffic buckets on China's clock and a station's condition from its own window (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from recall.domain.station_condition import (
    CADENCE_FACTOR,
    MIN_SILENCE,
    Condition,
    assess,
    silence_threshold,
)
from recall.domain.traffic import DEFAULT_COUNT, MAX_BUCKETS, BucketError, Width, buckets, floor

BEIJING = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 1, 15, 42, tzinfo=UTC)  # 09:15:42 in Beijing
WEEK = timedelta(days=7)


@pytest.mark.parametrize("width", list(Width))
def test_buckets_are_whole_units_of_chinas_clock_ending_with_the_current_one(width: Width) -> None:
    cut = buckets(width, now=NOW)
    starts = cut.starts()
    assert len(starts) == cut.count == DEFAULT_COUNT[width]
    assert starts[0] == cut.origin and cut.end == starts[-1] + width.delta
    assert starts[-1] <= NOW < cut.end
    local = [s.astimezone(BEIJING) for s in starts]
    assert all(s.second == 0 and s.microsecond == 0 for s in local)
    if width is not Width.MINUTE:
        assert all(s.minute == 0 for s in local)
    if width is Width.DAY:
        assert all(s.hour == 0 for s in local)  # midnight in Beijing: 16:00 UTC the day before
        assert starts[-1] == datetime(2026, 3, 1, 16, tzinfo=UTC)


def test_a_moment_falls_in_the_bucket_that_holds_it() -> None:
    cut = buckets(Width.HOUR, now=NOW)
    for n, start in enumerate(cut.starts()):
        assert cut.index(start) == n
        assert cut.index(start + timedelta(minutes=59, seconds=59)) == n
    assert cut.index(cut.origin - timedelta(microseconds=1)) is None
    assert cut.index(cut.end) is None


def test_a_range_is_widened_to_whole_buckets_and_bounded() -> None:
    cut = buckets(
        Width.DAY,
        now=NOW,
        start=datetime(2026, 2, 1, 17, tzinfo=UTC),  # 2 Feb 01:00 in Beijing
        end=datetime(2026, 2, 3, 16, tzinfo=UTC),  # 4 Feb 00:00 in Beijing, exactly
    )
    assert cut.origin == floor(datetime(2026, 2, 1, 17, tzinfo=UTC), Width.DAY)
    assert cut.origin == datetime(2026, 2, 1, 16, tzinfo=UTC) and cut.count == 2
    with pytest.raises(BucketError):
        buckets(Width.HOUR, now=NOW, start=NOW, end=NOW - timedelta(hours=1))
    with pytest.raises(BucketError, match="at most"):
        buckets(Width.MINUTE, now=NOW, start=NOW - timedelta(minutes=MAX_BUCKETS + 1))


def test_the_silence_threshold_follows_the_stations_own_cadence() -> None:
    assert silence_threshold(0, WEEK) == WEEK  # nothing in the window: the window
    assert silence_threshold(1, WEEK) == WEEK  # never beyond it
    assert silence_threshold(70, WEEK) == CADENCE_FACTOR * WEEK / 70
    assert silence_threshold(100_000, WEEK) == MIN_SILENCE  # never below an hour


def _assess(**changes: object) -> Condition:
    facts: dict[str, object] = {
        "enabled": True,
        "last_seen_at": NOW - timedelta(minutes=5),
        "accepted": 700,
        "rejected": 0,
        "window": WEEK,
        "now": NOW,
    }
    facts.update(changes)
    return assess(**facts).condition  # type: ignore[arg-type]


def test_conditions_worst_first() -> None:
    quiet = CADENCE_FACTOR * WEEK / 700 + timedelta(minutes=1)
    assert _assess() is Condition.OK
    assert _assess(last_seen_at=NOW - quiet) is Condition.SILENT
    assert _assess(last_seen_at=None, accepted=0) is Condition.SILENT
    assert _assess(rejected=78) is Condition.FAILING  # 78 / 778 ≥ 10 %
    assert _assess(rejected=77) is Condition.OK  # 77 / 777 < 10 %
    assert _assess(rejected=500, last_seen_at=NOW - quiet) is Condition.SILENT  # silence first
    assert _assess(enabled=False, last_seen_at=None) is Condition.DISABLED
    assert [c.rank for c in Condition] == sorted(c.rank for c in Condition)


def test_a_firm_is_never_silent_but_can_be_failing() -> None:
    """Firms report when they run a recall; a quiet one is the recall deadline rule's business."""
    never = assess(enabled=True, last_seen_at=None, accepted=0, rejected=0, window=WEEK, now=NOW,
                   reports_on_a_cadence=False)  # fmt: skip
    assert never.condition is Condition.OK
    refused = assess(enabled=True, last_seen_at=None, accepted=1, rejected=3, window=WEEK,
                     now=NOW, reports_on_a_cadence=False)  # fmt: skip
    assert refused.condition is Condition.FAILING

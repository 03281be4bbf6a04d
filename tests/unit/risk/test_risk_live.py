"""The incremental live detector: state updates, ordering, gaps, serialisation, size."""

import sys

import pytest

from recall.domain.risk.detectors import LiveState, update
from recall.domain.risk.detectors.live import (
    WEEKLY,
    LiveParams,
    close_open_periods,
    detect_live,
    judge_open_period,
)
from recall.domain.risk.errors import InvalidInputError, OutOfOrderPeriodError


def feed(counts: list[int], params: LiveParams = WEEKLY) -> LiveState:
    state = LiveState()
    for period, count in enumerate(counts):
        state = update(state, period, count, params).state
    return state


def test_baseline_is_lagged_by_the_guard_band() -> None:
    state = feed([4] * 20)
    assert state.recent == (4, 4)  # guard = 2 counts not yet absorbed
    assert state.seen == 18
    assert state.mean == pytest.approx(4.0)


def test_spike_after_warmup_alarms_and_is_winsorised() -> None:
    state = feed([4] * 20)
    step = update(state, 20, 30)
    assert step.detection.alarm
    assert step.detection.expected == pytest.approx(4.0)
    later = feed([4] * 20 + [30, 4, 4])
    assert later.mean < 4.0 + 2.58 * 2.0  # the spike entered clipped, not at 30


def test_no_alarm_during_warmup() -> None:
    assert not update(feed([1, 1, 1]), 3, 50).detection.alarm


def test_out_of_order_and_negative_counts_are_refused() -> None:
    state = feed([1, 2, 3])
    with pytest.raises(OutOfOrderPeriodError):
        update(state, 2, 1)
    with pytest.raises(InvalidInputError):
        update(state, 3, -1)


def test_gaps_count_as_zero_periods() -> None:
    gapped = update(feed([4] * 10), 12, 4).state
    explicit = feed([4] * 10 + [0, 0, 4])
    assert gapped == explicit


def test_record_round_trip_and_small_footprint() -> None:
    state = feed([3, 5, 4, 6] * 10)
    assert LiveState.from_record(state.as_record()) == state
    size = sys.getsizeof(state) + sys.getsizeof(state.recent)
    assert size < 200


def test_batch_replay_matches_the_stream() -> None:
    counts = [3, 5, 4, 6] * 10 + [25]
    state = feed(counts[:-1])
    assert detect_live(counts, len(counts) - 1) == update(state, len(counts) - 1, 25).detection


def _warm(periods: int = 40) -> LiveState:
    state = LiveState()
    for period in range(periods):
        state = update(state, period, 2 + period % 3, WEEKLY).state
    return state


def test_an_open_period_is_judged_with_earlier_open_periods_folded_in() -> None:
    state = _warm()
    open_counts = {40: 3, 41: 20}
    folded = update(state, 40, 3, WEEKLY).state
    expected = update(folded, 41, 20, WEEKLY).detection
    assert judge_open_period(state, open_counts, 41, WEEKLY) == expected
    assert expected.alarm
    assert open_counts == {40: 3, 41: 20}, "judging leaves the open periods open"


def test_a_period_behind_the_baseline_is_not_judged() -> None:
    assert judge_open_period(_warm(), {10: 5}, 10, WEEKLY) is None


def test_closing_absorbs_in_order_and_keeps_later_periods_open() -> None:
    state = _warm()
    open_counts = {42: 4, 40: 2, 43: 1}
    closed = close_open_periods(state, open_counts, 42, WEEKLY)
    by_hand = update(update(state, 40, 2, WEEKLY).state, 42, 4, WEEKLY).state
    assert closed == by_hand
    assert open_counts == {43: 1}

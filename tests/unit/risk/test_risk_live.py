"""The incremental live detector: state updates, ordering, gaps, serialisation, size."""

import sys

import pytest

from recall.domain.risk.detectors import LiveState, update
from recall.domain.risk.detectors.live import WEEKLY, LiveParams, detect_live
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

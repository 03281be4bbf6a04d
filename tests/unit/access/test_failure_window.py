"""The failure window behind 429s: counts per key, frees a key as failures age, stays bounded."""

from __future__ import annotations

import pytest

from recall.domain.throttle import FailureWindow


def test_a_key_is_blocked_at_the_limit_until_its_oldest_failure_leaves_the_window() -> None:
    window = FailureWindow(limit=3, window_s=60)
    for second in (0, 10, 20):
        assert window.retry_after("k", second) == 0
        window.record("k", second)
    assert window.retry_after("k", 20) == 40
    assert window.retry_after("k", 59.5) == 1
    assert window.retry_after("k", 60) == 0  # the failure at 0 has left
    assert window.failures("k", 60) == 2
    assert window.retry_after("other", 20) == 0


def test_failures_after_the_limit_extend_the_wait_to_the_right_failure() -> None:
    window = FailureWindow(limit=2, window_s=10)
    for second in (0, 1, 2, 3):
        window.record("k", second)
    assert window.retry_after("k", 3) == 9  # the 2nd newest (at 2) leaves at 12


def test_old_keys_are_forgotten_beyond_max_keys_and_when_their_failures_age() -> None:
    window = FailureWindow(limit=1, window_s=100, max_keys=2)
    window.record("a", 0)
    window.record("b", 1)
    window.record("c", 2)
    assert window.failures("a", 2) == 0
    assert window.retry_after("b", 2) > 0 and window.retry_after("c", 2) > 0
    assert window.failures("c", 200) == 0
    assert "c" not in window._failures


@pytest.mark.parametrize(("limit", "window_s"), [(0, 10), (1, 0)])
def test_nonsense_settings_are_refused(limit: int, window_s: float) -> None:
    with pytest.raises(ValueError, match="limit >= 1"):
        FailureWindow(limit=limit, window_s=window_s)

"""Temporal detectors: hand-computed EARS values, spikes, quiet series, prospectiveness."""

import math
import random
import statistics

import pytest

from recall.domain.risk.detectors import METHOD_NAMES, Frequency, get_method
from recall.domain.risk.detectors.ears import detect_c1, detect_c2, detect_c3
from recall.domain.risk.errors import InvalidInputError, UnknownMethodError

FLAT = [5] * 200  # long enough for every weekly method (CUSUM needs 3 years)
SPIKE = [*FLAT[:-1], 30]


def test_c1_by_hand() -> None:
    # baseline 1..7: mean 4, sample variance 28/6, so C1 = (12 - 4) / sqrt(28/6) = 3.7033
    result = detect_c1([1, 2, 3, 4, 5, 6, 7, 12], 7)
    assert result.score == pytest.approx(8 / math.sqrt(28 / 6))
    assert result.expected == 4.0
    assert result.threshold == pytest.approx(4 + 3 * math.sqrt(28 / 6))
    assert result.alarm


def test_c2_skips_a_two_period_guard_band() -> None:
    # baseline is periods 0..6 (1..7); periods 7 and 8 (the guard) are ignored
    counts = [1, 2, 3, 4, 5, 6, 7, 100, 100, 12]
    assert detect_c2(counts, 9).score == pytest.approx(8 / math.sqrt(28 / 6))


def test_c3_sums_the_last_three_c2_exceedances() -> None:
    counts = [4, 6, 4, 6, 4, 6, 4, 6, 4, 6, 4, 9, 9, 9]
    expected = 0.0
    for t in (11, 12, 13):
        window = counts[t - 9 : t - 2]
        z = (counts[t] - statistics.fmean(window)) / statistics.stdev(window)
        expected += max(0.0, z - 1)
    result = detect_c3(counts, 13)
    assert result.score == pytest.approx(expected)
    assert result.alarm is (expected > 2)


def test_flat_baseline_uses_the_sd_floor() -> None:
    assert detect_c1([5] * 7 + [6], 7).score == pytest.approx(1 / 0.2)


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_spike_alarms_and_quiet_period_does_not(name: str) -> None:
    method = get_method(name)
    assert method.detect(SPIKE, len(SPIKE) - 1).alarm
    assert not method.detect(FLAT, len(FLAT) - 1).alarm


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_quiet_poisson_series_rarely_alarms(name: str) -> None:
    rng = random.Random(3)
    counts = [_poisson(rng, 20.0) for _ in range(200)]
    alarms = sum(d.alarm for d in get_method(name).scan(counts, 180))
    assert alarms <= 3


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_detection_is_prospective(name: str) -> None:
    rng = random.Random(7)
    counts = [_poisson(rng, 6.0) for _ in range(200)]
    t = 185
    changed = counts[: t + 1] + [500] * (len(counts) - t - 1)
    method = get_method(name)
    assert method.detect(counts, t) == method.detect(changed, t)
    assert method.detect(counts, t) == method.detect(counts[: t + 1], t)


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_scan_equals_detect_for_each_period(name: str) -> None:
    rng = random.Random(11)
    counts = [_poisson(rng, 4.0) for _ in range(180)]
    counts[176] += 15
    method = get_method(name)
    assert method.scan(counts, 174) == [method.detect(counts, t) for t in range(174, 180)]


def test_short_history_gives_no_decision() -> None:
    result = get_method("farrington_flexible").detect([3, 4, 5], 2)
    assert not result.alarm
    assert result.threshold == math.inf
    assert result.expected == pytest.approx(3.5)


def test_daily_methods_are_configured() -> None:
    rng = random.Random(5)
    counts = [_poisson(rng, 3.0 if i % 7 < 5 else 1.0) for i in range(800)]
    counts[-1] = 40
    for name in ("farrington_flexible", "harmonic_nb"):
        assert get_method(name, Frequency.DAILY).detect(counts, 799).alarm


def test_unknown_method_and_bad_period_are_refused() -> None:
    with pytest.raises(UnknownMethodError, match="ears_c1"):
        get_method("magic")
    with pytest.raises(InvalidInputError):
        get_method("ears_c1").detect(FLAT, 200)


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method; enough for small means in tests."""
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k

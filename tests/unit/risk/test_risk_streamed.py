"""The streamed detector: the cold-start ladder, equality with the offline harmonic method,
independence from the lateness window, bounded state, and one fit per period."""

from __future__ import annotations

import random

import pytest

from recall.domain.risk.detectors import Frequency, get_method, harmonic, streamed
from recall.domain.risk.detectors.streamed import (
    COLD_START,
    HARMONIC,
    LIVE,
    StreamSeries,
    judge,
    scan_stream,
)


def _poisson(rng: random.Random, mean: float) -> int:
    total, k = 0.0, 0
    while True:
        total += rng.expovariate(mean)
        if total > 1.0:
            return k
        k += 1


def _series(n: int, mean: float, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [_poisson(rng, mean) for _ in range(n)]


def test_the_ladder_climbs_with_the_age_of_the_series() -> None:
    params = streamed.WEEKLY
    counts = _series(80, 4.0, 1)
    counts[5] = counts[30] = counts[70] = 40  # judged (>= min_cases) at every age
    rungs = {t: j.detector for t, j in enumerate(scan_stream(counts, 0, params))}
    assert rungs[5] == COLD_START, "under live_nb's 8-week warm-up and 2-week guard"
    assert rungs[30] == LIVE, "warm, but under a year of history"
    assert rungs[70] == HARMONIC, "a year and the guard: the offline method's own rule"


def test_a_new_product_that_hurts_five_people_in_a_week_is_signalled() -> None:
    series = StreamSeries()
    for day in range(5):
        series.add(100 + day)
    judgement = judge(series, 104, streamed.DAILY)
    assert judgement.detector == COLD_START
    assert not judgement.detection.alarm, "one case a day: under the daily floor of 3"
    series.add(104, 2)
    alarmed = judge(series, 104, streamed.DAILY)
    assert alarmed.detection.alarm and alarmed.detection.expected == pytest.approx(0.7)


def test_a_steady_young_product_is_not_signalled_by_its_own_rate() -> None:
    """Three a week since its first report: the cold-start prior has moved to the series."""
    series = StreamSeries()
    alarms = []
    for week in range(6):
        for day in (0, 2, 4):
            series.add(7 * week + day)
        alarms.append(judge(series, 7 * week + 4, streamed.DAILY).detection.alarm)
        series.close(7 * week + 4 - 7, streamed.DAILY)
    assert alarms[0] is False
    assert not any(alarms[2:])


@pytest.mark.parametrize("frequency", [Frequency.WEEKLY, Frequency.DAILY])
def test_with_a_year_of_history_the_stream_is_the_offline_harmonic_method(
    frequency: Frequency,
) -> None:
    params = streamed.params_for(frequency)
    n = 420 if frequency is Frequency.DAILY else 90
    counts = _series(n, 3.0, 7)
    counts[-3] += 12
    start = n - 20
    stream = get_method("stream", frequency).scan(counts, start)
    offline = get_method("harmonic_nb", frequency).scan(counts, start)
    for t, (s, o) in enumerate(zip(stream, offline, strict=True), start=start):
        if counts[t] >= params.min_cases:
            assert s == o, f"period {t}"
        else:
            assert s.score == 0.0 and not s.alarm, "under the floor: never a signal"
    assert any(s.alarm for s in stream), "the injected excess is found"


@pytest.mark.parametrize(
    ("frequency", "lateness"), [(Frequency.DAILY, 7), (Frequency.WEEKLY, 3), (Frequency.DAILY, 3)]
)
def test_judgements_do_not_depend_on_how_long_periods_stay_open(
    frequency: Frequency, lateness: int
) -> None:
    params = streamed.params_for(frequency)
    n = 420 if frequency is Frequency.DAILY else 90
    counts = _series(n, 2.0, 3)
    counts[n - 5] += 10
    assert scan_stream(counts, 0, params, lateness=lateness) == scan_stream(counts, 0, params)


def test_closed_history_is_bounded_and_the_state_round_trips() -> None:
    params = streamed.DAILY
    series = StreamSeries()
    for day in range(2000):
        series.add(day, 1 + day % 3)
        series.close(day - 7, params)
    assert len(series.closed) <= params.keep + 1
    assert len(series.open) == 7
    series.add(1999, 20)
    judge(series, 1999, params)
    again = StreamSeries.from_json(series.to_json())
    assert again == series
    assert again.fit is not None and again.fit.period == 1999


def test_a_period_is_fitted_once_however_many_cases_it_gets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    params = streamed.WEEKLY
    series = StreamSeries()
    for week, count in enumerate(_series(70, 3.0, 5)):
        series.add(week, count)
        series.close(week - 2, params)
    fits = []
    real = harmonic.predict

    def counting(*args: object, **kwargs: object) -> harmonic.Prediction:
        fits.append(args[1])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(harmonic, "predict", counting)
    series.add(70, 3)
    first = judge(series, 70, params)
    for _ in range(5):
        series.add(70)
        judge(series, 70, params)
    assert first.detector == HARMONIC
    assert len(fits) == 1


def test_a_case_for_a_closed_period_is_refused_not_counted() -> None:
    series = StreamSeries()
    series.add(10)
    series.close(10, streamed.DAILY)
    assert series.add(9) is False and series.add(10) is False
    assert series.add(11) is True
    assert series.count(10) == 1 and series.count(11) == 1

"""The station-health verdicts, pure: learned cadence, silence odds, cold start, feed hysteresis."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from recall.domain.station_health import (
    HOURS_PER_WEEK,
    Change,
    FeedRule,
    SilenceRule,
    epoch_hour,
    feed_change,
    hour_of_week,
    judge_feed,
    judge_silence,
    learn_cadence,
    silence_change,
    silence_odds,
)

MONDAY = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)  # Monday 2026-03-02 00:00 in China
RULE = SilenceRule()


def _steady(per_hour: int, weeks: int = 4) -> tuple[dict[int, int], int, int]:
    first = epoch_hour(MONDAY)
    end = first + weeks * HOURS_PER_WEEK
    return dict.fromkeys(range(first, end), per_hour), first, end


def test_hours_of_the_week_run_on_china_time() -> None:
    assert hour_of_week(epoch_hour(MONDAY)) == 0
    assert hour_of_week(epoch_hour(MONDAY + timedelta(days=6, hours=23))) == 167


def test_a_sparse_hour_is_shrunk_toward_the_overall_rate_never_zero() -> None:
    first = epoch_hour(MONDAY)
    end = first + 4 * HOURS_PER_WEEK
    counts = {first + 10 + w * HOURS_PER_WEEK: 7 for w in range(4)}  # Monday 10:00 only
    cadence = learn_cadence(counts, first, end, prior_weeks=1.0)
    overall = 28 / (4 * HOURS_PER_WEEK)
    assert cadence.rates[10] == pytest.approx((28 + overall) / 5)
    assert cadence.rates[11] == pytest.approx(overall / 5) and cadence.rates[11] > 0
    assert cadence.events == 28 and cadence.hours == 4 * HOURS_PER_WEEK


def test_a_regular_feed_is_poisson_and_its_silence_odds_are_exp_minus_expected() -> None:
    counts, first, end = _steady(6)
    cadence = learn_cadence(counts, first, end)
    assert cadence.dispersion == 0.0 and cadence.day_dispersion == 0.0
    last = MONDAY + timedelta(weeks=4)
    odds = silence_odds(cadence, last, last + timedelta(minutes=90))
    assert odds.expected == pytest.approx(9.0)
    # Each hour's rate is known from 4 weeks of 6 (+ the prior): a little above exp(-9).
    assert math.exp(-9.0) < odds.probability < math.exp(-8.0)


def test_a_bursty_feed_is_forgiven_a_longer_silence() -> None:
    first = epoch_hour(MONDAY)
    end = first + 4 * HOURS_PER_WEEK
    coin = random.Random(3)
    batches = {h: 12 for h in range(first, end) if coin.random() < 0.5}  # uploads of twelve
    bursty, steady = learn_cadence(batches, first, end), learn_cadence(*_steady(6))
    assert bursty.dispersion > 0.5
    last = MONDAY + timedelta(weeks=4)
    two_hours = last + timedelta(hours=2)
    assert silence_odds(bursty, last, two_hours).probability > 100 * (
        silence_odds(steady, last, two_hours).probability
    )
    assert not judge_silence(bursty, last, two_hours, RULE).silent


def test_the_alarm_level_is_per_station_day() -> None:
    busy, quiet = learn_cadence(*_steady(6)), learn_cadence(*_steady(0))
    assert busy.threshold(1e-4) == pytest.approx(1e-4 / 144)
    assert quiet.threshold(1e-4) == 1e-4


def test_silent_when_unlikely_and_past_the_minimum() -> None:
    cadence = learn_cadence(*_steady(6))
    last = MONDAY + timedelta(weeks=4)
    assert not judge_silence(cadence, last, last + timedelta(minutes=10), RULE).silent
    verdict = judge_silence(cadence, last, last + timedelta(hours=4), RULE)
    assert verdict.silent and verdict.learned and verdict.judged
    assert verdict.silent_for == timedelta(hours=4) and verdict.expected == pytest.approx(24)
    eager = SilenceRule(alpha=0.4, min_silence=timedelta(hours=1))
    assert not judge_silence(cadence, last, last + timedelta(minutes=30), eager).silent


def test_no_verdict_for_the_never_seen_the_disabled_and_firms() -> None:
    cadence = learn_cadence(*_steady(6))
    now = MONDAY + timedelta(weeks=8)
    assert not judge_silence(cadence, None, now, RULE).judged
    assert not judge_silence(cadence, MONDAY, now, RULE, enabled=False).judged
    assert not judge_silence(cadence, MONDAY, now, RULE, reports_on_a_cadence=False).judged


def test_cold_start_falls_back_to_the_long_fixed_timeout() -> None:
    counts, first, _ = _steady(6)
    young = learn_cadence(counts, first, first + 5 * 24)  # five days of history
    last = MONDAY + timedelta(days=5)
    verdict = judge_silence(young, last, last + timedelta(days=3), RULE)
    assert not verdict.silent and not verdict.learned
    assert judge_silence(young, last, last + RULE.cold_timeout, RULE).silent
    assert judge_silence(None, last, last + RULE.cold_timeout, RULE).silent


def test_a_silence_ends_only_when_the_station_is_heard_from_again() -> None:
    cadence = learn_cadence(*_steady(6))
    last = MONDAY + timedelta(weeks=4)
    silent = judge_silence(cadence, last, last + timedelta(hours=5), RULE)
    well = judge_silence(cadence, last, last + timedelta(minutes=1), RULE)
    assert silence_change(None, last, silent) is Change.FIRE
    assert silence_change(last, last, silent) is Change.NONE
    assert silence_change(last, last, well) is Change.NONE  # a relearned cadence forgives: no
    assert silence_change(last, last + timedelta(hours=6), well) is Change.RESOLVE


def test_a_feed_turns_poor_and_recovers_with_hysteresis() -> None:
    rule = FeedRule(poor_share=0.2, ok_share=0.1, min_records=20)
    few = judge_feed(5, {"schema": 5}, was_poor=False, rule=rule)
    assert not few.poor and few.share == 0.5  # ten records: no verdict yet
    poor = judge_feed(16, {"schema": 3, "unauthenticated": 1}, was_poor=False, rule=rule)
    assert poor.poor and poor.reasons == (("schema", 3), ("unauthenticated", 1))
    assert feed_change(False, poor) is Change.FIRE
    hovering = judge_feed(85, {"schema": 15}, was_poor=True, rule=rule)
    assert hovering.poor and feed_change(True, hovering) is Change.NONE
    assert not judge_feed(85, {"schema": 15}, was_poor=False, rule=rule).poor
    better = judge_feed(95, {"schema": 5}, was_poor=True, rule=rule)
    assert not better.poor and feed_change(True, better) is Change.RESOLVE
    assert not judge_feed(0, {}, was_poor=True, rule=rule).poor


def test_the_page_condition_follows_the_stored_verdict() -> None:
    from recall.domain.station_condition import Condition, Judged, assess

    now = MONDAY + timedelta(weeks=5)
    week = timedelta(days=7)

    def condition(judged: Judged, last: datetime | None, rejected: int = 0, **kw: bool) -> str:
        found = assess(
            enabled=kw.get("enabled", True),
            last_seen_at=last,
            accepted=100,
            rejected=rejected,
            window=week,
            now=now,
            reports_on_a_cadence=kw.get("cadence", True),
            judged=judged,
        )
        assert found.silent_after is None
        return found.condition.value

    well, silent, poor = Judged(False, False), Judged(True, False), Judged(False, True)
    assert condition(well, now - timedelta(days=3)) == Condition.OK  # its cadence: no news
    assert condition(silent, now - timedelta(minutes=30)) == Condition.SILENT
    assert condition(poor, now) == Condition.FAILING
    assert condition(well, now, rejected=20) == Condition.FAILING  # over the reader's window
    assert condition(well, None) == Condition.SILENT  # never heard from
    assert condition(well, None, cadence=False) == Condition.OK  # a firm
    assert condition(silent, None, enabled=False) == Condition.DISABLED

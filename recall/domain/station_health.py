"""Is a station silent, is its feed poor? Verdicts learned from the station's own history.

**Silence.** One fixed timeout is wrong both ways (an emergency room reports every few
minutes, a school lab every other day), and even one timeout per station is wrong across the
week (a school is quiet every weekend). So each station gets a learned cadence: a Poisson rate
λ(h) of records (events and heartbeats) for each hour of the week h (China clock, Monday
00:00 = 0), from its hourly counts over the last weeks:

    λ(h) = (c_h + k·r) / (n_h + k)

where c_h is the records seen in the n_h observed hours that fall on h, r the station's
overall rate and k (`prior_weeks`) a pseudo-count of weeks: the Gamma-Poisson posterior mean,
which shrinks a sparse hour toward the overall rate, so an hour with nothing in four weeks
still expects a little (never zero, never a certainty). Real feeds are burstier than Poisson
(uploads in batches, busy and quiet days), so the hourly counts also give a dispersion φ
(method of moments: Var = λ + φλ²), and each hour's chance of nothing is the negative
binomial's (1 + φ·e)^(−1/φ) rather than exp(−e) — a station that uploads twelve records every
two hours is not silent after 61 minutes. For a silence from `last_seen` to `now`:

    expected = Σ e_h over the silent hours (e_h = λ(h) × the part of the hour in the silence)
    P(no record) = Π (1 + φ·e_h)^(−1/φ)            (= exp(−expected) when φ = 0)

and the station is **silent** when P < α (`SilenceRule.alpha`, e.g. 1e-4: its history makes
a record overwhelmingly likely by now) and the silence lasts at least `min_silence`.

**Cold start.** With less than `min_history` of history, or fewer than `min_events` records in
it, the learned rates mean little: the station is silent only after `cold_timeout`, a fixed
and deliberately long time (days). A station never heard from has no silence to judge (it may
not be live yet); nor a disabled one; nor a **firm**: it reports when it runs a recall, not on
a cadence, and a quiet firm in a recall is caught by the recall's own deadline rule.

**Feed quality.** The share of a station's records refused over a window: **poor** when at
least `min_records` arrived and the share reaches `poor_share`; a poor feed recovers only
when the share falls below `ok_share` (lower: hysteresis, so a share hovering at the line does
not flap) or nothing at all was refused in the window.

Pure: the caller passes the counts and `now`. Times are whole hours since the epoch (UTC
hours are China hours: the offset is a whole eight hours).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

HOURS_PER_WEEK = 168
_EPOCH_HOUR_OF_WEEK = 3 * 24 + 8
"""1970-01-01 00:00 UTC was a Thursday, 08:00 in China: hour 80 of a China week."""
_MAX_DISPERSION = 20.0
_MAX_SILENT_HOURS = 24 * 7 * 52
"""A silence longer than a year is summed up to a year: silent by any rule long before."""


def epoch_hour(moment: datetime) -> int:
    """The whole hours since 1970-01-01 00:00 UTC at `moment` (floored)."""
    return math.floor(moment.timestamp() / 3600)


def hour_of_week(hour: int) -> int:
    """The China-clock hour of the week (Monday 00:00 = 0) of an epoch hour."""
    return (hour + _EPOCH_HOUR_OF_WEEK) % HOURS_PER_WEEK


@dataclass(frozen=True, slots=True)
class SilenceRule:
    alpha: float = 1e-4
    min_silence: timedelta = timedelta(minutes=15)
    cold_timeout: timedelta = timedelta(days=14)
    min_history: timedelta = timedelta(days=14)
    min_events: int = 10
    prior_weeks: float = 1.0


@dataclass(frozen=True, slots=True)
class FeedRule:
    poor_share: float = 0.2
    ok_share: float = 0.1
    min_records: int = 20


@dataclass(frozen=True, slots=True)
class Cadence:
    """A station's learned rates: records per hour for each hour of the week."""

    rates: tuple[float, ...]
    shapes: tuple[float, ...]
    """The Gamma posterior's shape of each rate (records seen plus the prior's share): the
    rate is known to a relative variance of 1 / shape, so an hour seen busy only a few times
    counts for less than one seen busy every week."""
    dispersion: float
    """φ in Var = λ + φλ² of the hourly counts; 0 for a Poisson feed."""
    day_dispersion: float
    """The same for whole (China) days: how much busy and quiet days differ."""
    events: int
    hours: int
    """Hours of history the rates were learned from."""

    def learned(self, rule: SilenceRule) -> bool:
        """Enough history to trust the rates (else the cold-start timeout applies)."""
        return self.hours * 3600 >= rule.min_history.total_seconds() and (
            self.events >= rule.min_events
        )

    def weekly(self) -> float:
        """Records the cadence expects in a week."""
        return sum(self.rates)

    def threshold(self, alpha: float) -> float:
        """The chance below which a silence is news: α per station-day, shared out over the
        silences a day brings (about one per record), so a busy station is not judged more
        often than a quiet one."""
        return alpha / max(1.0, self.weekly() / 7)


def learn_cadence(
    counts: Mapping[int, int], first_hour: int, end_hour: int, *, prior_weeks: float = 1.0
) -> Cadence:
    """Rates from the counts per epoch hour in [first_hour, end_hour) (absent hours: none).

    Hours outside the range are ignored: history before a station's first record says
    nothing about its cadence (it was not live yet)."""
    hours = max(0, end_hour - first_hour)
    seen = [0] * HOURS_PER_WEEK
    sums = [0] * HOURS_PER_WEEK
    full, rest = divmod(hours, HOURS_PER_WEEK)
    for n in range(HOURS_PER_WEEK):
        seen[n] = full
    for hour in range(first_hour, first_hour + rest):
        seen[hour_of_week(hour)] += 1
    inside = {h: c for h, c in counts.items() if first_hour <= h < end_hour and c > 0}
    for hour, count in inside.items():
        sums[hour_of_week(hour)] += count
    total = sum(inside.values())
    overall = total / hours if hours else 0.0
    shapes = tuple(sums[n] + prior_weeks * overall for n in range(HOURS_PER_WEEK))
    rates = tuple(
        shapes[n] / (seen[n] + prior_weeks) if seen[n] + prior_weeks else 0.0
        for n in range(HOURS_PER_WEEK)
    )
    hourly = _dispersion(inside, rates, seen)
    daily = _day_dispersion(inside, rates, first_hour, end_hour)
    return Cadence(rates, shapes, hourly, daily, total, hours)


def _dispersion(counts: Mapping[int, int], rates: tuple[float, ...], seen: list[int]) -> float:
    """φ = Σ((y − λ)² − y) / Σλ² over every observed hour, floored at 0 (Poisson)."""
    squares = sum(n * r * r for n, r in zip(seen, rates, strict=True))
    if squares <= 0:
        return 0.0
    excess = squares  # every hour as if empty ((0 − λ)² − 0), then the hours with records
    for hour, y in counts.items():
        rate = rates[hour_of_week(hour)]
        excess += (y - rate) ** 2 - y - rate * rate
    return min(_MAX_DISPERSION, max(0.0, excess / squares))


def _day_dispersion(
    counts: Mapping[int, int], rates: tuple[float, ...], first_hour: int, end_hour: int
) -> float:
    """The same over China days: busy and quiet days (a day's level shared by its hours)."""
    expected: dict[int, float] = {}
    for hour in range(first_hour, end_hour):
        day = china_day(hour)
        expected[day] = expected.get(day, 0.0) + rates[hour_of_week(hour)]
    observed: dict[int, int] = {}
    for hour, y in counts.items():
        observed[china_day(hour)] = observed.get(china_day(hour), 0) + y
    squares = sum(m * m for m in expected.values())
    if squares <= 0:
        return 0.0
    excess = sum((observed.get(d, 0) - m) ** 2 - observed.get(d, 0) for d, m in expected.items())
    return min(_MAX_DISPERSION, max(0.0, excess / squares))


def china_day(hour: int) -> int:
    """The China-clock day (days since 1970-01-01 in China) of an epoch hour."""
    return (hour + 8) // 24


@dataclass(frozen=True, slots=True)
class Silence:
    expected: float
    """Records the cadence expected in the silence."""
    probability: float
    """The chance of no record at all in it, were the station well."""


def silence_odds(cadence: Cadence, last_seen: datetime, now: datetime) -> Silence:
    """Expected records and P(none) between `last_seen` and `now` (partial hours pro rata)."""
    start, end = last_seen.timestamp() / 3600, now.timestamp() / 3600
    if end <= start:
        return Silence(0.0, 1.0)
    start = max(start, end - _MAX_SILENT_HOURS)
    expected = log_p = 0.0
    days: dict[int, float] = {}
    hour = math.floor(start)
    while hour < end:
        part = min(end, hour + 1) - max(start, hour)
        slot = hour_of_week(hour)
        e = cadence.rates[slot] * part
        expected += e
        days[china_day(hour)] = days.get(china_day(hour), 0.0) + e
        shape = cadence.shapes[slot]
        log_p -= _log_none(e, cadence.dispersion + (1 / shape if shape > 0 else 0.0))
        hour += 1
    by_day = -sum(_log_none(e, cadence.day_dispersion) for e in days.values())
    return Silence(expected, math.exp(max(log_p, by_day)))


def _log_none(expected: float, phi: float) -> float:
    """−log P(no record) for a negative binomial of this mean and dispersion."""
    return math.log1p(phi * expected) / phi if phi > 0 else expected


@dataclass(frozen=True, slots=True)
class SilenceVerdict:
    silent: bool
    judged: bool
    """False: no verdict at all (never heard from, disabled, a firm)."""
    learned: bool
    """True: by the learned cadence; False: the cold-start timeout (or no verdict)."""
    silent_for: timedelta
    expected: float
    probability: float


def judge_silence(
    cadence: Cadence | None,
    last_seen: datetime | None,
    now: datetime,
    rule: SilenceRule,
    *,
    enabled: bool = True,
    reports_on_a_cadence: bool = True,
) -> SilenceVerdict:
    """Silent or not at `now`, with the figures an alert shows."""
    if last_seen is None or not enabled or not reports_on_a_cadence:
        return SilenceVerdict(False, False, False, timedelta(0), 0.0, 1.0)
    quiet = max(timedelta(0), now - last_seen)
    odds = silence_odds(cadence, last_seen, now) if cadence else Silence(0.0, 1.0)
    learned = cadence is not None and cadence.learned(rule)
    if cadence is not None and learned:
        silent = quiet >= rule.min_silence and odds.probability < cadence.threshold(rule.alpha)
    else:
        silent = quiet >= rule.cold_timeout
    return SilenceVerdict(silent, True, learned, quiet, odds.expected, odds.probability)


@dataclass(frozen=True, slots=True)
class FeedVerdict:
    poor: bool
    received: int
    rejected: int
    share: float | None
    reasons: tuple[tuple[str, int], ...]
    """Refusals by reason, most first."""


def judge_feed(
    accepted: int, rejected: Mapping[str, int], *, was_poor: bool, rule: FeedRule
) -> FeedVerdict:
    """Poor or not over the window the counts cover, given the state before (hysteresis)."""
    refused = sum(rejected.values())
    received = accepted + refused
    share = refused / received if received else None
    reasons = tuple(sorted(((r, n) for r, n in rejected.items() if n), key=lambda p: (-p[1], p[0])))
    if was_poor:
        poor = share is not None and refused > 0 and share >= rule.ok_share
    else:
        poor = received >= rule.min_records and share is not None and share >= rule.poor_share
    return FeedVerdict(poor, received, refused, share, reasons)


class Change(StrEnum):
    """What a verdict does to the stored state: the alert to send, if any."""

    NONE = "none"
    FIRE = "fire"
    RESOLVE = "resolve"


def silence_change(
    silent_since: datetime | None, last_seen: datetime | None, verdict: SilenceVerdict
) -> Change:
    """A silence fires once (`silent_since` = the last contact before it) and ends only when
    the station is heard from again — not when a relearned cadence happens to forgive it."""
    if silent_since is None:
        return Change.FIRE if verdict.silent else Change.NONE
    if last_seen is not None and last_seen > silent_since:
        return Change.RESOLVE
    return Change.NONE


def feed_change(was_poor: bool, verdict: FeedVerdict) -> Change:
    if verdict.poor == was_poor:
        return Change.NONE
    return Change.FIRE if verdict.poor else Change.RESOLVE


def utc_hour(hour: int) -> datetime:
    """The start of an epoch hour, in UTC."""
    return datetime.fromtimestamp(hour * 3600, UTC)

"""Is a station silent, failing or fine? As the station-health alerts say, else a first rule.

Where the worker's `stations` stage has judged the station (`recall.domain.station_health`:
a cadence learned per station and hour of the week, feed quality over recent hours), its
stored verdict decides silence (`Judged`), so the page and the `station_silent` alert never
disagree — a school lab quiet for three days is not "silent" on the page while its cadence
says it is well. Two things the page adds, both shown in words: a station never heard from
is **silent** (there is no silence to alert on, but nothing has come either), and
**failing** is the alert's poor feed (`station_feed_poor`, the last hours) *or* the rule
below over the window the reader chose. Without a stored verdict (the stage not running, a
station not judged yet) the first rule below, from the station's own window, answers.

The project has no configured silence timeout (`recall.config.Settings` has none), and one
fixed timeout would be wrong both ways: a hospital emergency room reports every few minutes,
a newsroom a few times a month. So the threshold comes from the station's own traffic over
the window the counts cover (`window_days` of GET /stations):

- **silent** — enabled, and not heard from for longer than `CADENCE_FACTOR` times its mean gap
  between accepted records in the window (window ÷ accepted), but never less than
  `MIN_SILENCE` and never more than the window itself (so a station with nothing accepted
  in the window is silent); a station never heard from is silent;
- **failing** — at least `FAILING_SHARE` of its records in the window were refused;
- **disabled** — switched off in the registry: neither silence nor refusals are news;
- a **firm** is never silent: it reports when it runs a recall (notice, then the progress
  reports its schedule owes), not on a cadence — a firm that falls quiet during a recall is
  caught by the recall's own deadline rule (progress report overdue), and one with no recall
  has nothing to say;
- **ok** — otherwise.

A mean gap is a crude cadence; the learned one is in `recall.domain.station_health`.
Pure: the caller passes `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

MIN_SILENCE = timedelta(hours=1)
CADENCE_FACTOR = 5
FAILING_SHARE = 0.10


class Condition(StrEnum):
    """In order of concern: the worst first."""

    SILENT = "silent"
    FAILING = "failing"
    OK = "ok"
    DISABLED = "disabled"

    @property
    def rank(self) -> int:
        return list(Condition).index(self)


@dataclass(frozen=True, slots=True)
class Judged:
    """The station-health verdicts stored by the `stations` stage (table `station_health`)."""

    silent: bool
    feed_poor: bool


@dataclass(frozen=True, slots=True)
class Assessment:
    condition: Condition
    silent_after: timedelta | None
    """How long the station may stay quiet before it counts as silent; None when the learned
    cadence judges (no fixed time: it depends on the hours of the week the silence spans)."""
    share_rejected: float | None
    """Refused ÷ (accepted + refused) in the window; None without any record."""


def silence_threshold(accepted: int, window: timedelta) -> timedelta:
    """`CADENCE_FACTOR` mean gaps, within [`MIN_SILENCE`, `window`]."""
    if accepted <= 0:
        return window
    return max(MIN_SILENCE, min(window, CADENCE_FACTOR * window / accepted))


def share_rejected(accepted: int, rejected: int) -> float | None:
    total = accepted + rejected
    return rejected / total if total else None


def assess(
    *,
    enabled: bool | None,
    last_seen_at: datetime | None,
    accepted: int,
    rejected: int,
    window: timedelta,
    now: datetime,
    reports_on_a_cadence: bool = True,
    judged: Judged | None = None,
) -> Assessment:
    """The station's condition over a window that ends `now` and lasts `window`
    (`reports_on_a_cadence` False: a firm, never silent); `judged` decides where given."""
    share = share_rejected(accepted, rejected)
    refused_often = share is not None and share >= FAILING_SHARE
    if judged is not None:
        if enabled is False:
            condition = Condition.DISABLED
        elif judged.silent or (last_seen_at is None and reports_on_a_cadence):
            condition = Condition.SILENT
        elif judged.feed_poor or refused_often:
            condition = Condition.FAILING
        else:
            condition = Condition.OK
        return Assessment(condition, None, share)
    threshold = silence_threshold(accepted, window)
    quiet = last_seen_at is None or now - last_seen_at > threshold
    if enabled is False:
        condition = Condition.DISABLED
    elif quiet and reports_on_a_cadence:
        condition = Condition.SILENT
    elif refused_often:
        condition = Condition.FAILING
    else:
        condition = Condition.OK
    return Assessment(condition, threshold, share)

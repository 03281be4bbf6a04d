"""Incidents involving a recalled product before and after the recall start.

An injury report or sampling failure involves the recall when its product_key matches and its
batch is one of the recalled batches (any batch when the recall names none). A report with no
batch is counted when `include_unknown_batch` (the default), because stations often cannot read
a batch number and dropping those would hide incidents.

`assess_post_recall` raises `RecallIneffective` on either of two documented rules:

1. *rate not falling*: at least `min_events` incidents after the start and an incident rate per
   remaining unit-day after the start that is not below the rate per unit-day before. A recall
   removes units from use, so incidents should fall at least in proportion; if the rate per unit
   still in use does not fall, corrected units are still failing or the warning is not heeded.
2. *late incidents*: at least `late_events` incidents more than `grace_days` after the start,
   when the remedy should have reached most holders.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from recall.domain.recalls.errors import InvalidRecallError
from recall.domain.recalls.model import RecallSpec, days_between, require_aware


class IncidentKind(StrEnum):
    INJURY = "injury"
    SAMPLING_FAILURE = "sampling_failure"


@dataclass(frozen=True, slots=True)
class Incident:
    incident_id: str
    kind: IncidentKind
    occurred_at: dt.datetime
    product_key: str
    batch: str | None = None


@dataclass(frozen=True, slots=True)
class PeriodBucket:
    """Incidents in [start, end); `index` < 0 before the recall start, ≥ 0 after."""

    index: int
    start: dt.datetime
    end: dt.datetime
    injuries: int
    sampling_failures: int

    @property
    def total(self) -> int:
        return self.injuries + self.sampling_failures


@dataclass(frozen=True, slots=True)
class PostRecallSummary:
    recall_id: str
    period_days: int
    buckets: tuple[PeriodBucket, ...]
    before: int
    after: int
    incident_days_after: tuple[float, ...]  # days since start of each post-start incident
    lookback_days: float


def involves_recall(spec: RecallSpec, incident: Incident, include_unknown_batch: bool) -> bool:
    if incident.product_key != spec.product_key:
        return False
    if not spec.batches:
        return True
    if incident.batch is None:
        return include_unknown_batch
    return incident.batch in spec.batches


def summarise_incidents(
    spec: RecallSpec,
    incidents: Sequence[Incident],
    *,
    now: dt.datetime,
    period_days: int = 30,
    lookback_days: int = 365,
    include_unknown_batch: bool = True,
) -> PostRecallSummary:
    """Bucket matching incidents in `lookback_days` before the start up to `now` by period."""
    require_aware(now, "now")
    if period_days <= 0 or lookback_days <= 0:
        raise InvalidRecallError("period_days and lookback_days must be positive")
    counts: dict[int, list[int]] = {}
    after_days: list[float] = []
    for incident in incidents:
        day = days_between(spec.start, require_aware(incident.occurred_at, "occurred_at"))
        if not involves_recall(spec, incident, include_unknown_batch):
            continue
        if day < -lookback_days or incident.occurred_at > now:
            continue
        slot = counts.setdefault(math.floor(day / period_days), [0, 0])
        slot[0 if incident.kind is IncidentKind.INJURY else 1] += 1
        if day >= 0:
            after_days.append(day)
    first = -math.ceil(lookback_days / period_days)
    last = math.floor(max(days_between(spec.start, now), 0.0) / period_days)
    step = dt.timedelta(days=period_days)
    buckets = tuple(
        PeriodBucket(i, spec.start + i * step, spec.start + (i + 1) * step, *counts.get(i, [0, 0]))
        for i in range(first, last + 1)
    )
    return PostRecallSummary(
        spec.recall_id,
        period_days,
        buckets,
        sum(b.total for b in buckets if b.index < 0),
        len(after_days),
        tuple(sorted(after_days)),
        float(lookback_days),
    )


@dataclass(frozen=True, slots=True)
class RecallIneffective:
    """Post-recall evidence that the recall is not protecting people."""

    recall_id: str
    reasons: tuple[str, ...]
    rate_before: float  # incidents per unit-day before the start
    rate_after: float  # incidents per remaining unit-day after the start
    incidents_after: int


def remaining_unit_days(
    total_units: int, removed_curve: Sequence[tuple[float, int]], until_day: float
) -> float:
    """∫ units still in use dt from the start to `until_day`; units leave use (corrected or
    proven unreachable) at the day of the report that first counts them — a conservative lag."""
    exposure, day, removed = 0.0, 0.0, 0
    for report_day, cumulative in sorted(removed_curve):
        if report_day >= until_day:
            break
        exposure += (total_units - removed) * (report_day - day)
        day, removed = report_day, cumulative
    return exposure + (total_units - removed) * max(until_day - day, 0.0)


def assess_post_recall(
    spec: RecallSpec,
    summary: PostRecallSummary,
    removed_curve: Sequence[tuple[float, int]],
    *,
    now: dt.datetime,
    min_events: int = 3,
    late_events: int = 3,
    grace_days: float = 90.0,
) -> RecallIneffective | None:
    """Apply the two rules of the module docstring; None when neither fires."""
    elapsed = days_between(spec.start, now)
    if elapsed <= 0:
        return None
    before_exposure, after_exposure = _exposures(spec, summary, removed_curve, elapsed)
    rate_before = summary.before / before_exposure
    rate_after = summary.after / after_exposure if after_exposure > 0 else math.inf
    reasons = []
    if summary.after >= min_events and rate_after >= rate_before:
        reasons.append(
            f"{summary.after} incidents since the start; rate per remaining unit "
            f"{rate_after:.3g}/unit-day is not below the pre-recall {rate_before:.3g}/unit-day"
        )
    late = sum(1 for d in summary.incident_days_after if d > grace_days)
    if late >= late_events:
        reasons.append(f"{late} incidents more than {grace_days:g} days after the start")
    if not reasons:
        return None
    return RecallIneffective(spec.recall_id, tuple(reasons), rate_before, rate_after, summary.after)


def _exposures(
    spec: RecallSpec,
    summary: PostRecallSummary,
    removed_curve: Sequence[tuple[float, int]],
    elapsed_days: float,
) -> tuple[float, float]:
    """Unit-days in use before the start (every affected unit over the look-back: they were
    all in the market) and after it (only the units not yet corrected or proven unreachable)."""
    before = spec.total_affected * summary.lookback_days
    after = remaining_unit_days(spec.total_affected, removed_curve, max(elapsed_days, 0.0))
    return before, after


DAYS_PER_YEAR = 365.25


@dataclass(frozen=True, slots=True)
class IncidentRates:
    """Incidents per unit-year in use before and after the recall start (the "before vs
    after" of DESIGN §5); `after_per_unit_year` is None while there is no exposure after."""

    incidents_before: int
    incidents_after: int
    unit_years_before: float
    unit_years_after: float
    before_per_unit_year: float
    after_per_unit_year: float | None

    @property
    def change(self) -> float | None:
        """after ÷ before − 1 (−0.8: the rate per unit in use fell by 80 %); None when either
        side has nothing to compare."""
        if self.after_per_unit_year is None or self.before_per_unit_year <= 0:
            return None
        return self.after_per_unit_year / self.before_per_unit_year - 1.0


def incident_rates(
    spec: RecallSpec,
    summary: PostRecallSummary,
    removed_curve: Sequence[tuple[float, int]],
    *,
    now: dt.datetime,
) -> IncidentRates:
    """The rates `assess_post_recall`'s first rule compares, per unit-year for reading: the
    same exposures, so the page shows exactly what the rule judged."""
    elapsed = days_between(spec.start, require_aware(now, "now"))
    before, after = _exposures(spec, summary, removed_curve, elapsed)
    years_before, years_after = before / DAYS_PER_YEAR, after / DAYS_PER_YEAR
    return IncidentRates(
        summary.before,
        summary.after,
        years_before,
        years_after,
        summary.before / years_before,
        summary.after / years_after if years_after > 0 else None,
    )

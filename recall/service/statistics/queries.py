"""Figures for a regulator's area, rolled up to the dimensions asked for (pure aggregation).

Definitions (docs/api.md, "Statistics", says the same):

- **events**: accepted station events (stored once per reporter and event id) by type, dated
  by occurrence (receipt when the event has no occurrence time), in the event's jurisdiction.
- **leads** (缺陷线索): a distinct reason for concern that could start a defect investigation —
  every risk signal, plus every investigation whose opening evidence is not a stored signal
  (so an investigation opened by a signal is one lead, not two). Attributed to its trigger's
  source: `purchase_sampling` (a failed purchase-sampling test: method or evidence kind
  `sampling_failure`), `injury_reports` (the detectors over injury reports and injury
  clusters), `other` (manual evidence, unknown triggers). Dated when raised or opened.
- **investigations_opened** (by opening time) and **investigations_concluded** by decision
  (by the time of the conclusion).
- **recalls** by current state, dated by their start; **units_affected** is the sum of the
  notice's affected units over the supply levels (the `overall` scope of the rates),
  **units_corrected** the corrected units of the latest progress report.
- **value_recalled** (召回货值, CNY): units affected × the notice's optional
  `declared_unit_value`, summed over the recalls that declare one; None when none does, and
  `recalls_without_value` counts the recalls that do not (see `VALUE_NOTE`).
- **recalls_by_tier**: recalls by the tier (county, city, province) of their owner — the
  owning administration of the investigation that ordered the recall when it has one, else the
  recall's own jurisdiction.
- Leads also come from the triage queue (`leads`, recall/domain/leads.py): `media` and
  `complaints`, dated when received; an investigation a lead opened is that one lead.

Months are calendar months in UTC (`YYYY-MM`). A region is the object's jurisdiction cut to
the tier asked for (`region_level`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from recall.domain.investigations.ages import QueueAges, queue_ages
from recall.service.statistics.ports import (
    LeadTally,
    Measure,
    OpenQueueReads,
    RecallFigure,
    StatisticsReads,
    StatisticsWindow,
    Tally,
)

VALUE_NOTE = (
    "召回货值 = 涉及数量 × 召回公告申报的单价（未申报单价的召回不计入，见 recalls_without_value）"
    " / value recalled = units affected × the unit value the recall notice declares"
    " (declared_unit_value, CNY); recalls without one are not valued (recalls_without_value)"
)


class Dimension(StrEnum):
    REGION = "region"
    CATEGORY = "category"
    MONTH = "month"
    YEAR = "year"


class RegionLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


class LeadSource(StrEnum):
    PURCHASE_SAMPLING = "purchase_sampling"
    INJURY_REPORTS = "injury_reports"
    MEDIA = "media"
    COMPLAINTS = "complaints"
    OTHER = "other"


TIERS = ("county", "city", "province")
_TRIAGED = {"lead_media": LeadSource.MEDIA, "lead_complaint": LeadSource.COMPLAINTS}


_INJURY_KINDS = frozenset({"signal", "injury_cluster"})
_CUT = {RegionLevel.PROVINCE: 2, RegionLevel.CITY: 4, RegionLevel.COUNTY: 6}


def lead_source(kind: str | None, method: str | None) -> LeadSource:
    """The source of a lead from its trigger's evidence kind and detector method."""
    if method in _TRIAGED:
        return _TRIAGED[method]
    if method == "sampling_failure" or kind == "sampling_failure":
        return LeadSource.PURCHASE_SAMPLING
    if kind in _INJURY_KINDS or (kind is None and method is not None):
        return LeadSource.INJURY_REPORTS
    return LeadSource.OTHER


def region_at(code: str | None, level: RegionLevel) -> str | None:
    """The code of the area at `level` that holds `code` (`140105` at city level: `140100`)."""
    if code is None:
        return None
    cut = _CUT[level]
    return code[:cut] + "0" * (6 - cut)


@dataclass
class Group:
    """The figures of one combination of the dimensions asked for (None: not grouped by it)."""

    region: str | None = None
    category: str | None = None
    month: str | None = None
    year: str | None = None
    events: Counter[str] = field(default_factory=Counter)
    leads: Counter[str] = field(default_factory=Counter)
    investigations_opened: int = 0
    investigations_concluded: Counter[str] = field(default_factory=Counter)
    recalls: Counter[str] = field(default_factory=Counter)
    units_affected: int = 0
    units_corrected: int = 0
    recalls_by_tier: Counter[str] = field(default_factory=Counter)
    value_recalled: float | None = None
    recalls_without_value: int = 0


@dataclass(frozen=True, slots=True)
class Statistics:
    """Groups in key order (none without a dimension) and the total over all of them."""

    group_by: tuple[Dimension, ...]
    groups: list[Group]
    total: Group


def statistics(
    reads: StatisticsReads,
    window: StatisticsWindow,
    *,
    group_by: Sequence[Dimension],
    region_level: RegionLevel = RegionLevel.CITY,
) -> Statistics:
    """The figures of `window` grouped by `group_by` (one or two dimensions, or none)."""
    return aggregate(
        reads.tallies(window),
        reads.lead_tallies(window),
        reads.recall_figures(window),
        group_by=group_by,
        region_level=region_level,
    )


def leads_by_month(reads: StatisticsReads, window: StatisticsWindow) -> Statistics:
    """Defect leads by source per month, and nothing else: what the overview's chart draws.

    One grouped query on the signals' triggers instead of the three `statistics` runs — the
    events and recall figures of a year are most of that report's cost and none of this one's.
    """
    return aggregate([], reads.lead_tallies(window), [], group_by=(Dimension.MONTH,))


def open_queue(reads: OpenQueueReads, scope_prefix: str | None, now: datetime) -> QueueAges:
    """The open investigations in the scope by state and age band (`recall.domain...ages`)."""
    return queue_ages(reads.open_investigations(scope_prefix), now)


def aggregate(
    tallies: Iterable[Tally],
    leads: Iterable[LeadTally],
    recalls: Iterable[RecallFigure],
    *,
    group_by: Sequence[Dimension],
    region_level: RegionLevel = RegionLevel.CITY,
) -> Statistics:
    """Roll the finest rows up to `group_by`; the total ignores the grouping."""
    dims = tuple(dict.fromkeys(group_by))
    groups: dict[tuple[str | None, str | None, str | None, str | None], Group] = {}
    total = Group()

    def both(region: str | None, category: str | None, month: str) -> tuple[Group, Group]:
        key = (
            region_at(region, region_level) if Dimension.REGION in dims else None,
            category if Dimension.CATEGORY in dims else None,
            month if Dimension.MONTH in dims else None,
            month[:4] if Dimension.YEAR in dims else None,
        )
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(*key)
        return group, total

    for t in tallies:
        for g in both(t.region, t.category, t.month):
            _add_tally(g, t)
    for lead in leads:
        source = lead_source(lead.kind, lead.method)
        for g in both(lead.region, lead.category, lead.month):
            g.leads[source.value] += lead.count
    for r in recalls:
        for g in both(r.region, r.category, r.month):
            g.recalls[r.state] += 1
            g.units_affected += r.units_affected
            g.units_corrected += r.units_corrected
            g.recalls_by_tier[r.tier] += 1
            if r.value is None:
                g.recalls_without_value += 1
            else:
                g.value_recalled = (g.value_recalled or 0.0) + r.value
    ordered = [groups[k] for k in sorted(groups, key=_sort_key)] if dims else []
    return Statistics(dims, ordered, total)


def _add_tally(group: Group, tally: Tally) -> None:
    match tally.measure:
        case Measure.EVENTS:
            group.events[tally.key] += tally.count
        case Measure.OPENED:
            group.investigations_opened += tally.count
        case Measure.CONCLUDED:
            group.investigations_concluded[tally.key] += tally.count
        case Measure.LEADS:
            group.leads[tally.key] += tally.count


def _sort_key(key: tuple[str | None, ...]) -> tuple[str, ...]:
    return tuple("" if part is None else part for part in key)

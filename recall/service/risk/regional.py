"""Regional risk: injury counts per product category × region in event-time days, judged live.

A product's own baseline misses harm that is spread thin: twelve burns from twelve kettle models
in one city on one day never reach any product's threshold, yet the city's count of kitchenware
burns is far above its usual level. The same holds one tier up: two burns in each of six
counties stay under every county's bar while their city doubles. So every case is counted in
the reporting station's county, its city and its province (`bundles.counted_regions`), each a
(category, region) series of its own with its own state, and each level has its own minimum
count (`MIN_CASES`). Per series and hazard this use case keeps the streamed detector's daily
series as the product state does (`recall.domain.risk.detectors.streamed`, without the product
cold-start prior), behind one function (`judge_region_day`), and judges the still-growing day
against the history before it, so a regional spike alarms as soon as its count crosses the
threshold.

Kafka-free and deterministic for given inputs (pass `now`): the `assess_regions` agent reads
the cases (`recall.service.risk.bundles`), loads the state, calls `assess_region`, produces the
`schemas.risk.Alert`s it returns and saves. Exactly once in effect: the last 512
event ids are remembered (a redelivered record is not counted twice) and an alert id is
`uuid5` of (category, region, hazard, day), remembered per hazard, so one day alarms once (the
region code names the level, so a county, its city and its province alarm apart).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from recall.domain.jurisdiction import Level, level
from recall.domain.risk.detectors import streamed
from recall.domain.risk.detectors.base import Detection
from recall.domain.risk.detectors.streamed import StreamSeries
from recall.service.risk.bundles import RegionalCase
from recall.service.risk.state import (
    ALLOWANCE_DAYS,
    LATENESS_DAYS,
    MAX_AGE_DAYS,
    day_label,
    day_of,
)
from schemas.risk import Alert, AlertKind, AlertSeverity

MIN_CASES: dict[Level, int] = {Level.COUNTY: 3, Level.CITY: 5, Level.PROVINCE: 8}
"""The fewest cases of one category and hazard on one day that may alarm, per level (products
need 3). Below it a day is not judged a cluster whatever its baseline: a near-empty county
series has a threshold of one or two cases, so without a floor its chance spikes would alarm.
A county regulator can look at three cases, a city pools many products and stations so a
handful is ordinary there, and a province pools its cities (docs/risk-model.md, "Regional
counts")."""
LEVEL_LABELS: dict[Level, str] = {Level.COUNTY: "区县", Level.CITY: "地市", Level.PROVINCE: "省级"}
"""The tier as a Chinese regulator names it (省级 also covers the four municipalities)."""
RECENT_IDS = 512
ALARM_MEMORY = 64
KIND = AlertKind.REGIONAL_SIGNAL


@dataclass
class RegionHazard:
    daily: StreamSeries = field(default_factory=StreamSeries)
    alarmed: list[str] = field(default_factory=list)  # alert ids already raised (bounded)

    def to_json(self) -> dict[str, Any]:
        return {"d": self.daily.to_json(), "a": self.alarmed}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RegionHazard:
        if "d" in data:
            return cls(StreamSeries.from_json(data["d"]), list(data["a"]))
        # written before regions ran the streamed detector
        opened = {int(k): v for k, v in data["o"].items()}
        return cls(StreamSeries.from_live(data["l"], opened), list(data["a"]))


@dataclass
class RegionRiskState:
    """What `assess_regions` keeps per (category, region): one changelog record per batch."""

    category: str = ""
    region: str = ""
    watermark_day: int | None = None
    recent_ids: list[str] = field(default_factory=list)
    hazards: dict[str, RegionHazard] = field(default_factory=dict)

    def seen(self, event_id: str) -> bool:
        return event_id in self.recent_ids

    def remember(self, event_id: str) -> None:
        self.recent_ids.append(event_id)
        del self.recent_ids[:-RECENT_IDS]

    def hazard(self, code: str) -> RegionHazard:
        return self.hazards.setdefault(code, RegionHazard())

    def heal(self, ceiling: int) -> bool:
        """Undo days beyond `ceiling` (now + allowance) from before days were bounded; True if
        any. The same choice as `ProductRiskState.heal`: drop such open days, reset a baseline
        that absorbed one, set the watermark back to the latest day still held."""
        healed = False
        for hazard in self.hazards.values():
            healed |= hazard.daily.heal(ceiling)
        if self.watermark_day is not None and self.watermark_day > ceiling:
            held = [
                day
                for hazard in self.hazards.values()
                for day in (*hazard.daily.open, hazard.daily.closed_through)
                if day is not None
            ]
            self.watermark_day, healed = (max(held) if held else None), True
        return healed

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            {
                "c": self.category,
                "r": self.region,
                "w": self.watermark_day,
                "i": self.recent_ids,
                "h": {k: v.to_json() for k, v in self.hazards.items()},
            },
            option=orjson.OPT_NON_STR_KEYS,
        )

    @classmethod
    def from_bytes(cls, raw: bytes | None) -> RegionRiskState:
        if not raw:
            return cls()
        data = orjson.loads(raw)
        return cls(
            category=data["c"],
            region=data["r"],
            watermark_day=data["w"],
            recent_ids=list(data["i"]),
            hazards={k: RegionHazard.from_json(v) for k, v in data["h"].items()},
        )


def assess_region(
    state: RegionRiskState,
    records: Sequence[RegionalCase],
    now: datetime | None = None,
    max_age_days: int = MAX_AGE_DAYS,
) -> tuple[RegionRiskState, list[Alert]]:
    """Count the new records into their days; return the state and the alerts to send.

    Bounded like the product state: a record dated after now + allowance, or more than
    `max_age_days` before it, is remembered and otherwise ignored, so no record can move the
    watermark past real cases; a state holding such days from older code is healed first.
    """
    moment = now or datetime.now(UTC)
    ceiling = day_of(moment) + ALLOWANCE_DAYS
    state.heal(ceiling)
    touched: dict[str, set[int]] = {}
    kept: list[RegionalCase] = []
    for record in records:
        if state.seen(record.event_id):
            continue
        state.remember(record.event_id)
        if not ceiling - ALLOWANCE_DAYS - max_age_days <= record.day <= ceiling:
            continue  # outside the bounds: counts for nothing
        kept.append(record)
        state.category, state.region = record.category, record.region
        if state.watermark_day is None or record.day > state.watermark_day:
            state.watermark_day = record.day
        hazard = state.hazard(record.hazard)
        if record.day <= state.watermark_day - LATENESS_DAYS or not hazard.daily.add(record.day):
            continue  # outside the history window: already folded into the baseline
        touched.setdefault(record.hazard, set()).add(record.day)
    alerts: list[Alert] = []
    for code, days in touched.items():
        alerts += _temporal(state, code, days, kept, moment)
    return state, alerts


def _temporal(
    state: RegionRiskState,
    code: str,
    days: Iterable[int],
    records: Sequence[RegionalCase],
    at: datetime,
) -> list[Alert]:
    hazard = state.hazards[code]
    out = []
    minimum = MIN_CASES[level(state.region)]
    for day in sorted(days):
        count = hazard.daily.count(day)
        detection = judge_region_day(hazard, day, minimum)
        if not detection.alarm or count < minimum:
            continue
        alert_id = _alert_id(state, code, day)
        if alert_id in hazard.alarmed:
            continue
        hazard.alarmed.append(alert_id)
        del hazard.alarmed[:-ALARM_MEMORY]
        regional = _Spike(code, day, count, detection, _trigger(records, code, day))
        out.append(_alert(state, alert_id, regional, at))
    if state.watermark_day is not None:
        _close_days(hazard, state.watermark_day)
    return out


def judge_region_day(hazard: RegionHazard, day: int, minimum: int) -> Detection:
    """The regional detector, at every level: `day`'s count (open, possibly still growing)
    against the series' history — the streamed detector products use (`live_nb` while the
    series is under a year old, then `harmonic_nb` refitted once a day), without the
    cold-start prior (no decision during warm-up) and with the level's floor.

    Why the harmonic rung matters most here: region series are the dense ones, and on dense
    simulated series the EW `live_nb` finds 6–24% of outbreaks at 1% false alarms where
    `harmonic_nb` finds 42–44% (`recall bench detection --by-size`, docs/risk-model.md): a
    moments baseline without season or trend is weakest exactly where counts are large.
    """
    return streamed.judge(hazard.daily, day, streamed.for_regions(minimum)).detection


def _close_days(hazard: RegionHazard, watermark: int) -> None:
    """Close the open days older than the lateness window into the series, in order."""
    hazard.daily.close(watermark - LATENESS_DAYS, streamed.REGIONAL)


def _trigger(records: Sequence[RegionalCase], hazard: str, day: int) -> str:
    matching = [r.event_id for r in records if r.hazard == hazard and r.day == day]
    return matching[-1] if matching else records[-1].event_id


def _alert_id(state: RegionRiskState, code: str, day: int) -> str:
    """One id per category × region × hazard × day: a re-sent alert is recognisably the same."""
    name = f"recall:{KIND.value}:{state.category}|{state.region}|{code}|{day}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


@dataclass(frozen=True, slots=True)
class _Spike:
    """A regional day above its threshold: what the alert says."""

    hazard: str
    day: int
    count: int
    detection: Detection
    trigger_event_id: str


def _alert(state: RegionRiskState, alert_id: str, spike: _Spike, at: datetime) -> Alert:
    """The alert, in the jurisdiction of the region counted: a county's regulator sees its
    county alerts, a city's its own and its counties', a province's all (`access.can_see`)."""
    label = day_label(spike.day)
    expected, threshold = spike.detection.expected, spike.detection.threshold
    category, region, code = state.category, state.region, spike.hazard
    tier = level(region)
    where = f"{tier.value} ({LEVEL_LABELS[tier]}) {region}"
    return Alert(
        alert_id=alert_id,
        severity=AlertSeverity.WARNING,
        kind=KIND,
        title=(
            f"区域风险信号（{LEVEL_LABELS[tier]}）/ Regional signal ({tier.value}): "
            f"{category} in {region} ({code})"
        ),
        subject=f"{category}|{region}",
        jurisdiction=region,
        at=at,
        category=category or None,  # a case row's category is a ProductCategory code
        details={
            "level": tier.value,
            "hazard": code,
            "day": label,
            "observed": str(spike.count),
            "expected": f"{expected:.2f}",
            "threshold": f"{threshold:.1f}",
            "trigger_event_id": spike.trigger_event_id,
            "explanation": (
                f"{spike.count} {category} cases ({code}) reported in {where} on {label} "
                f"vs expected {expected:.2f} (threshold {threshold:.1f}, at least "
                f"{MIN_CASES[tier]} at {tier.value} level; negative binomial, daily "
                f"{tier.value} series)"
            ),
        },
    )

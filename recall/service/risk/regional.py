"""Regional risk: injury counts per product category × city in event-time days, judged live.

A product's own baseline misses harm that is spread thin: twelve burns from twelve kettle models
in one city on one day never reach any product's threshold, yet the city's count of kitchenware
burns is far above its usual level. This use case keeps, per (category, region) — region being
the reporting station's city code (XXXX00) — and per hazard, the same live negative-binomial
baseline as the product state (`recall.domain.risk.detectors.live`, DAILY parameters), and
judges the still-growing day against the baseline before it, so a regional spike alarms as soon
as its count crosses the threshold.

Kafka-free and deterministic for given inputs (pass `now`): the `assess_regions` agent loads the
state, calls `assess_region`, sends the alerts and saves. Exactly once in effect: the last 512
event ids are remembered (a redelivered record is not counted twice) and an alert id is
`uuid5` of (category, region, hazard, day), remembered per hazard, so one day alarms once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from recall.domain.risk.detectors.base import Detection
from recall.domain.risk.detectors.live import (
    DAILY,
    LiveState,
    close_open_periods,
    judge_open_period,
)
from recall.service.risk.assessment import Case
from recall.service.risk.state import (
    ALLOWANCE_DAYS,
    LATENESS_DAYS,
    MAX_AGE_DAYS,
    day_label,
    day_of,
)
from schemas.common import Hazard, ProductCategory

MIN_CASES = 5
RECENT_IDS = 512
ALARM_MEMORY = 64
KIND = "regional_signal"
MAX_ID_CHARS = 64
MAX_DAY = 3_000_000  # beyond any day an ISO date-time can name (9999-12-31 is day 2,932,896)
_FIELDS = ("event_id", "category", "region", "hazard", "day", "severity", "sent_ts")
_CATEGORIES = frozenset(c.value for c in ProductCategory)
_HAZARDS = frozenset(h.value for h in Hazard)


@dataclass(frozen=True, slots=True)
class RegionalCase:
    """One new injury case as the `risk.regional` topic carries it."""

    event_id: str
    category: str
    region: str
    hazard: str
    day: int  # event-time day number (China time), as `risk_state.day_of`
    severity: int
    sent_ts: float | None

    @property
    def key(self) -> str:
        return f"{self.category}|{self.region}"


def bundle_bytes(records: Sequence[RegionalCase]) -> bytes:
    """One `risk.regional` record for many cases: a JSON list, in the given order.

    `assess_risk` sends one bundle per destination partition per batch instead of one record
    per case: Faust's per-record cost (an event object, a task, an ack) was the larger part of
    the regional stage, and a bundle keeps the cases' order within every region key.
    """
    return orjson.dumps([_as_list(r) for r in records])


def cases_from_bundle(raw: bytes) -> list[RegionalCase]:
    """The cases of a bundle; raises ValueError (naming the position) on a malformed one.

    Strict like `case_from_canonical`: `risk.regional` is writable by any producer with the
    ACL, so every item must have exact types (a day is a JSON integer, not `true` or `"3"`),
    known codes and bounded sizes; ValueError is the only exception it raises.
    """
    try:
        items = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ValueError("a regional bundle is a JSON list") from None
    if type(items) is not list:
        raise ValueError("a regional bundle is a JSON list")
    return [_item(position, item) for position, item in enumerate(items)]


def _item(position: int, item: object) -> RegionalCase:
    if type(item) is not list or len(item) != len(_FIELDS):
        raise ValueError(f"regional bundle item {position}: a list of {len(_FIELDS)} values")
    event_id, category, region, hazard, day, severity, sent_ts = item
    checks = (
        ("event_id", type(event_id) is str and 0 < len(event_id) <= MAX_ID_CHARS),
        ("category", type(category) is str and category in _CATEGORIES),
        ("region", type(region) is str and _is_city(region)),
        ("hazard", type(hazard) is str and hazard in _HAZARDS),
        ("day", type(day) is int and abs(day) <= MAX_DAY),
        ("severity", type(severity) is int and 1 <= severity <= 4),
        ("sent_ts", sent_ts is None or (type(sent_ts) in (int, float) and sent_ts >= 0)),
    )
    for name, ok in checks:
        if not ok:
            raise ValueError(f"regional bundle item {position}: bad {name}")
    return RegionalCase(event_id, category, region, hazard, day, severity, sent_ts)


def _is_city(region: str) -> bool:
    return len(region) == 6 and region.isascii() and region.isdigit() and region[4:] == "00"


def _as_list(r: RegionalCase) -> list[Any]:
    return [r.event_id, r.category, r.region, r.hazard, r.day, r.severity, r.sent_ts]


def regional_case(case: Case) -> RegionalCase | None:
    """The regional record of an injury case; None for sampling results and unplaced cases."""
    if case.event_type != "injury_report" or not case.region or not case.hazards:
        return None
    return RegionalCase(
        case.event_id,
        case.category,
        case.region,
        case.hazards[0],
        case.day,
        case.severity.level,
        case.sent_ts,
    )


@dataclass
class RegionHazard:
    live: LiveState = field(default_factory=LiveState)
    open_days: dict[int, int] = field(default_factory=dict)
    alarmed: list[str] = field(default_factory=list)  # alert ids already raised (bounded)

    def to_json(self) -> dict[str, Any]:
        return {"l": list(self.live.as_record()), "o": self.open_days, "a": self.alarmed}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RegionHazard:
        last, seen, mean, var, recent = data["l"]
        return cls(
            live=LiveState(last, seen, mean, var, tuple(recent)),
            open_days={int(k): v for k, v in data["o"].items()},
            alarmed=list(data["a"]),
        )


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
            beyond = [day for day in hazard.open_days if day > ceiling]
            for day in beyond:
                del hazard.open_days[day]
            healed |= bool(beyond)
            if hazard.live.last_period is not None and hazard.live.last_period > ceiling:
                hazard.live, healed = LiveState(), True
        if self.watermark_day is not None and self.watermark_day > ceiling:
            held = [
                day
                for hazard in self.hazards.values()
                for day in (*hazard.open_days, hazard.live.last_period)
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
) -> tuple[RegionRiskState, list[dict[str, Any]]]:
    """Count the new records into their days; return the state and Alert-shaped dicts.

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
        last = hazard.live.last_period
        if (last is not None and record.day <= last) or (
            record.day <= state.watermark_day - LATENESS_DAYS
        ):
            continue  # outside the history window: already folded into the baseline
        hazard.open_days[record.day] = hazard.open_days.get(record.day, 0) + 1
        touched.setdefault(record.hazard, set()).add(record.day)
    at = moment.isoformat()
    alerts: list[dict[str, Any]] = []
    for code, days in touched.items():
        alerts += _temporal(state, code, days, kept, at)
    return state, alerts


def _temporal(
    state: RegionRiskState, code: str, days: Iterable[int], records: Sequence[RegionalCase], at: str
) -> list[dict[str, Any]]:
    hazard = state.hazards[code]
    out = []
    for day in sorted(days):
        count = hazard.open_days.get(day, 0)
        detection = judge_open_period(hazard.live, hazard.open_days, day, DAILY)
        if detection is None or not detection.alarm or count < MIN_CASES:
            continue
        alert = _alert(state, hazard, code, day, count, detection, _trigger(records, code, day), at)
        if alert is not None:
            out.append(alert)
    if state.watermark_day is not None:
        _close_days(hazard, state.watermark_day)
    return out


def _close_days(hazard: RegionHazard, watermark: int) -> None:
    """Absorb open days older than the lateness window into the baseline, in order."""
    hazard.live = close_open_periods(
        hazard.live, hazard.open_days, watermark - LATENESS_DAYS, DAILY
    )


def _trigger(records: Sequence[RegionalCase], hazard: str, day: int) -> str:
    matching = [r.event_id for r in records if r.hazard == hazard and r.day == day]
    return matching[-1] if matching else records[-1].event_id


def _alert(
    state: RegionRiskState,
    hazard: RegionHazard,
    code: str,
    day: int,
    count: int,
    detection: Detection,
    trigger_event_id: str,
    at: str,
) -> dict[str, Any] | None:
    subject = f"{state.category}|{state.region}"
    alert_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"recall:{KIND}:{subject}|{code}|{day}"))
    if alert_id in hazard.alarmed:
        return None
    hazard.alarmed.append(alert_id)
    del hazard.alarmed[:-ALARM_MEMORY]
    label = day_label(day)
    return {
        "alert_id": alert_id,
        "severity": "warning",
        "kind": KIND,
        "title": (f"区域风险信号 / Regional signal: {state.category} in {state.region} ({code})"),
        "subject": subject,
        "jurisdiction": state.region,
        "at": at,
        "details": {
            "hazard": code,
            "day": label,
            "observed": str(count),
            "expected": f"{detection.expected:.2f}",
            "threshold": f"{detection.threshold:.1f}",
            "trigger_event_id": trigger_event_id,
            "explanation": (
                f"{count} {state.category} cases ({code}) reported in {state.region} on {label} "
                f"vs expected {detection.expected:.2f} (threshold {detection.threshold:.1f}, "
                "negative binomial, daily regional baseline)"
            ),
        },
    }

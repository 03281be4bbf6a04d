"""Per-product risk state: what the `assess_risk` agent keeps for each product, compactly.

One state per product (the key of `events.canonical`), serialised as JSON bytes in a Faust
table so the changelog holds one record per product per batch. Days are event-time buckets in
China time (UTC+8): an event lands in the day it *occurred*, however late it arrives.

Per hazard the state holds the live detector's baseline (closed days only), the still-open
days (within the lateness window) and recent severe cases; per product the recent event ids
(to ignore redelivered records), sampling failures (how many, most items failed in one,
largest margin past a limit) and the last emitted score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import orjson

from recall.domain.risk.detectors.base import Detection
from recall.domain.risk.detectors.streamed import StreamSeries
from recall.domain.risk.evidence import TemporalEvidence

CHINA_TZ = timezone(timedelta(hours=8))
RECENT_IDS = 256
LATENESS_DAYS = 7
SEVERE_WINDOW_DAYS = 7
ALLOWANCE_DAYS = 1  # how far past its receipt day an event day may be (clock skew, time zones)
MAX_AGE_DAYS = 3650  # oldest event day kept, before receipt (the intake's largest allowed age)
_EPOCH = date(1970, 1, 1).toordinal()
_CHINA_OFFSET_S = 8 * 3600


def day_of(moment: datetime) -> int:
    """Event-time day number (days since 1970-01-01 in China time).

    Integer arithmetic on the wall time and its offset, never `astimezone`: converting
    0001-01-01T00:00+14:00 or 9999-12-31T23:59-12:00 leaves datetime's range and raised
    OverflowError in the agent. Any aware datetime has a day number (a few beyond 9999 or
    before year 1 included); a naive one is refused, since its day is unknowable.
    """
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("an event time needs a UTC offset")
    seconds = (
        moment.hour * 3600
        + moment.minute * 60
        + moment.second
        - int(offset.total_seconds())
        + _CHINA_OFFSET_S
    )
    return moment.toordinal() - _EPOCH + seconds // 86_400


def day_label(day: int) -> str:
    """ISO date of a day number; a day outside the calendar (only a bug could make one) is
    labelled by its number rather than raising."""
    ordinal = _EPOCH + day
    if 1 <= ordinal <= date.max.toordinal():
        return date.fromordinal(ordinal).isoformat()
    return f"day {day}"


def week_of(day: int) -> int:
    """Monday-based week number of a day number (day 0, 1970-01-01, was a Thursday)."""
    return (day + 3) // 7


def monday_of(week: int) -> int:
    """Day number of the Monday that starts `week`."""
    return week * 7 - 3


@dataclass
class HazardState:
    """One product x hazard: its daily and weekly series (`recall.domain.risk.detectors.
    streamed`), recent severe cases, the signals already raised, and what the score reads."""

    daily: StreamSeries = field(default_factory=StreamSeries)
    weekly: StreamSeries = field(default_factory=StreamSeries)
    severe_days: dict[int, int] = field(default_factory=dict)
    alarmed: list[str] = field(default_factory=list)  # signal ids already emitted (bounded)
    cases: int = 0
    max_severity: int = 0
    failures: int = 0  # failed sampling results with a serious-risk scenario of this hazard
    temporal: dict[str, TemporalEvidence] = field(default_factory=dict)  # for the score
    latest: dict[str, TemporalEvidence] = field(default_factory=dict)  # last judged, by frequency
    daily_alarm_weeks: list[int] = field(default_factory=list)  # weeks a day alarmed (bounded)

    def to_json(self) -> dict[str, Any]:
        return {
            "d": self.daily.to_json(),
            "w": self.weekly.to_json(),
            "s": self.severe_days,
            "a": self.alarmed,
            "n": self.cases,
            "m": self.max_severity,
            "f": self.failures,
            "t": {k: _temporal_json(v) for k, v in self.temporal.items()},
            "tl": {k: _temporal_json(v) for k, v in self.latest.items()},
            "aw": self.daily_alarm_weeks,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HazardState:
        if "d" in data:
            daily, weekly = StreamSeries.from_json(data["d"]), StreamSeries.from_json(data["w"])
        else:
            opened = {int(k): v for k, v in data["o"].items()}
            daily, weekly = StreamSeries.from_live(data["l"], opened), StreamSeries()  # older state
        return cls(
            daily=daily,
            weekly=weekly,
            severe_days={int(k): v for k, v in data["s"].items()},
            alarmed=list(data["a"]),
            cases=data["n"],
            max_severity=data["m"],
            failures=data.get("f", 0),
            temporal={k: _temporal_from(k, v) for k, v in data.get("t", {}).items()},
            latest={k: _temporal_from(k, v) for k, v in data.get("tl", {}).items()},
            daily_alarm_weeks=list(data.get("aw", [])),
        )


def _temporal_json(t: TemporalEvidence) -> list[Any]:
    d = t.detection
    return [
        t.hazard,
        t.detector,
        t.period,
        t.observed,
        d.alarm,
        d.expected,
        _num(d.threshold),
        d.score,
    ]


def _temporal_from(frequency: str, v: list[Any]) -> TemporalEvidence:
    hazard, detector, period, observed, alarm, expected, threshold, score = v
    detection = Detection(bool(alarm), expected, _inf(threshold), score)
    return TemporalEvidence(hazard, frequency, detector, period, observed, detection)


def _num(value: float) -> float | None:
    """JSON has no infinity: an unbounded threshold is stored as null."""
    return None if value == float("inf") else value


def _inf(value: float | None) -> float:
    return float("inf") if value is None else value


@dataclass
class ProductRiskState:
    category: str = ""
    jurisdiction: str = ""
    watermark_day: int | None = None
    recent_ids: list[str] = field(default_factory=list)
    hazards: dict[str, HazardState] = field(default_factory=dict)
    serious_failures: int = 0
    other_failures: int = 0
    serious_items: int = 0  # most items failed in one serious failure (bounded: one number)
    serious_margin: float | None = None  # largest readable margin of a serious failure
    last_score: float = -1.0

    def seen(self, event_id: str) -> bool:
        return event_id in self.recent_ids

    def remember(self, event_id: str) -> None:
        self.recent_ids.append(event_id)
        if len(self.recent_ids) > RECENT_IDS:
            del self.recent_ids[: len(self.recent_ids) - RECENT_IDS]

    def hazard(self, code: str) -> HazardState:
        return self.hazards.setdefault(code, HazardState())

    def heal(self, ceiling: int) -> bool:
        """Undo days beyond `ceiling` (now + allowance) that older code let in; True if any.

        Before event days were bounded, one far-future case moved the watermark so that every
        real case after it was late, and that state persists in the table. The choice: drop
        open and severe days beyond the ceiling, reset a baseline that absorbed such a day
        (its gap filling made it meaningless; the product re-learns it, as a new one would),
        and set the watermark back to the latest day still held (None when nothing is). Days
        already folded into a baseline stay there, so cases of the most recent real day may
        still count as late; from the next day the product is judged as if never poisoned.
        """
        healed = False
        for hazard in self.hazards.values():
            healed |= hazard.daily.heal(ceiling)
            healed |= hazard.weekly.heal(week_of(ceiling))
            healed |= _drop_beyond(hazard.severe_days, ceiling)
        if self.watermark_day is not None and self.watermark_day > ceiling:
            held = [
                day
                for hazard in self.hazards.values()
                for day in (*hazard.daily.open, *hazard.severe_days, hazard.daily.closed_through)
                if day is not None
            ]
            self.watermark_day, healed = (max(held) if held else None), True
        return healed

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            {
                "c": self.category,
                "j": self.jurisdiction,
                "w": self.watermark_day,
                "i": self.recent_ids,
                "h": {k: v.to_json() for k, v in self.hazards.items()},
                "f": [
                    self.serious_failures,
                    self.other_failures,
                    self.serious_items,
                    self.serious_margin,
                ],
                "sc": self.last_score,
            },
            option=orjson.OPT_NON_STR_KEYS,
        )

    @classmethod
    def from_bytes(cls, raw: bytes | None) -> ProductRiskState:
        if not raw:
            return cls()
        data = orjson.loads(raw)
        return cls(
            category=data["c"],
            jurisdiction=data["j"],
            watermark_day=data["w"],
            recent_ids=list(data["i"]),
            hazards={k: HazardState.from_json(v) for k, v in data["h"].items()},
            serious_failures=data["f"][0],
            other_failures=data["f"][1],
            serious_items=data["f"][2] if len(data["f"]) > 2 else 0,  # older states: unknown
            serious_margin=data["f"][3] if len(data["f"]) > 3 else None,
            last_score=data["sc"],
        )


def _drop_beyond(days: dict[int, int], ceiling: int) -> bool:
    beyond = [day for day in days if day > ceiling]
    for day in beyond:
        del days[day]
    return bool(beyond)

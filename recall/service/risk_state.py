"""Per-product risk state: what the `assess_risk` agent keeps for each product, compactly.

One state per product (the key of `events.canonical`), serialised as JSON bytes in a Faust
table so the changelog holds one record per product per batch. Days are event-time buckets in
China time (UTC+8): an event lands in the day it *occurred*, however late it arrives.

Per hazard the state holds the live detector's baseline (closed days only), the still-open
days (within the lateness window) and recent severe cases; per product the recent event ids
(to ignore redelivered records), sampling failures and the last emitted score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson

from recall.domain.risk.detectors.live import LiveState

CHINA_TZ = timezone(timedelta(hours=8))
RECENT_IDS = 256
LATENESS_DAYS = 7
SEVERE_WINDOW_DAYS = 7


def day_of(moment: datetime) -> int:
    """Event-time day number (days since 1970-01-01 in China time)."""
    return (moment.astimezone(CHINA_TZ).replace(tzinfo=None) - datetime(1970, 1, 1)).days


def day_label(day: int) -> str:
    return (datetime(1970, 1, 1) + timedelta(days=day)).date().isoformat()


@dataclass
class HazardState:
    live: LiveState = field(default_factory=LiveState)
    open_days: dict[int, int] = field(default_factory=dict)
    severe_days: dict[int, int] = field(default_factory=dict)
    alarmed: list[str] = field(default_factory=list)  # signal ids already emitted (bounded)
    cases: int = 0
    max_severity: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "l": list(self.live.as_record()),
            "o": self.open_days,
            "s": self.severe_days,
            "a": self.alarmed,
            "n": self.cases,
            "m": self.max_severity,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HazardState:
        last, seen, mean, var, recent = data["l"]
        return cls(
            live=LiveState(last, seen, mean, var, tuple(recent)),
            open_days={int(k): v for k, v in data["o"].items()},
            severe_days={int(k): v for k, v in data["s"].items()},
            alarmed=list(data["a"]),
            cases=data["n"],
            max_severity=data["m"],
        )


@dataclass
class ProductRiskState:
    category: str = ""
    jurisdiction: str = ""
    watermark_day: int | None = None
    recent_ids: list[str] = field(default_factory=list)
    hazards: dict[str, HazardState] = field(default_factory=dict)
    serious_failures: int = 0
    other_failures: int = 0
    last_score: float = -1.0

    def seen(self, event_id: str) -> bool:
        return event_id in self.recent_ids

    def remember(self, event_id: str) -> None:
        self.recent_ids.append(event_id)
        if len(self.recent_ids) > RECENT_IDS:
            del self.recent_ids[: len(self.recent_ids) - RECENT_IDS]

    def hazard(self, code: str) -> HazardState:
        return self.hazards.setdefault(code, HazardState())

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            {
                "c": self.category,
                "j": self.jurisdiction,
                "w": self.watermark_day,
                "i": self.recent_ids,
                "h": {k: v.to_json() for k, v in self.hazards.items()},
                "f": [self.serious_failures, self.other_failures],
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
            last_score=data["sc"],
        )

"""Build realistic station events, and deliberately broken ones, as JSON bytes.

Distributions follow what each kind of station sees: emergency rooms report burns, falls and
fractures across ages; schools report children at play; traffic police report e-bike
crashes and battery fires; labs report purchase-sampling verdicts (mostly passes).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import orjson

from schemas.common import make_product_key


@dataclass(frozen=True, slots=True)
class SimStation:
    station_id: str
    kind: str
    jurisdiction: str


@dataclass(frozen=True, slots=True)
class SimProduct:
    manufacturer_code: str
    brand: str
    model: str
    category: str
    kind: str
    gtin: str | None

    @property
    def product_key(self) -> str:
        return make_product_key(self.manufacturer_code, self.brand, self.model)


class Breakage(StrEnum):
    """Kinds of bad input the simulator sends; each must end as a dead letter."""

    BAD_JSON = "bad_json"
    BAD_CREDIT_CODE = "bad_credit_code"
    NAIVE_TIMESTAMP = "naive_timestamp"
    UNKNOWN_FIELD = "unknown_field"
    ID_NUMBER_IN_TEXT = "id_number_in_text"
    OVERSIZE_TEXT = "oversize_text"
    UNSIGNED = "unsigned"


_SCENARIOS: dict[str, list[tuple[str, str, str, str, str]]] = {
    # (mechanism, injury_nature, body_part, setting, activity)
    "hospital": [
        ("hot_object", "burn_scald", "hand", "home", "housework"),
        ("fall", "fracture", "upper_limb", "home", "play"),
        ("electric", "electric_shock", "hand", "home", "housework"),
        ("cut_pierce", "laceration", "hand", "home", "eating"),
        ("choking", "foreign_body", "internal", "home", "play"),
        ("tip_over", "crush", "trunk", "home", "play"),
    ],
    "school": [
        ("fall", "contusion_abrasion", "lower_limb", "school", "sports"),
        ("struck_by", "contusion_abrasion", "head", "school", "play"),
        ("caught_in", "laceration", "hand", "school", "play"),
    ],
    "traffic_police": [
        ("fall", "fracture", "lower_limb", "road", "travel"),
        ("fire_flame", "burn_scald", "multiple", "road", "travel"),
    ],
}
_DISPOSITIONS = (
    ("treated_released", 70),
    ("observed", 12),
    ("hospitalised", 14),
    ("transferred", 3),
    ("died", 1),
)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def _product_ref(product: SimProduct, rng: random.Random, with_maker: bool) -> dict[str, Any]:
    ref: dict[str, Any] = {
        "category": product.category,
        "kind": product.kind,
        "brand": product.brand,
        "model": product.model,
        "batch": f"B{rng.randint(2024, 2026)}{rng.randint(1, 12):02d}",
    }
    if with_maker:
        ref["manufacturer_code"] = product.manufacturer_code
        if product.gtin:
            ref["gtin"] = product.gtin
    return ref


def envelope(
    station: SimStation, kind: str, payload: dict[str, Any], now: datetime, rng: random.Random
) -> dict[str, Any]:
    return {
        "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "schema_version": 1,
        "type": kind,
        "reporter_id": station.station_id,
        "jurisdiction": station.jurisdiction,
        "sent_at": _iso(now),
        "payload": payload,
    }


def injury_report(
    station: SimStation,
    product: SimProduct,
    rng: random.Random,
    now: datetime,
    spread_hours: float = 72.0,
) -> dict[str, Any]:
    scenarios = _SCENARIOS.get(station.kind, _SCENARIOS["hospital"])
    mechanism, nature, part, setting, activity = rng.choice(scenarios)
    age = rng.randint(1, 14) if station.kind == "school" else rng.randint(0, 90)
    payload = {
        "case_ref": f"C{rng.getrandbits(40):010x}",
        "occurred_at": _iso(now - timedelta(hours=rng.uniform(0.5, spread_hours))),
        "age_years": age,
        "sex": rng.choice(("male", "female")),
        "body_part": part,
        "injury_nature": nature,
        "mechanism": mechanism,
        "disposition": _weighted(rng, _DISPOSITIONS),
        "setting": setting,
        "activity": activity,
        "product": _product_ref(product, rng, with_maker=rng.random() < 0.6),
        "narrative": rng.choice(
            (
                "使用过程中受伤",
                "产品外壳过热",
                "部件脱落导致受伤",
                "The device sparked while charging.",
            )
        ),
    }
    return envelope(station, "injury_report", payload, now, rng)


def sampling_result(
    station: SimStation,
    product: SimProduct,
    rng: random.Random,
    now: datetime,
    fail_rate: float = 0.1,
) -> dict[str, Any]:
    failed = rng.random() < fail_rate
    items = [
        {"clause": f"{i}.{rng.randint(1, 9)}", "item": f"检验项目{i}", "verdict": "pass"}
        for i in range(1, 6)
    ]
    if failed:
        items[rng.randrange(len(items))]["verdict"] = "fail"
    online = rng.random() < 0.5
    payload = {
        "sample_id": f"S{rng.getrandbits(40):010x}",
        "sampled_at": _iso(now - timedelta(days=rng.uniform(1, 20))),
        "channel": {
            "kind": "online" if online else "store",
            "platform": "某电商平台" if online else None,
            "shop": "旗舰店",
        },
        "product": _product_ref(product, rng, with_maker=True),
        "standard": "GB 4706.1-2005",
        "items": items,
        "overall": "fail" if failed else "pass",
        "hazards": [rng.choice(("electric_shock", "fire", "burns", "mechanical"))]
        if failed
        else [],
        "vulnerable_users": product.category == "children",
        "lab_id": station.station_id,
    }
    if not online:
        payload["channel"] = {"kind": "store", "shop": "旗舰店"}
    return envelope(station, "sampling_result", payload, now, rng)


def heartbeat(station: SimStation, now: datetime, rng: random.Random) -> dict[str, Any]:
    payload = {"status": "ok", "software_version": "1.4.2", "queued_reports": 0}
    return envelope(station, "station_heartbeat", payload, now, rng)


def station_event(
    station: SimStation,
    products: list[SimProduct],
    rng: random.Random,
    now: datetime,
    spread_hours: float = 72.0,
) -> dict[str, Any]:
    """The next event a station of this kind would plausibly send.

    `spread_hours` is how far back the injuries occurred: a few days for live traffic, a year
    to replay a province's annual volume at realistic per-product density (benchmarks).
    """
    if rng.random() < 0.02:
        return heartbeat(station, now, rng)
    product = rng.choice(products)
    if station.kind == "lab":
        return sampling_result(station, product, rng, now)
    return injury_report(station, product, rng, now, spread_hours)


def break_event(event: dict[str, Any], breakage: Breakage) -> bytes:
    """Damage a valid event the way real stations get things wrong; returns the bytes to send."""
    payload = event["payload"]
    if breakage is Breakage.BAD_JSON:
        return orjson.dumps(event)[:-7]
    if breakage is Breakage.BAD_CREDIT_CODE:
        product = payload.get("product", {})
        code = product.get("manufacturer_code") or "91140105MA0K1234XH"
        product["manufacturer_code"] = code[:17] + ("0" if code[17] != "0" else "1")
        payload["product"] = product
    elif breakage is Breakage.NAIVE_TIMESTAMP:
        event["sent_at"] = event["sent_at"][:19]
    elif breakage is Breakage.UNKNOWN_FIELD:
        payload["patient_name"] = "张三"
    elif breakage is Breakage.ID_NUMBER_IN_TEXT:
        payload["narrative"] = "患者身份证号 11010519491231002X"
    elif breakage is Breakage.OVERSIZE_TEXT:
        payload["narrative"] = "长" * 5000
    return orjson.dumps(event)

"""Hand-built station events for risk tests: chosen products, days and severities."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson

from schemas.registry import ProductEntry, RegistryFile, StationEntry

CHINA_TZ = timezone(timedelta(hours=8))


def last_noon(now: datetime | None = None) -> datetime:
    """The latest China-time noon at least 30 minutes past: a time of day far from midnight
    whose cases never lie in the future (the intake refuses event times ahead of receipt)."""
    now = now or datetime.now(CHINA_TZ)
    noon = now.astimezone(CHINA_TZ).replace(hour=12, minute=0, second=0, microsecond=0)
    return noon if noon <= now - timedelta(minutes=30) else noon - timedelta(days=1)


def _product_ref(product: ProductEntry) -> dict[str, Any]:
    return {
        "category": product.category.value,
        "kind": product.kind,
        "brand": product.brand,
        "model": product.model,
        "manufacturer_code": product.manufacturer_code,
    }


def _envelope(
    station: StationEntry, kind: str, payload: dict[str, Any], event_id: str | None
) -> bytes:
    return orjson.dumps(
        {
            "event_id": event_id or str(uuid.uuid4()),
            "schema_version": 1,
            "type": kind,
            "reporter_id": station.station_id,
            "jurisdiction": station.jurisdiction,
            "sent_at": datetime.now(CHINA_TZ).isoformat(),
            "payload": payload,
        }
    )


def burn(station: StationEntry, product: ProductEntry, occurred: datetime, n: int = 0) -> bytes:
    """A minor scald from a hot appliance surface (hazard: burns, severity 1–2)."""
    payload = {
        "case_ref": f"T{n:06d}",
        "occurred_at": occurred.isoformat(),
        "age_years": 34,
        "sex": "female",
        "body_part": "hand",
        "injury_nature": "burn_scald",
        "mechanism": "hot_object",
        "disposition": "treated_released",
        "setting": "home",
        "activity": "housework",
        "product": _product_ref(product),
        "narrative": "外壳过热烫伤",
    }
    return _envelope(station, "injury_report", payload, None)


def serious_sampling_failure(lab: StationEntry, product: ProductEntry, sample: str) -> bytes:
    payload = {
        "sample_id": sample,
        "sampled_at": datetime.now(CHINA_TZ).isoformat(),
        "channel": {"kind": "online", "platform": "某电商平台", "shop": "旗舰店"},
        "product": _product_ref(product),
        "standard": "GB 4706.1-2005",
        "items": [
            {"clause": "8.1", "item": "对触及带电部件的防护", "verdict": "fail"},
            {"clause": "13.2", "item": "泄漏电流", "verdict": "pass"},
        ],
        "overall": "fail",
        "hazards": ["electric_shock"],
        "vulnerable_users": True,
        "lab_id": lab.station_id,
    }
    return _envelope(lab, "sampling_result", payload, None)


def pick(registry: RegistryFile, kind: str) -> StationEntry:
    return next(s for s in registry.stations if s.kind.value == kind)


def firm_for(registry: RegistryFile, product: ProductEntry) -> StationEntry:
    return next(
        s
        for s in registry.stations
        if s.kind.value == "firm" and s.manufacturer_code == product.manufacturer_code
    )


def recall_notice(
    firm: StationEntry,
    product: ProductEntry,
    recall_id: str,
    *,
    start: datetime,
    affected: int = 10_000,
    target_rate: float = 0.8,
    cadence_days: int = 30,
    batches: tuple[str, ...] = (),
) -> bytes:
    payload = {
        "recall_id": recall_id,
        "kind": "voluntary",
        "title": "外壳过热召回 overheating shell",
        "product": _product_ref(product),
        "batches": list(batches),
        "affected": {"consumer": affected},
        "hazard": "burns",
        "risk_level": "high",
        "remedies": ["repair", "refund"],
        "channels": ["press_release"],
        "start": start.isoformat(),
        "target_date": (start + timedelta(days=180)).isoformat(),
        "target_rate": target_rate,
        "reporting_cadence_days": cadence_days,
    }
    return _envelope(firm, "recall_notice", payload, None)


def progress_report(
    firm: StationEntry,
    recall_id: str,
    sequence: int,
    *,
    start: datetime,
    corrected: int,
    located: int,
    cadence_days: int = 30,
    sent_at: datetime | None = None,
) -> bytes:
    period_end = start + timedelta(days=cadence_days * sequence)
    payload = {
        "recall_id": recall_id,
        "sequence": sequence,
        "period_start": (period_end - timedelta(days=cadence_days)).isoformat(),
        "period_end": period_end.isoformat(),
        "levels": {
            "consumer": {
                "located": located,
                "notified": located,
                "corrected": {"repair": corrected},
            }
        },
    }
    envelope = orjson.loads(_envelope(firm, "recall_progress_report", payload, None))
    envelope["sent_at"] = (sent_at or period_end + timedelta(days=1)).isoformat()
    return orjson.dumps(envelope)


def burn_with_batch(
    station: StationEntry, product: ProductEntry, occurred: datetime, batch: str
) -> bytes:
    envelope = orjson.loads(burn(station, product, occurred))
    envelope["payload"]["product"]["batch"] = batch
    return orjson.dumps(envelope)


def stations_in(registry: RegistryFile, kind: str, city: str) -> list[StationEntry]:
    """Enabled stations of one kind whose jurisdiction lies in `city` (an XXXX00 code)."""
    return [
        s
        for s in registry.stations
        if s.kind.value == kind and s.enabled and s.jurisdiction[:4] == city[:4]
    ]

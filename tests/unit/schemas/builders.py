"""Valid station events as plain dicts, and helpers to break exactly one thing in them.

Tests start from a valid event and change one field (`set_path`, `drop_path`), so a refusal
can only come from the rule under test.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from schemas.codes import uscc_check_character

USCC_BODY = "91140100MA0L2K3M4"
USCC = USCC_BODY + uscc_check_character(USCC_BODY)
OTHER_USCC = "91310000132200821H"  # a published, valid code
GTIN13 = "4006381333931"  # the GS1 worked example
GTIN12 = "036000291452"  # a published UPC-A
RESIDENT_ID = "11010519491231002X"  # the standard's own example, valid check character
OLD_RESIDENT_ID = "110105491231002"  # 15 digits, born 1949-12-31
MOBILE = "13800138000"
T_OCCURRED = "2024-05-01T10:00:00+08:00"
T_SENT = "2024-05-01T12:00:00+08:00"
EVENT_ID = "0f8e7a52-3c1b-4d62-9a57-6d2b8f3a1c44"
REPORTER = "hosp-140105-01"
LAB = "lab-140100-01"
JURISDICTION = "140105"

Event = dict[str, Any]


def product(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "category": "appliances",
        "kind": "electric_kettle",
        "manufacturer_code": USCC,
        "brand": "Acme",
        "model": "K-1",
        "gtin": GTIN13,
        "batch": "B2024-05",
    }
    return {**base, **overrides}


def injury_payload(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "case_ref": "ER-2024-0001",
        "occurred_at": T_OCCURRED,
        "age_years": 4,
        "sex": "female",
        "body_part": "hand",
        "injury_nature": "burn_scald",
        "diagnosis": "second-degree burn",
        "mechanism": "hot_object",
        "disposition": "treated_released",
        "setting": "home",
        "activity": "play",
        "product": product(),
        "narrative": "Kettle tipped over; lid opened while boiling.",
    }
    return {**base, **overrides}


def clause(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "clause": "8.1",
        "item": "Protection against access to live parts",
        "verdict": "pass",
        "measured": "no access",
        "limit": "no access",
    }
    return {**base, **overrides}


def failed_clause(**overrides: Any) -> dict[str, Any]:
    return clause(**{"clause": "19.1", "item": "Abnormal operation", "verdict": "fail"} | overrides)


def sampling_payload(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sample_id": "S-2024-0042",
        "sampled_at": T_OCCURRED,
        "channel": {"kind": "store", "shop": "Wanda Plaza supermarket"},
        "product": product(),
        "standard": "GB 4706.19-2008",
        "items": [clause()],
        "overall": "pass",
        "hazards": [],
        "vulnerable_users": False,
        "lab_id": "lab-140100-01",
    }
    return {**base, **overrides}


def failed_sampling_payload(**overrides: Any) -> dict[str, Any]:
    return sampling_payload(
        **{"items": [clause(), failed_clause()], "overall": "fail", "hazards": ["fire"]} | overrides
    )


def heartbeat_payload(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"status": "ok", "software_version": "1.4.2", "queued_reports": 0}
    return {**base, **overrides}


def _envelope(event_type: str, payload: dict[str, Any], overrides: dict[str, Any]) -> Event:
    base: Event = {
        "event_id": EVENT_ID,
        "schema_version": 1,
        "reporter_id": REPORTER,
        "jurisdiction": JURISDICTION,
        "sent_at": T_SENT,
        "type": event_type,
        "payload": payload,
    }
    return {**base, **overrides}


def injury_event(payload: dict[str, Any] | None = None, **envelope: Any) -> Event:
    return _envelope("injury_report", payload or injury_payload(), envelope)


def sampling_event(payload: dict[str, Any] | None = None, **envelope: Any) -> Event:
    envelope.setdefault("reporter_id", LAB)
    envelope.setdefault("jurisdiction", "140100")
    return _envelope("sampling_result", payload or sampling_payload(), envelope)


def heartbeat_event(payload: dict[str, Any] | None = None, **envelope: Any) -> Event:
    return _envelope("station_heartbeat", payload or heartbeat_payload(), envelope)


def set_path(event: Event, path: str, value: Any) -> Event:
    """A deep copy of `event` with the dotted `path` ('payload.items.0.verdict') set to `value`."""
    copied = copy.deepcopy(event)
    *parents, last = path.split(".")
    node: Any = copied
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return copied


def drop_path(event: Event, path: str) -> Event:
    """A deep copy of `event` without the dotted `path`."""
    copied = copy.deepcopy(event)
    *parents, last = path.split(".")
    node: Any = copied
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    del node[last]
    return copied


def to_bytes(event: Event) -> bytes:
    """Compact UTF-8 JSON; the stdlib encoder also writes integers beyond 64 bits."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


def recall_notice_payload(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "recall_id": "R-2024-0001",
        "kind": "voluntary",
        "title": "Kettle lid may open while boiling",
        "product": product(),
        "batches": ["B2024-05"],
        "affected": {"consumer": 1000, "retailer": 200},
        "hazard": "burns",
        "risk_level": "high",
        "remedies": ["replace"],
        "channels": ["direct_notice"],
        "start": "2024-06-01T00:00:00+08:00",
        "target_date": "2024-12-01T00:00:00+08:00",
        "target_rate": 0.9,
        "reporting_cadence_days": 30,
    }
    return {**base, **overrides}


def progress_payload(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "recall_id": "R-2024-0001",
        "sequence": 1,
        "period_start": "2024-06-01T00:00:00+08:00",
        "period_end": "2024-07-01T00:00:00+08:00",
        "levels": {
            "consumer": {
                "located": 500,
                "notified": 400,
                "corrected": {"replace": 300},
                "unreachable": {"moved": 10},
            }
        },
        "refused": False,
        "note": "on track",
    }
    return {**base, **overrides}


def recall_notice_event(payload: dict[str, Any] | None = None, **envelope: Any) -> Event:
    envelope.setdefault("reporter_id", "firm-acme")
    envelope.setdefault("jurisdiction", "140100")
    return _envelope("recall_notice", payload or recall_notice_payload(), envelope)


def progress_event(payload: dict[str, Any] | None = None, **envelope: Any) -> Event:
    envelope.setdefault("reporter_id", "firm-acme")
    envelope.setdefault("jurisdiction", "140100")
    return _envelope("recall_progress_report", payload or progress_payload(), envelope)

"""The cases risk assessment reads: `events.canonical` records parsed into `Case`s, strictly.

`events.canonical` is written by the intake, but the topic is open to any producer with the
ACL and older records were never bounded, so the risk agents treat every record as untrusted:
exact JSON types, known codes, bounded sizes and times, one named error (`CanonicalRecordError`)
for anything else. What a case *means* for risk is `recall.service.risk.assessment`'s business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from recall.domain.risk.errors import RiskError
from recall.domain.risk.margin import failure_margin
from recall.domain.risk.severity import (
    InjuryFacts,
    SamplingFacts,
    SeverityAssessment,
    assess_injury,
    assess_sampling,
    hazard_for_mechanism,
)
from recall.service.risk.state import ALLOWANCE_DAYS, day_of
from schemas.codes import check_jurisdiction
from schemas.common import ProductCategory

_MAX_TS = datetime(9999, 12, 31, tzinfo=UTC).timestamp()


@dataclass(frozen=True, slots=True)
class Case:
    """What risk assessment needs from one canonical event."""

    event_id: str
    event_type: str
    product_key: str
    category: str
    jurisdiction: str
    day: int
    sent_ts: float | None
    hazards: tuple[str, ...]
    severity: SeverityAssessment
    failed: bool = False
    fatal: bool = False
    failed_items: int = 0  # a sampling result's failed test items
    margin: float | None = None  # the largest readable margin past a limit of those items
    region: str = ""  # the reporting station's own code (county, city or province): where seen
    limit_day: int | None = None  # the latest day this case may have: receipt day + allowance


class CanonicalRecordError(ValueError):
    """A record on `events.canonical` the risk model cannot use: its shape, a type or a value.

    The only exception `case_from_canonical` raises. The topic is open to any producer with
    the ACL and older records were never bounded, so the agents treat a record as untrusted:
    the message names the field and the rule broken, never the value (it may be personal).
    """

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field


_RISK_TYPES = frozenset({"injury_report", "sampling_result"})
_OTHER_TYPES = frozenset({"station_heartbeat", "recall_notice", "recall_progress_report"})
_CATEGORIES = frozenset(c.value for c in ProductCategory)
_VERDICTS = frozenset({"pass", "fail"})
MAX_ID_CHARS = 64
MAX_KEY_CHARS = 1024
MAX_TIME_CHARS = 40
MAX_ITEMS = 500
MAX_HAZARDS = 15
MAX_AGE_YEARS = 120
MAX_FREE_TEXT_CHARS = 200  # schemas.common.ShortText


def case_from_canonical(
    record: object, sent_ts: float | None, now: datetime | None = None
) -> Case | None:
    """A `Case` for injury reports and sampling results; None for the other known types.

    Strict, because lax coercion changed outcomes (`"4"` as an age raised in the agent, `true`
    became age 1): every field must have its exact JSON type (an int is a JSON integer, not a
    bool, string or float), codes must be known, times ISO strings with an offset. Anything
    else raises `CanonicalRecordError`. `limit_day` is the receipt day (the record's
    `received_at`, else the broker timestamp `sent_ts`, never later than `now`) plus the
    allowance: `assess` sets aside a case dated after it.
    """
    now = now or datetime.now(UTC)
    root = _object(record, "")
    event = _object(root.get("event"), "event")
    kind = _text(event.get("type"), "event.type", MAX_ID_CHARS)
    if kind in _OTHER_TYPES:
        return None
    if kind not in _RISK_TYPES:
        raise CanonicalRecordError("event.type", "not a known event type")
    payload = _object(event.get("payload"), "event.payload")
    product_key = root.get("product_key")
    if payload.get("product") is None or product_key is None:
        return None
    product = _object(payload["product"], "event.payload.product")
    jurisdiction = _text(event.get("jurisdiction"), "event.jurisdiction", 6)
    try:
        check_jurisdiction(jurisdiction)
    except ValueError:
        raise CanonicalRecordError("event.jurisdiction", "not a GB/T 2260 code") from None
    credit_code = product.get("manufacturer_code")
    common: dict[str, Any] = {
        "event_id": _text(event.get("event_id"), "event.event_id", MAX_ID_CHARS),
        "event_type": kind,
        "product_key": _text(product_key, "product_key", MAX_KEY_CHARS),
        "category": _code(product.get("category"), "event.payload.product.category", _CATEGORIES),
        "jurisdiction": _firm_jurisdiction(
            None if credit_code is None else _text(credit_code, "manufacturer_code", 18),
            jurisdiction,
        ),
        "sent_ts": _timestamp(sent_ts),
        "region": jurisdiction,  # regional counting adds its city and province
        "limit_day": _limit_day(root.get("received_at"), _timestamp(sent_ts), now),
    }
    try:
        if kind == "injury_report":
            return _injury_case(common, payload)
        return _sampling_case(common, payload)
    except RiskError as error:  # an unknown code, named by the domain's own message
        raise CanonicalRecordError("event.payload", type(error).__name__) from None


def _injury_case(common: dict[str, Any], payload: dict[str, Any]) -> Case:
    facts = InjuryFacts(
        _text(payload.get("disposition"), "event.payload.disposition", MAX_ID_CHARS),
        _text(payload.get("injury_nature"), "event.payload.injury_nature", MAX_ID_CHARS),
        _text(payload.get("body_part"), "event.payload.body_part", MAX_ID_CHARS),
        _age(payload.get("age_years")),
        _text(payload.get("mechanism"), "event.payload.mechanism", MAX_ID_CHARS),
    )
    severity = assess_injury(facts)  # raises UnknownCodeError for an unknown code
    return Case(
        **common,
        day=_day(payload.get("occurred_at"), "event.payload.occurred_at"),
        hazards=(hazard_for_mechanism(facts.mechanism, facts.injury_nature),),
        severity=severity,
        fatal=facts.disposition == "died",
    )


def _sampling_case(common: dict[str, Any], payload: dict[str, Any]) -> Case:
    items = _array(payload.get("items"), "event.payload.items", MAX_ITEMS)
    failed_clauses = []
    margins = []
    for item in items:
        entry = _object(item, "event.payload.items[]")
        clause = _text(entry.get("clause"), "event.payload.items[].clause", MAX_ID_CHARS)
        measured = _optional_text(entry.get("measured"), "event.payload.items[].measured")
        limit = _optional_text(entry.get("limit"), "event.payload.items[].limit")
        if _code(entry.get("verdict"), "event.payload.items[].verdict", _VERDICTS) == "fail":
            failed_clauses.append(clause)
            margin = failure_margin(measured, limit)  # None when the text is not a figure
            if margin is not None:
                margins.append(margin)
    declared = payload.get("hazards")
    codes = () if declared is None else _array(declared, "event.payload.hazards", MAX_HAZARDS)
    hazards = tuple(_text(h, "event.payload.hazards[]", MAX_ID_CHARS) for h in codes)
    vulnerable = payload.get("vulnerable_users", False)
    if type(vulnerable) is not bool:
        raise CanonicalRecordError("event.payload.vulnerable_users", "must be true or false")
    hazards = hazards if failed_clauses else ()
    clause = failed_clauses[0] if failed_clauses else "-"
    assessments = [assess_sampling(SamplingFacts(h, clause, True, vulnerable)) for h in hazards]
    worst = max(assessments, key=lambda a: a.level, default=SeverityAssessment(1, ("passed",)))
    day = _day(payload.get("sampled_at"), "event.payload.sampled_at")
    return Case(
        **common,
        day=day,
        hazards=hazards,
        severity=worst,
        failed=bool(failed_clauses),
        failed_items=len(failed_clauses),
        margin=max(margins, default=None),
    )


def _object(value: object, field: str) -> dict[str, Any]:
    if type(value) is not dict:
        raise CanonicalRecordError(field or "record", "must be a JSON object")
    return value


def _array(value: object, field: str, limit: int) -> list[Any]:
    if type(value) is not list or len(value) > limit:
        raise CanonicalRecordError(field, f"must be a JSON array of at most {limit} items")
    return value


def _text(value: object, field: str, limit: int) -> str:
    if type(value) is not str or not 0 < len(value) <= limit:
        raise CanonicalRecordError(field, f"must be a string of 1 to {limit} characters")
    return value


def _optional_text(value: object, field: str) -> str | None:
    """None or a string of at most `MAX_FREE_TEXT_CHARS` (the wire's free text)."""
    if value is None:
        return None
    if type(value) is not str or len(value) > MAX_FREE_TEXT_CHARS:
        raise CanonicalRecordError(
            field, f"must be null or a string of at most {MAX_FREE_TEXT_CHARS} characters"
        )
    return value


def _code(value: object, field: str, allowed: frozenset[str]) -> str:
    if type(value) is not str or value not in allowed:
        raise CanonicalRecordError(field, "not a known code")
    return value


def _age(value: object) -> int | None:
    """None or a JSON integer 0..120: `true` is not 1, `"4"` is not 4, 4.0 is not 4."""
    if value is None:
        return None
    if type(value) is not int or not 0 <= value <= MAX_AGE_YEARS:
        raise CanonicalRecordError(
            "event.payload.age_years", f"must be an integer from 0 to {MAX_AGE_YEARS}"
        )
    return value


def _moment(value: object, field: str) -> datetime:
    text = _text(value, field, MAX_TIME_CHARS)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CanonicalRecordError(field, "not an ISO 8601 date-time") from None
    if moment.utcoffset() is None:
        raise CanonicalRecordError(field, "needs a UTC offset")
    return moment


def _day(value: object, field: str) -> int:
    return day_of(_moment(value, field))


def _timestamp(value: object) -> float | None:
    """The broker timestamp, when it is a usable number of seconds (years 1970..9999)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 < value < _MAX_TS else None  # NaN fails the comparison


def _limit_day(received_at: object, sent_ts: float | None, now: datetime) -> int:
    """The receipt day plus the allowance: receipt is `received_at`, else the broker
    timestamp, else now; never later than now (a producer can write any of them)."""
    today = day_of(now)
    if received_at is not None:
        receipt = _day(received_at, "received_at")
    elif sent_ts is not None:
        receipt = day_of(datetime.fromtimestamp(sent_ts, UTC))
    else:
        receipt = today
    return min(receipt, today) + ALLOWANCE_DAYS


def _firm_jurisdiction(credit_code: str | None, fallback: str) -> str:
    """The regulator responsible is the firm's: a credit code carries its division (chars 3–8)."""
    if credit_code and len(credit_code) == 18 and credit_code[2:8].isdigit():
        division = credit_code[2:8]
        if division[:2] != "00" and not (division[2:4] == "00" and division[4:] != "00"):
            return division
    return fallback

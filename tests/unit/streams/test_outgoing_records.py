"""Every record the risk agents produce is validated on the way out; a refused one is a bug,
and the input it came from is dead-lettered while the rest of the batch goes on.

Also: the records built from `schemas` models carry the fields today's hand-made JSON carried,
so consumers on either side of a rolling upgrade read each other's records.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

import streams.agents.regional as regional_agent
import streams.agents.risk as risk_agent
from recall.domain.vocabulary import RiskLevel
from recall.service.risk.assessment import ScoreDraft, SignalDraft, assess
from recall.service.risk.bundles import RegionalCase
from recall.service.risk.regional import assess_region
from recall.service.risk.state import ProductRiskState, day_of
from schemas import common
from schemas.records import DeadLetter
from schemas.risk import Alert, AlertKind, AlertSeverity, RiskScoreUpdated, SignalRaised
from schemas.topics import ALERTS, RISK_SCORES, RISK_SIGNALS, OutgoingRecordError, encode
from streams.agents.ports import Outgoing, produce, produce_all
from streams.agents.regional import process_regional_batch
from streams.agents.risk import process_risk_batch, score_updated, signal_raised
from streams.dead_letters import processing_letter
from tests.support.fakes.risk_agents import (
    NOW,
    FakeBroker,
    bundle,
    canonical,
    isolated,
    message,
    recording_ports,
)

DRAFT = SignalDraft(
    signal_id="0c88d552-a5c1-5745-89d2-0ae8278aae82",
    product_key="unknown/acme/k-1",
    hazard="burns",
    category="kitchenware",
    jurisdiction="140105",
    method="live_nb",
    risk_level=RiskLevel.SERIOUS,
    day="2024-10-05",
    observed=6.0,
    expected=0.25,
    threshold=math.inf,
    statistic=12.5,
    window="1 day",
    explanation=("6 cases on 2024-10-05 vs expected 0.25",),
    trigger_event_id="00000000-0000-4000-8000-000000000003",
    trigger_sent_ts=1728100800.123456,
)


def _legacy_signal_bytes(signal: SignalDraft, now: datetime) -> bytes:
    """`streams/agents/risk.py` `_signal_bytes` before the records were built from models."""
    value = {
        "signal_id": signal.signal_id,
        "product_key": signal.product_key,
        "hazard": signal.hazard,
        "category": signal.category,
        "jurisdiction": signal.jurisdiction,
        "method": signal.method,
        "risk_level": signal.risk_level.value,
        "day": signal.day,
        "observed": signal.observed,
        "expected": signal.expected,
        "threshold": signal.threshold if math.isfinite(signal.threshold) else 1e9,
        "statistic": signal.statistic if math.isfinite(signal.statistic) else 1e9,
        "window": signal.window,
        "explanation": signal.explanation,
        "trigger_event_id": signal.trigger_event_id,
        "raised_at": now,
        "trigger_sent_at": (
            datetime.fromtimestamp(signal.trigger_sent_ts, UTC) if signal.trigger_sent_ts else None
        ),
    }
    return orjson.dumps(value)


_TIMES = {"raised_at", "trigger_sent_at", "updated_at"}


def _same_record(new: bytes, old: bytes) -> None:
    """Same fields in the same order with the same values; times the same instants (the
    contract writes UTC as `Z` where the hand-made JSON wrote `+00:00`)."""
    fresh, legacy = orjson.loads(new), orjson.loads(old)
    assert list(fresh) == list(legacy)
    for name in fresh:
        if name in _TIMES and fresh[name] is not None:
            assert datetime.fromisoformat(fresh[name]) == datetime.fromisoformat(legacy[name])
        else:
            assert fresh[name] == legacy[name] and type(fresh[name]) is type(legacy[name]), name


def test_a_signal_carries_exactly_the_fields_of_the_hand_made_json() -> None:
    new = encode(RISK_SIGNALS, signal_raised(DRAFT, NOW))
    old = _legacy_signal_bytes(DRAFT, NOW)
    _same_record(new, old)
    assert SignalRaised.model_validate_json(old) == SignalRaised.model_validate_json(new), (
        "a record from before the upgrade reads as the same signal"
    )
    unsent = dataclasses.replace(DRAFT, trigger_sent_ts=None)
    _same_record(
        encode(RISK_SIGNALS, signal_raised(unsent, NOW)), _legacy_signal_bytes(unsent, NOW)
    )


def test_a_score_carries_exactly_the_fields_of_the_hand_made_json() -> None:
    for level in (RiskLevel.HIGH, None):
        draft = ScoreDraft("unknown/acme/k-1", 42.5, level, ("严重伤害 serious harm", "x"))
        legacy = {
            "product_key": draft.product_key,
            "score": draft.score,
            "risk_level": draft.risk_level,
            "explanation": draft.explanation,
            "updated_at": NOW,
            "contributions": [],  # added with the fused score; records without it still read
        }
        _same_record(encode(RISK_SCORES, score_updated(draft, NOW)), orjson.dumps(legacy))
        wire_level = common.RiskLevel(level.value) if level else None  # the contract's enum
        assert RiskScoreUpdated.model_validate_json(orjson.dumps(legacy)).risk_level == wire_level


def test_the_producer_side_refuses_a_signal_that_breaks_its_model() -> None:
    broker = FakeBroker()
    ports = recording_ports(broker)
    broken = signal_raised(dataclasses.replace(DRAFT, observed=math.nan), NOW)
    good = signal_raised(DRAFT, NOW)
    with pytest.raises(OutgoingRecordError, match=r"risk\.signals .*observed"):
        asyncio.run(produce(ports, RISK_SIGNALS, b"k", broken))
    with pytest.raises(OutgoingRecordError):
        asyncio.run(
            produce_all(
                ports, [Outgoing(RISK_SIGNALS, b"k", good), Outgoing(RISK_SIGNALS, b"k", broken)]
            )
        )
    with pytest.raises(OutgoingRecordError, match="carries SignalRaised records, not Alert"):
        asyncio.run(produce(ports, RISK_SIGNALS, b"k", _alert("a-1")))
    assert broker.sent == [], "nothing of a group with a refused record is sent"
    asyncio.run(produce(ports, RISK_SIGNALS, b"k", good))
    assert [topic for topic, *_ in broker.sent] == ["signals"]


def test_an_outgoing_signal_its_model_refuses_dead_letters_its_case(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bug makes one product's signal break the contract: that case is set aside as a
    `processing_error` (named topic and field, no values), everything else goes on."""
    poisoned = canonical(21, "bad")["event"]["event_id"]

    def buggy(state: ProductRiskState, cases: Any, *args: Any, **kwargs: Any) -> Any:
        result = assess(state, cases, *args, **kwargs)
        if any(c.event_id == poisoned for c in cases):
            bad_key = {"product_key": "unknown/acme/bad", "trigger_event_id": poisoned}
            result.signals.append(dataclasses.replace(DRAFT, observed=math.nan, **bad_key))
        return result

    monkeypatch.setattr(risk_agent, "assess", buggy)
    broker = FakeBroker()
    ports = recording_ports(broker)
    messages = [
        message(20, orjson.dumps(canonical(20, "bad"))),
        message(21, orjson.dumps(canonical(21, "bad"))),
        message(22, orjson.dumps(canonical(22, "good"))),
    ]
    writes = dict(asyncio.run(process_risk_batch(messages, ports, NOW)))

    [letter] = broker.on("deadletter")
    assert (letter["reason"], letter["stage"], letter["source"]["offset"]) == (
        "processing_error",
        "assess_risk",
        21,
    )
    assert letter["errors"][0]["message"] == (
        "record for risk.signals does not obey its model: observed"
    )
    assert isolated(ports, "assess_risk") == 1
    for raw in broker.raw("signals"):
        assert SignalRaised.model_validate_json(raw).trigger_event_id != poisoned
    assert {s["product_key"] for s in broker.on("signals")} == {
        "unknown/acme/bad",
        "unknown/acme/good",
    }
    bad = ProductRiskState.from_bytes(writes[b"unknown/acme/bad"])
    assert not bad.seen(poisoned), "not remembered: a replay after the fix counts it"
    assert bad.hazards["burns"].cases == 1
    regional_ids = {row[0] for raw in broker.raw("regional") for row in orjson.loads(raw)}
    assert poisoned not in regional_ids and len(regional_ids) == 2


def _alert(alert_id: str, **fields: Any) -> Alert:
    alert = Alert(
        alert_id=alert_id,
        severity=AlertSeverity.WARNING,
        kind=AlertKind.REGIONAL_SIGNAL,
        title="区域风险信号 / Regional signal",
        subject="kitchenware|140100",
        jurisdiction="140100",
        at=NOW,
        details={
            "hazard": "burns",
            "day": "2024-10-05",
            "observed": "12",
            "expected": "2.10",
            "threshold": "6.0",
            "trigger_event_id": "r1",
            "explanation": "12 kitchenware cases (burns) reported in 140100",
        },
    )
    return alert.model_copy(update=fields)  # unchecked: as a bug could build it


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning")
def test_a_regional_alert_its_model_refuses_dead_letters_its_bundle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def buggy(state: Any, records: Any, *args: Any) -> Any:
        state, _ = assess_region(state, records, *args)
        if records[0].region == "140100":
            broken = dict(_alert("a-bad").details, observed=12)  # not a string
            return state, [_alert("a-bad", details=broken)]
        return state, [_alert("a-good", jurisdiction="110100", subject="kitchenware|110100")]

    monkeypatch.setattr(regional_agent, "assess_region", buggy)
    broker = FakeBroker()
    ports = recording_ports(broker)
    today = day_of(NOW)
    messages = [
        message(60, bundle([RegionalCase("r1", "kitchenware", "140100", "burns", today, 2, None)])),
        message(61, bundle([RegionalCase("r2", "kitchenware", "110100", "burns", today, 2, None)])),
    ]
    writes = dict(asyncio.run(process_regional_batch(messages, ports, NOW)))
    assert [a["alert_id"] for a in broker.on("alerts")] == ["a-good"]
    [letter] = broker.on("deadletter")
    assert (letter["reason"], letter["source"]["offset"]) == ("processing_error", 60)
    assert (
        letter["errors"][0]["message"]
        == "record for alerts does not obey its model: details.observed"
    )
    assert set(writes) == {b"kitchenware|110100"}, "the refused key's state is not written"
    assert isolated(ports, "assess_regions") == 1
    assert encode(ALERTS, _alert("a-good")), "the same alert with a string is fine"


def test_a_dead_letter_is_encoded_through_its_model_with_unchanged_bytes() -> None:
    value = b'{"narrative": "x"}'
    source = SimpleNamespace(topic="events.canonical", partition=2, offset=7, value=value)
    raw = processing_letter("assess_risk", "processing_error", "", "KeyError", source, NOW)
    letter = DeadLetter.model_validate_json(raw)
    assert raw == letter.model_dump_json().encode(), "the bytes the model itself writes"
    assert letter.original_size == len(value) and letter.original_b64 == ""

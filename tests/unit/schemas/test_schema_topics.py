"""`schemas.topics.encode`: the producer side refuses a record that does not obey its topic."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from pydantic import BaseModel

from schemas.risk import ALERT_DETAILS, Alert, AlertKind, AlertSeverity, RiskScoreUpdated
from schemas.topics import ALERTS, ALL_TOPICS, RISK_SCORES, OutgoingRecordError, encode

AT = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _alert(**changes: Any) -> dict[str, Any]:
    alert: dict[str, Any] = {
        "alert_id": "a-1",
        "severity": "warning",
        "kind": "recall_lagging",
        "title": "召回进度滞后 / Recall lagging",
        "subject": "R-1",
        "jurisdiction": "330100",
        "at": AT.isoformat(),
        "details": {"reason": "slow", "target_rate": "0.90", "forecast": "0.41 [0.30, 0.52]"},
    }
    return alert | changes


def test_a_valid_record_is_encoded_as_a_consumer_reads_it() -> None:
    raw = encode(ALERTS, _alert())
    parsed = Alert.model_validate_json(raw)
    assert parsed.kind is AlertKind.RECALL_LAGGING
    assert parsed.at == AT
    assert orjson.loads(raw)["details"]["target_rate"] == "0.90"


def test_a_model_instance_and_its_dict_encode_to_the_same_bytes() -> None:
    model = Alert(
        alert_id="a-1",
        severity=AlertSeverity.WARNING,
        kind=AlertKind.RECALL_LAGGING,
        title="召回进度滞后 / Recall lagging",
        subject="R-1",
        jurisdiction="330100",
        at=AT,
        details={"reason": "slow", "target_rate": "0.90", "forecast": "0.41 [0.30, 0.52]"},
    )
    assert encode(ALERTS, model) == encode(ALERTS, _alert())


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "something_else"}, "kind"),
        ({"severity": "loud"}, "severity"),
        ({"at": "2026-11-29T12:00:00"}, "at"),  # no offset
        ({"details": {"reason": "slow", "target_rate": 0.9, "forecast": "f"}}, "details"),
        ({"details": {"reason": "slow"}}, "details"),  # keys the kind carries are missing
        ({"extra": "field"}, "extra"),
    ],
)
def test_a_record_that_breaks_its_model_is_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(OutgoingRecordError) as refused:
        encode(ALERTS, _alert(**changes))
    assert field in str(refused.value)
    assert "alerts" in str(refused.value)


def test_a_missing_field_is_refused() -> None:
    alert = _alert()
    del alert["subject"]
    with pytest.raises(OutgoingRecordError, match="subject"):
        encode(ALERTS, alert)


def test_the_refusal_never_echoes_the_value() -> None:
    secret = "张三 110101199003071234"
    with pytest.raises(OutgoingRecordError) as refused:
        encode(ALERTS, _alert(severity=secret))
    assert secret not in str(refused.value)


def test_a_model_of_another_topic_is_refused() -> None:
    score = RiskScoreUpdated(
        product_key="k", score=10.0, risk_level=None, explanation=(), updated_at=AT
    )
    with pytest.raises(OutgoingRecordError, match="Alert"):
        encode(ALERTS, score)
    assert orjson.loads(encode(RISK_SCORES, score))["score"] == 10.0


def test_a_model_built_without_validation_is_checked_again() -> None:
    broken = Alert.model_construct(**(_alert() | {"at": AT, "kind": "not_a_kind"}))
    with pytest.raises(OutgoingRecordError, match="kind"):
        encode(ALERTS, broken)


def test_a_value_that_is_not_json_is_refused() -> None:
    with pytest.raises(OutgoingRecordError, match="JSON"):
        encode(ALERTS, _alert(details={"reason": object()}))


def test_every_topic_declares_a_model() -> None:
    for spec in ALL_TOPICS:
        model = spec.model
        assert (isinstance(model, type) and issubclass(model, BaseModel)) or hasattr(
            model, "validate_json"
        ), spec.name


def test_every_alert_kind_declares_its_details() -> None:
    assert set(ALERT_DETAILS) == set(AlertKind)


def test_an_alert_with_another_kinds_details_is_refused() -> None:
    with pytest.raises(OutgoingRecordError, match="details"):
        encode(ALERTS, _alert(kind="referral"))  # lagging details under a referral

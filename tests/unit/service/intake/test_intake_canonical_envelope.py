"""The canonical envelope `_accept` lays out by hand is the one `CanonicalEvent` would write.

`process_record` no longer builds a `CanonicalEvent` per record: it checks the three envelope
fields itself and serialises `received_at` once per batch clock. These tests hold the bytes to
the model's on what the shortcut could get wrong — the same instant written in two zones (equal
datetimes share a cache key unless the offset is part of it) — and hold the position check
to `SourcePosition`: what the model refuses is refused.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, timedelta, timezone

import orjson
import pytest
from pydantic import ValidationError

from recall.service.intake.admission import Accepted, _source_position, process_record
from schemas.records import CanonicalEvent, SourcePosition
from schemas.topics import EVENTS_CANONICAL, encode
from tests.unit.schemas.builders import injury_event
from tests.unit.service.intake.intake_builders import NOW, RULES, raw


def _canonical_at(now_zone: timezone) -> bytes:
    outcome = process_record(raw(injury_event()), RULES, NOW.astimezone(now_zone))
    assert isinstance(outcome, Accepted), outcome
    return outcome.canonical


def test_one_instant_in_two_zones_keeps_each_zone() -> None:
    utc = _canonical_at(UTC)
    china = _canonical_at(timezone(timedelta(hours=8)))
    utc_received = orjson.loads(utc)["received_at"]
    china_received = orjson.loads(china)["received_at"]
    assert utc_received != china_received
    assert china_received.endswith("+08:00")
    for canonical in (utc, china):
        assert encode(EVENTS_CANONICAL, orjson.loads(canonical)) == canonical
        document = orjson.loads(canonical)
        model = CanonicalEvent.model_validate_json(canonical)
        assert model.model_dump(mode="json")["received_at"] == document["received_at"]


@pytest.mark.parametrize(
    ("topic", "partition", "offset"),
    [("intake.raw", -1, 0), ("intake.raw", 0, -5), ("intake.raw", True, 0), (" intake.raw", 0, 0)],
)
def test_a_position_the_model_refuses_or_changes_is_refused(
    topic: str, partition: int, offset: int
) -> None:
    record = dataclasses.replace(
        raw(injury_event()), topic=topic, partition=partition, offset=offset
    )
    with pytest.raises(ValueError, match="source"):
        _source_position(record)
    model_refuses = True
    try:
        model = SourcePosition(topic=topic, partition=partition, offset=offset)
        model_refuses = model.topic != topic  # stripped: the canonical would differ from SQL
    except ValidationError:
        pass
    assert model_refuses


def test_a_valid_position_is_what_the_model_holds() -> None:
    record = raw(injury_event())
    expected = SourcePosition(topic=record.topic, partition=record.partition, offset=record.offset)
    assert _source_position(record) == expected.model_dump(mode="json")

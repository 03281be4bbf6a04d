"""A hostile station against the real intake: nothing stops it, nothing accepted is lost.

On a real broker, with the worker as a separate process, on SQLite and PostgreSQL: records of
every hostile kind (huge and NUL keys, a 1 MB value, year 9999, lax types, personal data,
another station's event id, a reused id with new content, format characters, huge and
duplicated headers, tombstones) go first; then valid events, which must all be stored. At the
end every published record of `intake.raw` has exactly one outcome, per partition, and each
hostile record has the outcome it deserves.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from kafka import KafkaProducer

from recall.adapters.db.key_store import server_side_keys
from schemas.signing import SIGNATURE_HEADER, signing_headers
from tests.support.events import valid_events
from tests.support.pipeline import Pipeline

pytestmark = pytest.mark.integration

RESIDENT_ID = "11010519491231002X"  # the standard's own example, valid check character
Headers = list[tuple[str, bytes]]


class Hostile:
    """Builds hostile records from valid ones, signed as a real station would sign them."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.keys = server_side_keys(pipeline.sessions, pipeline.settings)
        self.good = valid_events(pipeline.registry, 40, seed=77)
        self.records: list[tuple[bytes | None, bytes | None, Headers, str]] = []

    def event(self, i: int) -> tuple[str, dict[str, Any]]:
        reporter, value = self.good[i]
        return reporter, orjson.loads(value)

    def signed(self, reporter: str, value: bytes) -> Headers:
        return signing_headers(self.keys(reporter), value)

    def add(self, expected: str, key: bytes | None, value: bytes | None, headers: Headers) -> None:
        self.records.append((key, value, headers, expected))

    def add_event(self, expected: str, i: int, change: Callable[[dict[str, Any]], None]) -> None:
        reporter, event = self.event(i)
        change(event)
        value = orjson.dumps(event)
        self.add(expected, reporter.encode(), value, self.signed(reporter, value))


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(event: dict[str, Any]) -> None:
        node = event
        *parents, last = path.split(".")
        for part in parents:
            node = node[part]
        node[last] = value

    return change


def _hostile_records(h: Hostile) -> None:
    reporter, event = h.event(0)
    value = orjson.dumps(event)
    h.add("unauthenticated", b"H" * 300, b"{}", [])
    h.add("unauthenticated", b"H" * 300, value, h.signed(reporter, value))
    h.add("unauthenticated", reporter.encode() + b"\x00", value, h.signed(reporter, value))
    h.add("unauthenticated", b"\xff\xfe\x00", value, [])
    h.add("unauthenticated", reporter.encode(), None, [])  # a tombstone
    big = b'{"pad":"' + b"a" * 1_000_000 + b'"}'
    h.add("oversize", reporter.encode(), big, h.signed(reporter, big))
    h.add("unauthenticated", reporter.encode(), value, [("x-huge", b"x" * 100_000)])
    twice = [*h.signed(reporter, value), (SIGNATURE_HEADER, b"0" * 64)]
    h.add("unauthenticated", reporter.encode(), value, twice)
    nul = value.replace(b'"narrative":"', b'"narrative":"\\u0000', 1)
    h.add("schema", reporter.encode(), nul, h.signed(reporter, nul))
    raw_nul = value[:20] + b"\x00" + value[20:]
    h.add("malformed_json", reporter.encode(), raw_nul, h.signed(reporter, raw_nul))
    h.add_event(
        "event_time_out_of_range", 1, _set("payload.occurred_at", "9999-12-31T23:59:59-12:00")
    )
    h.add_event(
        "event_time_out_of_range", 2, _set("payload.occurred_at", "0001-01-01T00:00:00+14:00")
    )
    h.add_event("event_time_out_of_range", 3, _set("sent_at", "1970-01-01T00:00:00Z"))
    h.add_event("schema", 4, _set("payload.age_years", "4"))
    h.add_event("schema", 5, _set("payload.age_years", True))
    h.add_event("schema", 6, _set("sent_at", 1_700_000_000))
    h.add_event("schema", 7, _set("payload.case_ref", f"ID{RESIDENT_ID}"))
    h.add_event(
        "schema", 8, _set("payload.narrative", f"patient id {RESIDENT_ID[:6]} {RESIDENT_ID[6:]}")
    )
    h.add_event("schema", 9, _set("payload.product.brand", "Ac\u200bme"))
    h.add_event("schema", 10, _set("payload.product.model", "K-1\u202e"))


def _squatting(h: Hostile) -> tuple[str, str, str]:
    """Station B sends its own report under station A's event id first; then A sends.

    Returns (A, B, the event id): both must be stored, A's is not a "duplicate".
    """
    a, event_a = h.event(11)
    b, event_b = next((r, e) for r, e in (h.event(i) for i in range(12, 40)) if r != a)
    event_b["event_id"] = event_a["event_id"]
    for reporter, event in ((b, event_b), (a, event_a)):
        value = orjson.dumps(event)
        h.add("stored", reporter.encode(), value, h.signed(reporter, value))
    return a, b, str(event_a["event_id"])


def _conflict(h: Hostile) -> None:
    """One station reuses its own event id for a different report: a conflict, not a resend."""
    reporter, event = h.event(13)
    event["event_id"] = str(uuid.uuid4())
    first = orjson.dumps(event)
    event["payload"]["narrative"] = "a different report under the same id"
    second = orjson.dumps(event)
    h.add("stored", reporter.encode(), first, h.signed(reporter, first))
    h.add("event_id_conflict", reporter.encode(), second, h.signed(reporter, second))


def test_hostile_records_are_dead_lettered_and_valid_ones_after_them_all_stored(
    pipeline: Pipeline,
) -> None:
    h = Hostile(pipeline)
    _hostile_records(h)
    a, b, squatted = _squatting(h)
    _conflict(h)
    valid_after = h.good[14:40]
    producer = KafkaProducer(
        bootstrap_servers=pipeline.settings.bootstrap_servers,
        max_request_size=2 * 1024 * 1024,
        acks="all",
    )
    topic = pipeline.settings.topic_name("intake.raw")
    pipeline.start_worker()
    for key, value, headers, _ in h.records:
        producer.send(topic, key=key, value=value, headers=headers, partition=0)
    for reporter, value in valid_after:
        producer.send(topic, key=reporter.encode(), value=value, headers=h.signed(reporter, value))
    producer.flush()
    producer.close()

    expected_letters = sum(1 for *_, e in h.records if e not in {"stored"})
    expected_events = sum(1 for *_, e in h.records if e == "stored") + len(valid_after)
    counts = pipeline.wait_counts(
        events=expected_events, dead_letters=expected_letters, duplicates=0, timeout_s=120
    )
    assert counts.events == expected_events, "every valid event after the hostile ones is stored"
    assert counts.dead_letters == expected_letters
    assert counts.duplicates == 0
    wanted: dict[str, int] = {}
    for *_, reason in h.records:
        if reason != "stored":
            wanted[reason] = wanted.get(reason, 0) + 1
    assert counts.dead_letters_by_reason == wanted

    assert pipeline.assert_every_record_accounted() == len(h.records) + len(valid_after)
    _assert_squatting_stored_both(pipeline, a, b, squatted)
    _assert_dead_letters_bounded_and_redacted(pipeline)
    assert all(w.running() for w in pipeline.workers), "no record may stop the worker"
    assert [w.restarts for w in pipeline.workers] == [0], "nor crash it into a restart"


def _assert_squatting_stored_both(pipeline: Pipeline, a: str, b: str, event_id: str) -> None:
    from sqlalchemy import select

    from recall.adapters.db.models import Event

    with pipeline.sessions() as session:
        owners = set(session.scalars(select(Event.reporter_id).where(Event.event_id == event_id)))
    assert owners == {a, b}, "another station's use of an event id must not shadow the owner's"


def _assert_dead_letters_bounded_and_redacted(pipeline: Pipeline) -> None:
    letters = [orjson.loads(v) for v in pipeline.topic_records("intake.deadletter")]
    assert letters, "dead letters reach intake.deadletter"
    for letter in letters:
        kept = base64.b64decode(letter["original_b64"])
        assert len(kept) <= 16 * 1024
        assert RESIDENT_ID.encode() not in kept, "personal data must not be kept in a letter"
        assert letter["reporter_id"] is None or len(letter["reporter_id"]) <= 64
    oversize = [x for x in letters if x["reason"] == "oversize"]
    assert oversize and oversize[0]["original_truncated"] is True
    assert oversize[0]["original_size"] > 1_000_000
    redacted = [x for x in letters if x["redactions"] > 0]
    assert redacted, "the ID number in case_ref was redacted from the letter"

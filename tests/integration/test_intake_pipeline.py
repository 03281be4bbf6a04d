"""The intake path on a real Kafka broker and real databases: exactly once in effect."""

from __future__ import annotations

import base64
import hashlib

import orjson
import pytest
from kafka import KafkaConsumer

from recall.adapters.kafka.producer import StationSender
from recall.tools.worker_process import wait_for
from schemas.privacy import redact_bytes
from schemas.signing import SigningKey, derive_station_key
from tests.support.events import malformed_events, valid_events
from tests.support.pipeline import Pipeline

pytestmark = pytest.mark.integration


def _send(
    pipeline: Pipeline, records: list[tuple[str, bytes]] | list[tuple[str, bytes, bool]]
) -> None:
    sender = pipeline.sender()
    for record in records:
        reporter, value = record[0], record[1]
        signed = record[2] if len(record) == 3 else True
        sender.send(reporter, value, signed=signed)
    sender.flush()
    sender.close()


def test_valid_stored_once_malformed_dead_lettered_resent_counted(pipeline: Pipeline) -> None:
    good = valid_events(pipeline.registry, 300)
    bad = malformed_events(pipeline.registry, 21)
    pipeline.start_worker()
    _send(pipeline, good)
    _send(pipeline, bad)
    counts = pipeline.wait_counts(events=300, dead_letters=21, duplicates=0)
    assert counts.events == 300
    assert counts.dead_letters == 21
    assert set(counts.dead_letters_by_reason) == {"malformed_json", "schema", "unauthenticated"}

    _send(pipeline, good)  # the same 300 events again
    counts = pipeline.wait_counts(events=300, dead_letters=21, duplicates=300)
    assert counts.events == 300, "a resent event must never be stored twice"
    assert counts.duplicates == 300
    assert counts.dead_letters == 21


def test_dead_letters_keep_original_bytes_and_reason(pipeline: Pipeline) -> None:
    bad = malformed_events(pipeline.registry, 14, seed=5)
    pipeline.start_worker()
    _send(pipeline, bad)
    pipeline.wait_counts(events=0, dead_letters=14, duplicates=0)
    consumer = KafkaConsumer(
        pipeline.settings.topic_name("intake.deadletter"),
        bootstrap_servers=pipeline.settings.bootstrap_servers,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
        group_id=None,
    )
    letters = [orjson.loads(m.value) for m in consumer]
    consumer.close()
    originals = {base64.b64decode(letter["original_b64"]) for letter in letters}
    assert originals == {redact_bytes(value)[0] for _, value, _ in bad}
    digests = {letter["original_sha256"] for letter in letters}
    assert digests == {hashlib.sha256(value).hexdigest() for _, value, _ in bad}
    for letter in letters:
        assert letter["reason"] in {"malformed_json", "schema", "unauthenticated"}
        assert letter["errors"] and all(e["message"] for e in letter["errors"])
        assert letter["source"]["topic"].endswith("intake.raw")


def test_worker_killed_mid_stream_loses_nothing_and_duplicates_nothing(pipeline: Pipeline) -> None:
    total = 20_000
    _send(pipeline, valid_events(pipeline.registry, total, seed=9))
    first = pipeline.start_worker()
    assert wait_for(lambda: pipeline.counts().events >= 2_000, 120), first.log_tail()
    first.kill()  # SIGKILL: no shutdown, no final offset commit
    stored_at_crash = pipeline.counts().events
    assert stored_at_crash < total, (
        "the crash must happen mid-stream for this test to mean anything"
    )
    pipeline.start_worker()
    counts = pipeline.wait_counts(events=total, dead_letters=0, duplicates=0, timeout_s=180)
    assert counts.events == total
    assert counts.duplicates == 0, "redelivered records are not duplicates"
    assert counts.dead_letters == 0


def test_unregistered_and_disabled_reporters_are_refused(pipeline: Pipeline) -> None:
    from sqlalchemy import update

    from recall.adapters.db.models import Station

    events = valid_events(pipeline.registry, 10, seed=3)
    disabled = events[0][0]
    with pipeline.sessions.begin() as session:
        session.execute(update(Station).where(Station.station_id == disabled).values(enabled=False))
    pipeline.start_worker()
    ghost = orjson.loads(events[1][1])
    ghost["reporter_id"] = "GHOST-140105-999"
    # Signed with the key the server *would* derive for it: never issued, so never active.
    secret = pipeline.settings.signing_secret.get_secret_value()
    forged = StationSender(
        pipeline.settings,
        keys=lambda s: SigningKey(s, 1, derive_station_key(secret, s, 1)),
    )
    forged.send("GHOST-140105-999", orjson.dumps(ghost))
    forged.flush()
    forged.close()
    _send(pipeline, [e for e in events if e[0] == disabled])
    expected_disabled = sum(1 for e in events if e[0] == disabled)
    counts = pipeline.wait_counts(events=0, dead_letters=1 + expected_disabled, duplicates=0)
    assert counts.dead_letters_by_reason.get("unauthenticated") == 1
    assert counts.dead_letters_by_reason.get("disabled_reporter") == expected_disabled
    assert counts.events == 0

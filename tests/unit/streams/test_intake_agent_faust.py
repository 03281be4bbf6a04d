"""`validate_intake` as Faust runs it, in memory: signed station records in, canonical records
and dead letters out, everything stored through `store_batch` on the in-memory storage.

The worker's context is given what its registry refresh would load: the reporters and the
active station keys (`StationKeyring.refreshed`); records are signed with those keys as a
station signs them (`schemas.signing`). Events are dated relative to now, since the intake
checks event times against the clock.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from recall.domain.intake import Reporter
from recall.domain.registry import RegistrySnapshot
from schemas import STATION_EVENT_ADAPTER
from schemas.envelope import partition_key_of
from schemas.records import CanonicalEvent
from schemas.signing import ServerSideKeys, signing_headers
from schemas.topics import INTAKE_RAW
from streams.agents import intake
from streams.partitioning import partition_of
from tests.support.fakes.intake import MemoryIntakeRepository
from tests.support.fakes.recalls import MemoryRecallRepository
from tests.support.memory_storage import MemoryStorage
from tests.unit.streams.faust_support import (
    PARTITIONS,
    DatabaseAwayError,
    Harness,
    harness,
    put_all,
    run,
)

AGENT = "validate_intake"
USCC = "91140100MA0L2K3M4J"  # a unified social credit code with its check character
HOSPITAL = "hosp-140105-01"
FIRM = "firm-acme"
GHOST = "hosp-ghost"  # holds an active key, but is not in the registry
REPORTERS = {
    HOSPITAL: Reporter(HOSPITAL, "hospital", "140105", enabled=True),
    FIRM: Reporter(FIRM, "firm", "140100", enabled=True, manufacturer_code=USCC),
}
ACTIVE = {HOSPITAL: frozenset({1}), FIRM: frozenset({1}), GHOST: frozenset({1})}
PRODUCT = {
    "category": "appliances",
    "kind": "electric_kettle",
    "manufacturer_code": USCC,
    "brand": "Acme",
    "model": "K-1",
    "batch": "B1",
}
Record = tuple[bytes, bytes, int, list[tuple[str, bytes]]]


def _envelope(event_type: str, reporter: str, area: str, payload: dict[str, Any]) -> bytes:
    sent = datetime.now(UTC) - timedelta(minutes=5)
    event = {
        "event_id": str(uuid.uuid4()),
        "schema_version": 1,
        "reporter_id": reporter,
        "jurisdiction": area,
        "sent_at": sent.isoformat(),
        "type": event_type,
        "payload": payload,
    }
    return orjson.dumps(event)


def _injury(reporter: str = HOSPITAL) -> bytes:
    occurred = datetime.now(UTC) - timedelta(hours=2)
    payload = {
        "case_ref": "ER-0001",
        "occurred_at": occurred.isoformat(),
        "age_years": 4,
        "sex": "female",
        "body_part": "hand",
        "injury_nature": "burn_scald",
        "mechanism": "hot_object",
        "disposition": "treated_released",
        "setting": "home",
        "activity": "play",
        "product": PRODUCT,
    }
    return _envelope("injury_report", reporter, "140105", payload)


def _heartbeat() -> bytes:
    payload = {"status": "ok", "software_version": "1.4.2", "queued_reports": 0}
    return _envelope("station_heartbeat", HOSPITAL, "140105", payload)


def _notice(recall_id: str = "R-1") -> bytes:
    start = datetime.now(UTC) - timedelta(days=1)
    payload = {
        "recall_id": recall_id,
        "kind": "voluntary",
        "title": "Kettle lid may open while boiling",
        "product": PRODUCT,
        "batches": ["B1"],
        "affected": {"consumer": 1000},
        "hazard": "burns",
        "risk_level": "high",
        "remedies": ["repair"],
        "channels": ["direct_notice"],
        "start": start.isoformat(),
        "target_date": (start + timedelta(days=180)).isoformat(),
        "target_rate": 0.5,
    }
    return _envelope("recall_notice", FIRM, "140100", payload)


def _storage(repository: MemoryIntakeRepository | None = None) -> MemoryStorage:
    return MemoryStorage(
        intake=repository or MemoryIntakeRepository(), recalls=MemoryRecallRepository()
    )


def _intake(tmp_path: Path, storage: MemoryStorage, **options: Any) -> Harness:
    """The agent, with the registry and keys a refresh would have loaded."""
    app = harness(tmp_path, INTAKE_RAW, intake, agents="intake", storage=storage, **options)
    app.context.reporters = dict(REPORTERS)
    app.context.registry = RegistrySnapshot(manufacturers={USCC: "140100"})
    app.context.keyring = app.context.keyring.refreshed(ACTIVE)
    return app


def _signed(app: Harness, value: bytes, reporter: str = HOSPITAL, *, sign: bool = True) -> Record:
    """A record as a station sends it: keyed by its reporter id, signed with its key."""
    headers = signing_headers(ServerSideKeys(app.context.keyring)(reporter), value) if sign else []
    key = reporter.encode()
    return key, value, partition_of(key, PARTITIONS), headers


def _stored(storage: MemoryStorage) -> MemoryIntakeRepository:
    found = storage.state.intake
    assert isinstance(found, MemoryIntakeRepository)
    return found


def _forwarded(app: Harness) -> list[tuple[str, int, int]]:
    """The canonical records sent, each read as the contract's `CanonicalEvent`, its key
    checked: the (event type, source partition, source offset) of each, in order."""
    sent: list[tuple[str, int, int]] = []
    for topic, key, value, _ in app.producer.sent:
        if topic == app.context.topics.canonical:
            record = CanonicalEvent.model_validate_json(value)
            assert key == partition_key_of(record.event).encode()
            assert record.source.topic == app.context.topics.raw
            sent.append((record.event.type, record.source.partition, record.source.offset))
    return sent


def _letters(app: Harness) -> list[tuple[str, int, str | None]]:
    """The dead letters sent, read as the contract's `DeadLetter`: (reason, offset, reporter),
    each keyed by the reporter it claims, as the topic declares."""
    deadletter = app.context.topics.deadletter
    keys = [key for topic, key, _, _ in app.producer.sent if topic == deadletter]
    found = []
    for letter, key in zip(app.dead_letters(), keys, strict=True):
        assert letter.stage == AGENT and letter.source.topic == app.context.topics.raw
        assert key == (letter.reporter_id or "").encode()
        found.append((letter.reason.value, letter.source.offset, letter.reporter_id))
    return found


def test_signed_events_are_stored_and_forwarded_as_canonical_records(tmp_path: Path) -> None:
    async def scenario() -> None:
        storage = _storage()
        app = _intake(tmp_path, storage)
        hospital, firm = _signed(app, _injury()), _signed(app, _notice(), FIRM)
        records = [hospital, _signed(app, _heartbeat()), firm]
        await put_all(app.agent(AGENT), records)

        assert _forwarded(app) == [
            ("injury_report", hospital[2], 0),
            ("station_heartbeat", hospital[2], 1),
            ("recall_notice", firm[2], 2),
        ]
        assert _letters(app) == []
        stored = _stored(storage).events
        assert sorted(reporter for reporter, _ in stored) == [FIRM, HOSPITAL, HOSPITAL]
        assert list(storage.state.recalls.recalls) == ["R-1"], "the notice, in the same batch"
        assert storage.commits == 1, "one transaction for the batch"
        for event_type in ("injury_report", "station_heartbeat", "recall_notice"):
            assert app.metric("recall_events_accepted_total", type=event_type) == 1

    run(scenario)


def test_poison_records_are_dead_lettered_and_the_partition_flows_on(tmp_path: Path) -> None:
    async def scenario() -> None:
        storage = _storage()
        app = _intake(tmp_path, storage)
        good = _signed(app, _injury())
        records = [
            good,
            _signed(app, b'{"event_id": "0f8e7a52-'),
            _signed(app, _injury(), sign=False),
            _signed(app, _injury(GHOST), GHOST),
        ]
        await put_all(app.agent(AGENT), records)

        assert _letters(app) == [
            ("malformed_json", 1, HOSPITAL),
            ("unauthenticated", 2, HOSPITAL),
            ("unknown_reporter", 3, GHOST),
        ]
        assert _forwarded(app) == [("injury_report", good[2], 0)], "the rest of the batch"
        assert len(_stored(storage).events) == 1
        assert sorted(offset for _, _, offset in _stored(storage).dead_letters) == [1, 2, 3]
        assert app.metric("recall_events_rejected_total", reason="unauthenticated") == 1

        await put_all(app.agent(AGENT), [_signed(app, _injury())], first_offset=4)
        assert _forwarded(app)[-1] == ("injury_report", good[2], 4), "the partition goes on"
        assert len(_stored(storage).events) == 2
        assert len(_letters(app)) == 3

    run(scenario)


def test_a_record_the_store_refuses_is_dead_lettered_alone(tmp_path: Path) -> None:
    async def scenario() -> None:
        values = [_injury(), _injury(), _injury()]
        refused = str(STATION_EVENT_ADAPTER.validate_json(values[1]).event_id)
        storage = _storage(MemoryIntakeRepository(refuse_events={refused}))
        app = _intake(tmp_path, storage)
        await put_all(app.agent(AGENT), [_signed(app, v) for v in values])

        assert _letters(app) == [("storage_refused", 1, HOSPITAL)]
        assert [offset for _, _, offset in _forwarded(app)] == [0, 2]
        assert refused not in {event_id for _, event_id in _stored(storage).events}
        assert app.metric("recall_records_isolated_total", agent=AGENT) == 1

    run(scenario)


def test_a_store_outage_is_waited_out_and_the_batch_stored_once(tmp_path: Path) -> None:
    async def scenario() -> None:
        storage = _storage()
        storage.fail_next(DatabaseAwayError("database away"))
        app = _intake(tmp_path, storage)
        await put_all(app.agent(AGENT), [_signed(app, _injury()), _signed(app, _injury())])

        assert app.metric("recall_db_write_failures_total", table="intake") == 1
        assert _letters(app) == [], "an outage is not the records' fault"
        assert [offset for _, _, offset in _forwarded(app)] == [0, 1], "each forwarded once"
        assert len(_stored(storage).events) == 2
        assert storage.commits == 1

    run(scenario)


def test_a_batch_re_read_after_a_crash_stores_nothing_twice(tmp_path: Path) -> None:
    async def scenario() -> None:
        storage = _storage()
        app = _intake(tmp_path, storage, fail_at=1)
        records = [_signed(app, _injury()), _signed(app, _injury())]
        with pytest.raises(ConnectionError):
            await put_all(app.agent(AGENT), records)  # the second send fails: exit 70
        assert len(_stored(storage).events) == 2, "stored before producing"
        assert [offset for _, _, offset in _forwarded(app)] == [0]

        await put_all(app.agent(AGENT), records)  # the restarted worker re-reads the batch
        assert len(_stored(storage).events) == 2
        assert [offset for _, _, offset in _forwarded(app)] == [0, 0, 1], "at least once"
        assert app.metric("recall_events_redelivered_total") == 2
        assert app.metric("recall_events_duplicate_total") == 0
        assert _letters(app) == []

    run(scenario)

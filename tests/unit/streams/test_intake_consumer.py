"""`validate_intake` as the worker runs it: the batch consumer (`streams.intake_consumer`) over
an in-memory consumer and producer, storing through `store_batch` on the in-memory storage.

The consumer and producer are fakes with aiokafka's interface (`ConsumerRecord`s with
millisecond timestamps, `commit` of explicit offsets), so what is asserted is the stage's own
order of work: store, produce, then commit. The worker's context is given what its registry
refresh would load: the reporters and the active station keys (`StationKeyring.refreshed`);
records are signed with those keys as a station signs them (`schemas.signing`). Events are
dated relative to now, since the intake checks event times against the clock.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from aiokafka import TopicPartition

from recall.config import Settings
from recall.domain.intake import Reporter
from recall.domain.registry import RegistrySnapshot
from schemas import STATION_EVENT_ADAPTER, DeadLetter
from schemas.envelope import partition_key_of
from schemas.records import CanonicalEvent
from schemas.signing import ServerSideKeys, signing_headers
from streams.batch_consumer import BatchConsumer, PartitionState
from streams.context import WorkerContext
from streams.intake_consumer import intake_consumer, intake_group
from streams.partitioning import partition_of
from tests.support.fakes.intake import MemoryIntakeRepository
from tests.support.fakes.recalls import MemoryRecallRepository
from tests.support.memory_storage import MemoryStorage
from tests.unit.streams.batch_fakes import SENT_MS, FakeConsumer, FakeProducer, Record
from tests.unit.streams.faust_support import PARTITIONS, DatabaseAwayError, run, worker_context

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


@dataclass
class Stage:
    service: BatchConsumer
    consumer: FakeConsumer
    producer: FakeProducer
    context: WorkerContext
    fatal: list[tuple[str, BaseException]]

    def metric(self, name: str, **labels: str) -> float:
        return self.context.metrics.registry.get_sample_value(name, labels) or 0.0

    async def feed(self, records: list[Record], *, first_offset: int = 0) -> None:
        """Put the records and run one poll: one fetched batch, stored, produced, committed."""
        self.consumer.put(records, first_offset=first_offset)
        assert await self.service.poll_once() == len(records)


def _storage(repository: MemoryIntakeRepository | None = None) -> MemoryStorage:
    return MemoryStorage(
        intake=repository or MemoryIntakeRepository(), recalls=MemoryRecallRepository()
    )


async def _intake(tmp_path: Path, storage: MemoryStorage, *, fail_at: int | None = None) -> Stage:
    """The stage, with the registry and keys a refresh would have loaded, its clients open."""
    settings = Settings(agents="intake", state_dir=tmp_path, topic_partitions=PARTITIONS)
    context = worker_context(settings, storage=storage)
    context.reporters = dict(REPORTERS)
    context.registry = RegistrySnapshot(manufacturers={USCC: "140100"})
    context.keyring = context.keyring.refreshed(ACTIVE)
    consumer = FakeConsumer(context.topics.raw)
    producer = FakeProducer(consumer.events, fail_at=fail_at)
    fatal: list[tuple[str, BaseException]] = []
    service = intake_consumer(
        context,
        context.topics.raw,
        consumer=lambda: consumer,
        producer=lambda: producer,
        on_fatal=lambda reason, error: fatal.append((reason, error)),
    )
    await service.open()
    return Stage(service, consumer, producer, context, fatal)


def _signed(stage: Stage, value: bytes, reporter: str = HOSPITAL, *, sign: bool = True) -> Record:
    """A record as a station sends it: keyed by its reporter id, signed with its key."""
    keys = ServerSideKeys(stage.context.keyring)
    headers = signing_headers(keys(reporter), value) if sign else []
    key = reporter.encode()
    return key, value, partition_of(key, PARTITIONS), headers


def _stored(storage: MemoryStorage) -> MemoryIntakeRepository:
    found = storage.state.intake
    assert isinstance(found, MemoryIntakeRepository)
    return found


def _forwarded(stage: Stage) -> list[tuple[str, int, int]]:
    """The canonical records sent, each read as the contract's `CanonicalEvent`, its key and
    timestamp checked: the (event type, source partition, source offset) of each, in order."""
    sent: list[tuple[str, int, int]] = []
    for topic, key, value, timestamp_ms in stage.producer.sent:
        if topic == stage.context.topics.canonical:
            record = CanonicalEvent.model_validate_json(value)
            assert key == partition_key_of(record.event).encode()
            assert timestamp_ms == SENT_MS, "the station's send time, unchanged"
            assert record.source.topic == stage.context.topics.raw
            sent.append((record.event.type, record.source.partition, record.source.offset))
    return sent


def _letters(stage: Stage) -> list[tuple[str, int, str | None]]:
    """The dead letters sent, read as the contract's `DeadLetter`: (reason, offset, reporter),
    each keyed by the reporter it claims, as the topic declares."""
    found = []
    for topic, key, value, _ in stage.producer.sent:
        if topic == stage.context.topics.deadletter:
            letter = DeadLetter.model_validate_json(value)
            assert letter.stage == AGENT and letter.source.topic == stage.context.topics.raw
            assert key == (letter.reporter_id or "").encode()
            found.append((letter.reason.value, letter.source.offset, letter.reporter_id))
    return found


def _committed(stage: Stage) -> dict[int, int]:
    """The last committed (next) offset of each partition."""
    merged: dict[int, int] = {}
    for commit in stage.consumer.commits:
        merged.update({tp.partition: offset for tp, offset in commit.items()})
    return merged


def test_signed_events_are_stored_forwarded_then_committed(tmp_path: Path) -> None:
    async def scenario() -> None:
        storage = _storage()
        stage = await _intake(tmp_path, storage)
        hospital, firm = _signed(stage, _injury()), _signed(stage, _notice(), FIRM)
        records = [hospital, _signed(stage, _heartbeat()), firm]
        await stage.feed(records)

        assert _forwarded(stage) == [
            ("injury_report", hospital[2], 0),
            ("station_heartbeat", hospital[2], 1),
            ("recall_notice", firm[2], 2),
        ]
        assert _letters(stage) == []
        stored = _stored(storage).events
        assert sorted(reporter for reporter, _ in stored) == [FIRM, HOSPITAL, HOSPITAL]
        assert list(storage.state.recalls.recalls) == ["R-1"], "the notice, in the same batch"
        assert storage.commits == 1, "one transaction for the batch"
        assert stage.consumer.events[-1] == "commit", "offsets committed after every send"
        assert stage.consumer.commits == [
            {TopicPartition(stage.context.topics.raw, p): o + 1 for _, _, p, o in [
                (*hospital[:3], 1), (*firm[:3], 2)]}
        ]  # fmt: skip
        for event_type in ("injury_report", "station_heartbeat", "recall_notice"):
            assert stage.metric("recall_events_accepted_total", type=event_type) == 1
        assert stage.metric("recall_events_received_total") == 3
        assert stage.metric("recall_batch_processing_seconds_count", agent=AGENT) == 1

    run(scenario)


def test_poison_records_are_dead_lettered_and_the_partition_flows_on(tmp_path: Path) -> None:
    async def scenario() -> None:
        storage = _storage()
        stage = await _intake(tmp_path, storage)
        good = _signed(stage, _injury())
        records = [
            good,
            _signed(stage, b'{"event_id": "0f8e7a52-'),
            _signed(stage, _injury(), sign=False),
            _signed(stage, _injury(GHOST), GHOST),
        ]
        await stage.feed(records)

        assert _letters(stage) == [
            ("malformed_json", 1, HOSPITAL),
            ("unauthenticated", 2, HOSPITAL),
            ("unknown_reporter", 3, GHOST),
        ]
        assert _forwarded(stage) == [("injury_report", good[2], 0)], "the rest of the batch"
        assert len(_stored(storage).events) == 1
        assert sorted(offset for _, _, offset in _stored(storage).dead_letters) == [1, 2, 3]
        assert stage.metric("recall_events_rejected_total", reason="unauthenticated") == 1

        await stage.feed([_signed(stage, _injury())], first_offset=4)
        assert _forwarded(stage)[-1] == ("injury_report", good[2], 4), "the partition goes on"
        assert len(_stored(storage).events) == 2
        assert len(_letters(stage)) == 3
        assert _committed(stage)[good[2]] == 5

    run(scenario)


def test_a_batchs_counters_count_every_record_once(tmp_path: Path) -> None:
    """Counted once per label and batch, by how many: three injuries, two unsigned records."""

    async def scenario() -> None:
        stage = await _intake(tmp_path, _storage())
        injuries = [_signed(stage, _injury()) for _ in range(3)]
        unsigned = [_signed(stage, _injury(), sign=False) for _ in range(2)]
        await stage.feed(injuries + unsigned)

        assert stage.metric("recall_events_accepted_total", type="injury_report") == 3
        assert stage.metric("recall_events_rejected_total", reason="unauthenticated") == 2
        assert stage.metric("recall_intake_outcomes_total", outcome="stored") == 3
        assert stage.metric("recall_intake_outcomes_total", outcome="dead_lettered") == 2
        assert stage.metric("recall_events_received_total") == 5

    run(scenario)


def test_a_record_the_store_refuses_is_dead_lettered_alone(tmp_path: Path) -> None:
    async def scenario() -> None:
        values = [_injury(), _injury(), _injury()]
        refused = str(STATION_EVENT_ADAPTER.validate_json(values[1]).event_id)
        storage = _storage(MemoryIntakeRepository(refuse_events={refused}))
        stage = await _intake(tmp_path, storage)
        await stage.feed([_signed(stage, v) for v in values])

        assert _letters(stage) == [("storage_refused", 1, HOSPITAL)]
        assert [offset for _, _, offset in _forwarded(stage)] == [0, 2]
        assert refused not in {event_id for _, event_id in _stored(storage).events}
        assert stage.metric("recall_records_isolated_total", agent=AGENT) == 1

    run(scenario)


def test_a_store_outage_is_waited_out_and_the_batch_stored_once(tmp_path: Path) -> None:
    async def scenario() -> None:
        storage = _storage()
        storage.fail_next(DatabaseAwayError("database away"))
        stage = await _intake(tmp_path, storage)
        await stage.feed([_signed(stage, _injury()), _signed(stage, _injury())])

        assert stage.metric("recall_db_write_failures_total", table="intake") == 1
        assert _letters(stage) == [], "an outage is not the records' fault"
        assert [offset for _, _, offset in _forwarded(stage)] == [0, 1], "each forwarded once"
        assert len(_stored(storage).events) == 2
        assert storage.commits == 1
        assert len(stage.consumer.commits) == 1

    run(scenario)


def test_a_batch_re_read_after_a_crash_stores_nothing_twice(tmp_path: Path) -> None:
    async def scenario() -> None:
        storage = _storage()
        first = await _intake(tmp_path, storage, fail_at=1)
        records = [_signed(first, _injury()), _signed(first, _injury())]
        first.consumer.put(records)
        task = asyncio.ensure_future(first.service.run())  # the second send fails: exit 70
        await asyncio.wait_for(_until(lambda: bool(first.fatal)), 5)
        task.cancel()
        assert first.fatal[0][0] == f"agent {AGENT} crashed"
        assert isinstance(first.fatal[0][1], ConnectionError)
        assert first.consumer.commits == [], "nothing committed: the batch is re-read"
        assert len(_stored(storage).events) == 2, "stored before producing"
        assert [offset for _, _, offset in _forwarded(first)] == [0]

        restarted = await _intake(tmp_path, storage)  # a fresh worker re-reads the batch
        await restarted.feed(records)
        assert len(_stored(storage).events) == 2
        assert [offset for _, _, offset in _forwarded(restarted)] == [0, 1], "at least once"
        assert restarted.metric("recall_events_redelivered_total") == 2
        assert restarted.metric("recall_events_duplicate_total") == 0
        assert _letters(restarted) == []

    run(scenario)


def test_a_rebalance_waits_for_the_batch_in_flight_to_commit(tmp_path: Path) -> None:
    async def scenario() -> None:
        stage = await _intake(tmp_path, _storage())
        stage.producer.gate = asyncio.Event()  # deliveries held: the batch stays in flight
        record = _signed(stage, _injury())
        stage.consumer.put([record])
        polling = asyncio.ensure_future(stage.service.poll_once())
        await asyncio.wait_for(_until(lambda: bool(stage.producer.sent)), 5)
        listener = stage.consumer.listener
        assert listener is not None
        revoked = {TopicPartition(stage.context.topics.raw, record[2])}
        revoking = asyncio.ensure_future(listener.on_partitions_revoked(revoked))
        await asyncio.sleep(0)  # let the revocation run as far as it can: to the lock
        assert not revoking.done(), "a revocation must wait for the batch in flight"
        assert stage.consumer.commits == []

        stage.producer.gate.set()
        await asyncio.wait_for(revoking, 5)
        assert polling.done() and polling.result() == 1
        assert _committed(stage) == {record[2]: 1}, "committed before the partition went"
        assert (stage.context.topics.raw, record[2]) not in stage.service.progress()

    run(scenario)


def test_progress_reports_committed_read_and_highwater_offsets(tmp_path: Path) -> None:
    async def scenario() -> None:
        stage = await _intake(tmp_path, _storage())
        assert stage.service.progress() == {}, "not positioned before the first poll"
        record = _signed(stage, _injury())
        await stage.feed([record, _signed(stage, _injury())])
        progress = stage.service.progress()
        assert progress[(stage.context.topics.raw, record[2])] == PartitionState(2, 2, 2)
        assert len(progress) == PARTITIONS
        assert intake_group(stage.context.settings) == f"{stage.context.settings.app_id}-intake"

    run(scenario)


async def _until(condition: Any) -> None:
    """Yield to the loop until `condition()` holds (the caller bounds it with a timeout)."""
    while not condition():
        await asyncio.sleep(0.001)

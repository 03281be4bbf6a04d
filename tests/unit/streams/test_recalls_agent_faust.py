"""`track_recalls` and its timer `check_report_deadlines` as Faust runs them, in memory.

The agent reads `events.canonical` (records built through the contract's `CanonicalEvent`)
and judges each recall named by a notice or progress report through the services, on the
in-memory storage (`MemoryStorage` with the recall stage's fake repository), seeded by the
recall stage's own intake (`check_and_store`). What it decides goes to the outbox, checked
here against the topics' models; the agent itself sends only dead letters. The services stamp
the real time, so the recalls are dated relative to now.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from recall.domain.intake import Reporter
from recall.service.recalls.intake import check_and_store
from schemas import SourcePosition
from schemas.common import ProductRef
from schemas.envelope import (
    RecallNoticeEvent,
    RecallProgressReportEvent,
    StationEvent,
    partition_key_of,
    product_key_of,
)
from schemas.recalls import (
    LevelCounts,
    RecallEffectivenessUpdated,
    RecallNotice,
    RecallProgressReport,
)
from schemas.records import CanonicalEvent
from schemas.risk import Alert, AlertKind
from schemas.topics import EVENTS_CANONICAL, encode
from streams.agents import recalls
from streams.partitioning import partition_of
from tests.support.fakes.recalls import MemoryRecallRepository
from tests.support.fakes.risk_agents import canonical as injury_canonical
from tests.support.memory_storage import MemoryStorage
from tests.unit.streams.faust_support import (
    PARTITIONS,
    DatabaseAwayError,
    Harness,
    Records,
    harness,
    put_all,
    run,
)

AGENT = "track_recalls"
FIRM = "firm-acme"
AREA = "140105"
USCC = "91140100MA0L2K3M4J"  # a unified social credit code with its check character
REPORTERS = {FIRM: Reporter(FIRM, "firm", AREA, True, USCC)}
PRODUCT = ProductRef(
    category="appliances", kind="electric_kettle", manufacturer_code=USCC, brand="Acme", model="K-1"
)


def _notice(recall_id: str, start: datetime) -> RecallNoticeEvent:
    return RecallNoticeEvent(
        event_id=uuid.uuid4(),
        reporter_id=FIRM,
        jurisdiction=AREA,
        sent_at=start,
        payload=RecallNotice(
            recall_id=recall_id,
            kind="voluntary",
            title="Kettle lid may open while boiling",
            product=PRODUCT,
            batches=("B1",),
            affected={"consumer": 1000},
            hazard="burns",
            risk_level="high",
            remedies=("repair",),
            channels=("direct_notice",),
            start=start,
            target_date=start + timedelta(days=180),
            target_rate=0.5,
        ),
    )


def _report(recall_id: str, k: int, corrected: int, start: datetime) -> RecallProgressReportEvent:
    """Report k covers days 30(k−1)..30k of the recall and is sent when its period ends."""
    end = start + timedelta(days=30 * k)
    return RecallProgressReportEvent(
        event_id=uuid.uuid4(),
        reporter_id=FIRM,
        jurisdiction=AREA,
        sent_at=end,
        payload=RecallProgressReport(
            recall_id=recall_id,
            sequence=k,
            period_start=end - timedelta(days=30),
            period_end=end,
            levels={
                "consumer": LevelCounts(located=900, notified=900, corrected={"repair": corrected})
            },
        ),
    )


def _seeded(events: Sequence[StationEvent]) -> MemoryStorage:
    """The storage after the intake stored `events` (one transaction, nothing refused)."""
    storage = MemoryStorage(recalls=MemoryRecallRepository())
    with storage.transaction() as tx:
        assert check_and_store(tx, events, REPORTERS, datetime.now(UTC)) == {}
    return storage


def _record(event: StationEvent, offset: int = 0) -> tuple[bytes, bytes, int]:
    """The event as the intake forwards it: a `CanonicalEvent` keyed by `partition_key_of`."""
    value = encode(
        EVENTS_CANONICAL,
        CanonicalEvent(
            event=event,
            product_key=product_key_of(event),
            received_at=datetime.now(UTC),
            source=SourcePosition(topic="intake.raw", partition=0, offset=offset),
        ),
    )
    key = partition_key_of(event).encode()
    return key, value, partition_of(key, PARTITIONS)


def _tracker(tmp_path: Path, storage: MemoryStorage) -> Harness:
    return harness(tmp_path, EVENTS_CANONICAL, recalls, agents="recalls", storage=storage)


def _repository(storage: MemoryStorage) -> MemoryRecallRepository:
    found = storage.state.recalls
    assert isinstance(found, MemoryRecallRepository)
    return found


def _states(storage: MemoryStorage, recall_id: str) -> list[str]:
    return [step.to_state.value for step in _repository(storage).recalls[recall_id].history]


def _updates(app: Harness, storage: MemoryStorage) -> list[RecallEffectivenessUpdated]:
    """Queued `recalls.effectiveness` records, read as the contract's model, key checked."""
    updates = []
    for record in storage.state.outbox.records.values():
        if record.topic == app.context.topics.effectiveness:
            update = RecallEffectivenessUpdated.model_validate_json(record.value)
            assert record.key == update.recall_id
            updates.append(update)
    return updates


def _alerts(app: Harness, storage: MemoryStorage) -> list[Alert]:
    alerts = []
    for record in storage.state.outbox.records.values():
        if record.topic == app.context.topics.alerts:
            alert = Alert.model_validate_json(record.value)
            assert record.key == alert.alert_id
            alerts.append(alert)
    return alerts


def _isolated(app: Harness) -> list[tuple[int, str]]:
    """The dead letters sent: (offset on events.canonical, error), stage and reason checked."""
    letters = app.dead_letters()
    assert {(d.stage, d.reason, d.source.topic) for d in letters} <= {
        (AGENT, "processing_error", app.context.topics.canonical)
    }
    return [(d.source.offset, d.errors[0].message) for d in letters]


def test_notices_and_reports_update_their_recalls_once_a_batch(tmp_path: Path) -> None:
    async def scenario() -> None:
        start = datetime.now(UTC) - timedelta(days=31)
        events: list[StationEvent] = [
            _notice("R-1", start),
            _report("R-1", 1, 300, start),
            _notice("R-2", start),
        ]
        storage = _seeded(events)
        app = _tracker(tmp_path, storage)
        injury = orjson.dumps(injury_canonical(1, "k-1"))
        records: Records = [(b"unknown/acme/k-1", injury, 0), *map(_record, events)]
        await put_all(app.agent(AGENT), records)

        assert _states(storage, "R-1") == ["announced", "in_progress"], "the report started it"
        assert _states(storage, "R-2") == ["announced"]
        updates = _updates(app, storage)
        assert sorted((u.recall_id, u.state) for u in updates) == [
            ("R-1", "in_progress"),
            ("R-2", "announced"),
        ], "one update per recall of the batch, though R-1 came twice"
        [r1] = [u for u in updates if u.recall_id == "R-1"]
        assert (r1.rates["consumer"].affected, r1.rates["consumer"].corrected) == (1000, 300)
        assert len(storage.state.outbox.records) == 2, "nothing else queued"
        assert storage.commits == 1 + 2, "the seed, then one transaction per recall"
        assert app.producer.sent == [], "the agent sends nothing itself: the outbox does"

    run(scenario)


def test_a_poison_record_is_dead_lettered_and_the_partition_flows_on(tmp_path: Path) -> None:
    async def scenario() -> None:
        start = datetime.now(UTC) - timedelta(days=31)
        events: list[StationEvent] = [
            _notice("R-1", start),
            _report("R-1", 1, 300, start),
            _notice("R-2", start),
        ]
        storage = _seeded(events)
        app = _tracker(tmp_path, storage)
        later = _record(events[2])
        partition = later[2]
        cut = b'{"event":{"type":"recall_notice","payload":{"recall_id":'
        no_text = b'{"event":{"type":"recall_progress_report","payload":{"recall_id":7}}}'
        poison = [(b"recall:R-2", cut, partition), (b"recall:R-2", no_text, partition)]
        await put_all(app.agent(AGENT), [*poison, _record(events[1])])

        assert _isolated(app) == [(0, "JSONDecodeError"), (1, "TypeError")]
        assert {d.source.partition for d in app.dead_letters()} == {partition}
        assert _states(storage, "R-1") == ["announced", "in_progress"], "the rest of the batch"
        assert app.metric("recall_records_isolated_total", agent=AGENT) == 2

        await put_all(app.agent(AGENT), [later])
        assert sorted(u.recall_id for u in _updates(app, storage)) == ["R-1", "R-2"]
        assert len(app.dead_letters()) == 2, "the partition goes on"

    run(scenario)


def test_a_recall_the_store_refuses_is_dead_lettered_alone(tmp_path: Path) -> None:
    async def scenario() -> None:
        start = datetime.now(UTC) - timedelta(days=31)
        events: list[StationEvent] = [
            _notice("R-2", start),
            _notice("R-1", start),
            _report("R-1", 1, 300, start),
        ]
        storage = _seeded(events)
        _repository(storage).fail_next_save(ValueError("value too long for the column"))
        app = _tracker(tmp_path, storage)
        await put_all(app.agent(AGENT), [_record(e, n) for n, e in enumerate(events)])

        assert _isolated(app) == [(0, "ValueError")], "R-2, the first recall of the batch"
        assert [u.recall_id for u in _updates(app, storage)] == ["R-1"]
        assert _states(storage, "R-1") == ["announced", "in_progress"]

    run(scenario)


def test_a_store_outage_is_waited_out_and_the_update_applied_once(tmp_path: Path) -> None:
    async def scenario() -> None:
        start = datetime.now(UTC) - timedelta(days=31)
        events: list[StationEvent] = [_notice("R-1", start), _report("R-1", 1, 300, start)]
        storage = _seeded(events)
        _repository(storage).fail_next_save(DatabaseAwayError("database away"))
        app = _tracker(tmp_path, storage)
        await put_all(app.agent(AGENT), [_record(events[1])])

        assert app.metric("recall_db_write_failures_total", table="recalls") == 1
        assert _isolated(app) == [], "an outage is not the record's fault"
        assert _states(storage, "R-1") == ["announced", "in_progress"], "started once"
        assert [(u.recall_id, u.state) for u in _updates(app, storage)] == [("R-1", "in_progress")]
        assert len(storage.state.outbox.records) == 1
        assert storage.commits == 1 + 1

    run(scenario)


# --- check_report_deadlines: a timer of the same module --------------------------------------


def _overdue() -> MemoryStorage:
    """R-1, 95 days in with two reports: report 3 (due at day 90) is late."""
    start = datetime.now(UTC) - timedelta(days=95)
    return _seeded(
        [_notice("R-1", start), _report("R-1", 1, 300, start), _report("R-1", 2, 450, start)]
    )


def _kinds(app: Harness, storage: MemoryStorage) -> list[tuple[AlertKind, str]]:
    return [(a.kind, a.subject) for a in _alerts(app, storage)]


def test_the_deadline_timer_announces_a_missed_report_once(tmp_path: Path) -> None:
    async def scenario() -> None:
        storage = _overdue()
        app = _tracker(tmp_path, storage)
        tick = app.timer("check_report_deadlines")

        await tick()
        assert _kinds(app, storage) == [(AlertKind.PROGRESS_REPORT_OVERDUE, "R-1")]
        assert _repository(storage).recalls["R-1"].sent_keys == {"R-1/report/3/overdue"}
        await tick()
        assert len(_alerts(app, storage)) == 1, "announced once: its key is kept with the recall"
        assert app.metric("recall_timer_runs_total", timer="check_report_deadlines") == 2
        assert app.producer.sent == []

    run(scenario)


def test_the_deadline_timer_retries_after_an_outage_and_announces_once(tmp_path: Path) -> None:
    async def scenario() -> None:
        storage = _overdue()
        storage.fail_next(DatabaseAwayError("database away"))
        app = _tracker(tmp_path, storage)
        tick = app.timer("check_report_deadlines")

        await tick()  # the timer survives the outage; its failure is counted
        labels: dict[str, Any] = {"timer": "check_report_deadlines", "kind": "transient"}
        assert app.metric("recall_timer_failures_total", **labels) == 1
        assert _alerts(app, storage) == []
        commits = storage.commits
        await tick()
        assert storage.commits == commits, "backing off: no retry before its time"

        app.clock.advance(app.context.settings.deadline_check_seconds)
        await tick()
        assert _kinds(app, storage) == [(AlertKind.PROGRESS_REPORT_OVERDUE, "R-1")]
        await tick()
        assert len(_alerts(app, storage)) == 1

    run(scenario)

"""`open_investigations` and `publish_outbox` as Faust runs them, in memory (`faust_support`).

The agent reads `risk.signals` and writes through the services into the in-memory storage
(`MemoryStorage`): what it decides is the investigations stored and the records queued in the
outbox, checked here against their topic's model. The agent itself sends nothing but dead
letters; `publish_outbox`, a timer of the same module, sends the outbox. It reads the SQL
outbox directly (not through `Storage`), so its tests give it an SQLite file with that table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.models import OutboxRow
from recall.adapters.db.storage import SqlStorage
from recall.domain.investigations import investigation_id_for
from recall.service.ports import OutboxRecord, outbox_record
from schemas.risk import Alert, AlertKind, AlertSeverity, InvestigationEvent
from schemas.topics import ALERTS, ALL_TOPICS, RISK_SIGNALS
from streams.agents import investigate
from streams.partitioning import partition_of
from tests.support.investigations import HAZARD, OTHER_PRODUCT, PRODUCT, memory_storage, signal
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

AGENT = "open_investigations"
FIRST = investigation_id_for(PRODUCT, HAZARD, 1)
OTHER = investigation_id_for(OTHER_PRODUCT, HAZARD, 1)


def _signal(signal_id: str, product_key: str = PRODUCT, **overrides: Any) -> tuple[bytes, bytes]:
    value = signal(signal_id, product_key=product_key, **overrides).model_dump_json().encode()
    return product_key.encode(), value


def _on_partition(*records: tuple[bytes, bytes]) -> Records:
    """The records on the partition of their key, as the risk agent sends them."""
    return [(key, value, partition_of(key, PARTITIONS)) for key, value in records]


def _investigate(tmp_path: Path, storage: MemoryStorage, **options: Any) -> Harness:
    return harness(
        tmp_path, RISK_SIGNALS, investigate, agents="investigations", storage=storage, **options
    )


def _evidence(storage: MemoryStorage) -> dict[str, list[str]]:
    """Committed investigations: the evidence ids of each."""
    investigations = storage.state.investigations.investigations
    return {key: [e.evidence_id for e in inv.evidence] for key, inv in investigations.items()}


def _queued(storage: MemoryStorage) -> list[OutboxRecord]:
    return list(storage.state.outbox.records.values())


def _events(storage: MemoryStorage, topic: str) -> list[InvestigationEvent]:
    """Queued investigation events, read as the contract's model, key checked."""
    events = []
    for record in _queued(storage):
        if record.topic == topic:
            event = InvestigationEvent.model_validate_json(record.value)
            assert record.key == event.investigation_id
            events.append(event)
    return events


def _alerts(storage: MemoryStorage, topic: str) -> list[Alert]:
    alerts = []
    for record in _queued(storage):
        if record.topic == topic:
            alert = Alert.model_validate_json(record.value)
            assert record.key == alert.alert_id
            alerts.append(alert)
    return alerts


def test_signals_open_and_join_investigations_announced_in_the_outbox(tmp_path: Path) -> None:
    async def scenario() -> None:
        storage = memory_storage()
        app = _investigate(tmp_path, storage)
        records = _on_partition(
            _signal("sig-1"),
            _signal("sig-2", OTHER_PRODUCT),
            _signal("sig-3"),  # the same product and hazard: joins the first
            _signal("sig-1"),  # a redelivery: a duplicate, changes nothing
        )
        await put_all(app.agent(AGENT), records)

        assert _evidence(storage) == {FIRST: ["sig-1", "sig-3"], OTHER: ["sig-2"]}
        assert storage.commits == 1, "one transaction for the batch"
        topics = app.context.topics
        events = _events(storage, topics.investigations)
        assert sorted((e.investigation_id, e.action, e.evidence_id) for e in events) == [
            (FIRST, "attach_evidence", "sig-3"),
            (FIRST, "open", None),
            (OTHER, "open", None),
        ]
        alerts = _alerts(storage, topics.alerts)
        assert sorted(a.subject for a in alerts) == [FIRST, OTHER]
        assert {a.kind for a in alerts} == {AlertKind.INVESTIGATION_OPENED}
        assert len(_queued(storage)) == len(events) + len(alerts), "nothing off-contract queued"
        assert app.producer.sent == [], "the agent sends nothing itself: the outbox does"
        assert app.metric("recall_investigations_opened_total") == 2

    run(scenario)


def test_an_off_contract_signal_is_dead_lettered_and_the_partition_flows_on(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        storage = memory_storage()
        app = _investigate(tmp_path, storage)
        key = PRODUCT.encode()
        partition = partition_of(key, PARTITIONS)
        no_day = orjson.dumps(signal("sig-x").model_dump(mode="json", exclude={"day"}))
        poison = [(key, b'{"signal_id": "sig-0", ', partition), (key, no_day, partition)]
        await put_all(app.agent(AGENT), [*_on_partition(_signal("sig-1")), *poison])

        letters = app.dead_letters()
        assert [(d.reason, d.stage, d.source.offset) for d in letters] == [
            ("processing_error", AGENT, 1),
            ("processing_error", AGENT, 2),
        ]
        assert {(d.source.topic, d.source.partition) for d in letters} == {
            (app.context.topics.signals, partition)
        }
        assert {d.errors[0].message for d in letters} == {"ValidationError"}
        assert all(d.original_b64 == "" for d in letters), "a letter names, never quotes"
        assert _evidence(storage) == {FIRST: ["sig-1"]}, "the good signal of the batch is kept"
        assert app.metric("recall_records_isolated_total", agent=AGENT) == 2

        await put_all(app.agent(AGENT), _on_partition(_signal("sig-2")))
        assert _evidence(storage) == {FIRST: ["sig-1", "sig-2"]}, "the partition goes on"
        assert len(app.dead_letters()) == 2

    run(scenario)


def test_a_signal_the_domain_refuses_is_dead_lettered_alone(tmp_path: Path) -> None:
    async def scenario() -> None:
        storage = memory_storage()
        app = _investigate(tmp_path, storage)
        records = _on_partition(
            _signal("sig-1"), _signal("sig-bad", hazard="lava"), _signal("sig-2")
        )
        await put_all(app.agent(AGENT), records)

        [letter] = app.dead_letters()
        assert (letter.reason, letter.stage, letter.source.offset) == ("processing_error", AGENT, 1)
        assert letter.errors[0].message == "InvestigationInputError"
        assert _evidence(storage) == {FIRST: ["sig-1", "sig-2"]}
        assert storage.commits == 2, "the failed batch left nothing; the good ones, one by one"
        assert len(_events(storage, app.context.topics.investigations)) == 2  # open, attach

    run(scenario)


def test_a_store_outage_is_waited_out_and_the_batch_applied_once(tmp_path: Path) -> None:
    async def scenario() -> None:
        storage = memory_storage()
        storage.state.investigations.fail_next_save(DatabaseAwayError("database away"))
        app = _investigate(tmp_path, storage)
        await put_all(app.agent(AGENT), _on_partition(_signal("sig-1"), _signal("sig-2")))

        assert app.metric("recall_db_write_failures_total", table="investigations") == 1
        assert app.dead_letters() == [], "an outage is not the record's fault"
        assert _evidence(storage) == {FIRST: ["sig-1", "sig-2"]}
        assert storage.commits == 1
        events = _events(storage, app.context.topics.investigations)
        assert [(e.action, e.evidence_id) for e in events] == [
            ("open", None),
            ("attach_evidence", "sig-2"),
        ]
        assert len(_alerts(storage, app.context.topics.alerts)) == 1
        assert app.metric("recall_investigations_opened_total") == 1, "counted once"

    run(scenario)


# --- publish_outbox: the SQL outbox to the topics ------------------------------------------


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """An SQLite database holding the outbox table only: all the publisher reads and marks."""
    engine = make_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    outbox = OutboxRow.metadata.tables[OutboxRow.__tablename__]  # a Table, not any FromClause
    OutboxRow.metadata.create_all(engine, tables=[outbox])
    yield make_session_factory(engine)
    engine.dispose()


def _store(sessions: sessionmaker[Session], records: Sequence[OutboxRecord]) -> None:
    with SqlStorage(sessions).transaction() as tx:
        tx.outbox.add(records)


def _pending(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        query = select(OutboxRow.record_id).where(OutboxRow.published_at.is_(None))
        return sorted(session.scalars(query))


def _checked(app: Harness) -> list[tuple[str, bytes]]:
    """What the producer sent, each value validated against its topic's model: (topic, key)."""
    models = {app.context.settings.topic_name(spec.name): spec.model for spec in ALL_TOPICS}
    sent = []
    for topic, key, value, _ in app.producer.sent:
        model = models[topic]
        if isinstance(model, TypeAdapter):
            model.validate_json(value)
        else:
            model.model_validate_json(value)
        assert key is not None
        sent.append((topic, key))
    return sent


def test_publish_outbox_sends_what_the_agent_queued_and_marks_it(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    async def scenario() -> None:
        storage = memory_storage()
        app = _investigate(tmp_path, storage, sessions=sessions)
        records = _on_partition(_signal("sig-1"), _signal("sig-2", OTHER_PRODUCT))
        await put_all(app.agent(AGENT), records)
        queued = _queued(storage)
        _store(sessions, queued)  # what SqlStorage would have committed with the batch

        publish = app.timer("publish_outbox")
        await publish()
        topics = app.context.topics
        assert sorted(_checked(app)) == sorted((r.topic, r.key.encode()) for r in queued)
        assert {topic for topic, _ in _checked(app)} == {topics.investigations, topics.alerts}
        assert _pending(sessions) == []
        assert app.metric("recall_outbox_published_total") == len(queued) == 4

        await publish()
        assert len(app.producer.sent) == 4, "a published record is not sent again"
        assert app.metric("recall_timer_runs_total", timer="publish_outbox") == 2

    run(scenario)


def _alert_records(count: int, topic: str) -> list[OutboxRecord]:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    return [
        outbox_record(
            ALERTS,
            topic,
            record_id=f"alert-{n}",
            key=f"alert-{n}",
            value=Alert(
                alert_id=f"alert-{n}",
                severity=AlertSeverity.WARNING,
                kind=AlertKind.INVESTIGATION_OPENED,
                title=f"alert {n}",
                subject=f"inv-{n}",
                jurisdiction=None,
                at=start,
                details={"method": "live_nb", "evidence": f"signal {n}", "category": "children"},
            ),
            at=start + timedelta(seconds=n),
        )
        for n in range(3)
    ]


def test_publish_outbox_after_a_broker_failure_resends_all_at_least_once(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    async def scenario() -> None:
        app = _investigate(tmp_path, memory_storage(), sessions=sessions, fail_at=1)
        topic = app.context.topics.alerts
        _store(sessions, _alert_records(3, topic))
        publish = app.timer("publish_outbox")

        await publish()  # the second send fails: the tick fails, nothing is marked
        failures = app.metric(
            "recall_timer_failures_total", timer="publish_outbox", kind="transient"
        )
        assert failures == 1, "a broker away is transient: retried on a later tick"
        assert _pending(sessions) == ["alert-0", "alert-1", "alert-2"]
        assert [key for _, key in _checked(app)] == [b"alert-0"]

        await publish()
        assert len(app.producer.sent) == 1, "backing off: no retry before its time"
        app.clock.advance(0.2)
        await publish()
        keys = [key for _, key in _checked(app)]
        assert keys == [b"alert-0", b"alert-0", b"alert-1", b"alert-2"], "at least once, in order"
        assert _pending(sessions) == []
        assert app.metric("recall_outbox_published_total") == 3

    run(scenario)

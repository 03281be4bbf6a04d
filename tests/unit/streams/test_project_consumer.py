"""The projectors as the worker runs them: batch consumers (`streams.batch_consumer`) over an
in-memory consumer and producer, writing through `recall.service.readmodel.projection.project`
into `MemoryReadModel`.

Each topic has its own projector (`project_scores`, `project_signals`, `project_alerts`) in its
own consumer group; it sends nothing but dead letters, and commits a batch only once the batch
is written and its dead letters delivered.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from recall.config import Settings
from schemas import DeadLetter
from schemas.topics import ALERTS, RISK_SCORES, RISK_SIGNALS, TopicSpec
from streams.agents import project
from streams.app import create_app, reader_groups
from streams.batch_consumer import GATHER_MIN_BYTES, BatchConsumer, batch_consumers
from streams.context import WorkerContext
from streams.intake_consumer import intake_consumer
from tests.support.fakes.read_model import MemoryReadModel
from tests.support.memory_storage import MemoryStorage
from tests.support.readmodel import PRODUCT, alert, score, signal_at
from tests.support.readmodel import scores as read_scores
from tests.unit.streams.batch_fakes import FakeConsumer, FakeProducer, Record
from tests.unit.streams.faust_support import PARTITIONS, DatabaseAwayError, run, worker_context

KEY = PRODUCT.encode()


@dataclass
class Projector:
    service: BatchConsumer
    consumer: FakeConsumer
    producer: FakeProducer
    context: WorkerContext

    def metric(self, name: str, **labels: str) -> float:
        return self.context.metrics.registry.get_sample_value(name, labels) or 0.0

    async def feed(self, records: list[Record], *, first_offset: int = 0) -> None:
        """Put the records and run one poll: one fetched batch, written, committed."""
        self.consumer.put(records, first_offset=first_offset)
        assert await self.service.poll_once() == len(records)

    def dead_letters(self) -> list[DeadLetter]:
        topic = self.context.topics.deadletter
        return [
            DeadLetter.model_validate_json(v) for t, _, v, _ in self.producer.sent if t == topic
        ]

    def committed(self) -> dict[int, int]:
        merged: dict[int, int] = {}
        for commit in self.consumer.commits:
            merged.update({tp.partition: offset for tp, offset in commit.items()})
        return merged


async def _projector(
    tmp_path: Path, spec: TopicSpec, model: MemoryReadModel, **kwargs: Any
) -> Projector:
    settings = Settings(agents="project", state_dir=tmp_path, topic_partitions=PARTITIONS)
    context = worker_context(settings, storage=MemoryStorage())
    topic = settings.topic_name(spec.name)
    consumer = FakeConsumer(topic)
    producer = FakeProducer(consumer.events)
    service = project.projector(
        context, topic, model, consumer=lambda: consumer, producer=lambda: producer, **kwargs
    )
    await service.open()
    return Projector(service, consumer, producer, context)


def _score(value: float, minutes: float) -> bytes:
    return score(value, minutes=minutes).score.model_dump_json().encode()


def _records(values: list[tuple[bytes, bytes, int]]) -> list[Record]:
    return [(key, value, partition, []) for key, value, partition in values]


def test_scores_signals_and_alerts_land_in_the_read_model(tmp_path: Path) -> None:
    async def scenario() -> None:
        model = MemoryReadModel()
        scores = await _projector(tmp_path / "scores", RISK_SCORES, model)
        newest_first = [(KEY, _score(70, 5), 1), (KEY, _score(20, 1), 1), (KEY, _score(70, 5), 1)]
        await scores.feed(_records(newest_first))
        [view] = read_scores(model)
        assert (view.score, view.product_key) == (70, PRODUCT), "the older one did not win"
        assert scores.metric("recall_rows_persisted_total", table="risk_scores") == 1
        assert scores.committed() == {1: 3}

        signals = await _projector(tmp_path / "signals", RISK_SIGNALS, model)
        values = [signal_at(n).model_dump_json().encode() for n in ("s1", "s2", "s1")]
        await signals.feed(_records([(KEY, v, 0) for v in values]))
        alerts = await _projector(tmp_path / "alerts", ALERTS, model)
        await alerts.feed(_records([(b"a1", alert("a1").model_dump_json().encode(), 2)]))

        assert sorted(model.signals_by_id) == ["s1", "s2"]
        assert list(model.alerts_by_id) == ["a1"]
        assert [p.producer.sent for p in (scores, signals, alerts)] == [[], [], []]
        assert [p.consumer.events for p in (scores, signals, alerts)] == [["commit"]] * 3

    run(scenario)


def test_an_unreadable_record_is_dead_lettered_and_the_partition_flows_on(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        model = MemoryReadModel()
        stage = await _projector(tmp_path, RISK_SIGNALS, model)
        no_day = orjson.dumps(signal_at("sx").model_dump(mode="json", exclude={"day"}))
        records: list[Any] = [
            (KEY, signal_at("s1").model_dump_json().encode(), 0),
            (KEY, b'{"signal_id": ', 0),
            (KEY, no_day, 0),
            (KEY, _score(10, 0), 0),  # a score on the signals topic: not a signal
        ]
        await stage.feed(_records(records))
        letters = stage.dead_letters()
        assert [(d.reason, d.stage, d.source.offset) for d in letters] == [
            ("processing_error", "project_signals", 1),
            ("processing_error", "project_signals", 2),
            ("processing_error", "project_signals", 3),
        ]
        assert {d.errors[0].message for d in letters} == {"ValidationError"}
        assert all(d.original_b64 == "" for d in letters), "a letter names, never quotes"
        assert list(model.signals_by_id) == ["s1"]
        assert stage.consumer.events[-1] == "commit", "committed after the letters went"
        assert stage.consumer.events.count("commit") == 1

        later = [(KEY, signal_at("s2").model_dump_json().encode(), 0)]
        await stage.feed(_records(later), first_offset=4)
        assert sorted(model.signals_by_id) == ["s1", "s2"], "the partition goes on"
        assert stage.metric("recall_records_isolated_total", agent="project_signals") == 3
        assert stage.committed() == {0: 5}

    run(scenario)


def test_a_record_the_store_refuses_is_dead_lettered_alone(tmp_path: Path) -> None:
    async def scenario() -> None:
        model = MemoryReadModel(refused={"a2"})
        stage = await _projector(tmp_path, ALERTS, model)
        values = [alert(n).model_dump_json().encode() for n in ("a1", "a2", "a3")]
        await stage.feed(_records([(b"k", v, 0) for v in values]))
        [letter] = stage.dead_letters()
        assert (letter.source.offset, letter.errors[0].message) == (1, "ValueError")
        assert sorted(model.alerts_by_id) == ["a1", "a3"]
        assert model.writes == 2, "the failed batch left nothing; the good ones, one by one"

    run(scenario)


def test_an_outage_is_waited_out_and_the_batch_written_once(tmp_path: Path) -> None:
    async def scenario() -> None:
        model = MemoryReadModel()
        model.fail_next(DatabaseAwayError("database away"))
        stage = await _projector(tmp_path, RISK_SCORES, model)
        await stage.feed(_records([(KEY, _score(30, 0), 0)]))
        assert stage.metric("recall_db_write_failures_total", table="risk_scores") == 1
        assert stage.dead_letters() == [], "an outage is not the record's fault"
        assert [v.score for v in read_scores(model)] == [30]
        assert model.writes == 1

    run(scenario)


def test_a_batch_not_accounted_for_is_never_committed(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        model = MemoryReadModel()
        model.fail_next(RuntimeError("a bug"))  # permanent: the record is to be set aside
        fatal: list[tuple[str, BaseException]] = []
        stage = await _projector(
            tmp_path, ALERTS, model, on_fatal=lambda reason, error: fatal.append((reason, error))
        )
        stage.consumer.put(_records([(b"a1", alert("a1").model_dump_json().encode(), 0)]))
        stage.producer.fail_at = 0  # the dead letter cannot be delivered: the batch escapes
        task = asyncio.ensure_future(stage.service.run())
        await asyncio.wait_for(_until(lambda: bool(fatal)), 5)
        task.cancel()
        assert fatal[0][0] == "agent project_alerts crashed"
        assert stage.consumer.commits == [], "nothing committed: the batch is re-read"

    run(scenario)


def test_the_project_stage_runs_one_projector_per_topic(tmp_path: Path) -> None:
    async def scenario() -> None:
        settings = Settings(table_store="memory", agents="project", state_dir=tmp_path)
        app = create_app(worker_context(settings))
        stages = {s.stage: (s.topic, s.group) for s in batch_consumers(app)}
        app_id = settings.app_id
        assert stages == {
            "project_scores": ("risk.scores", f"{app_id}-project_scores"),
            "project_signals": ("risk.signals", f"{app_id}-project_signals"),
            "project_alerts": ("alerts", f"{app_id}-project_alerts"),
        }
        assert not app.agents, "no Faust agent reads the projected topics"
        assert "project" in Settings().agents.split(","), "on by default"
        everything = Settings()
        assert reader_groups(everything, "alerts") == [app_id, f"{app_id}-project_alerts"]
        assert reader_groups(everything, "risk.scores") == [f"{app_id}-project_scores"]

    run(scenario)


async def _until(condition: Any) -> None:
    """Yield to the loop until `condition()` holds (the caller bounds it with a timeout)."""
    while not condition():
        await asyncio.sleep(0.001)


def test_the_broker_gathers_fuller_batches_a_quarter_second_for_projectors_less_for_intake(
    tmp_path: Path,
) -> None:
    """At live pace each projector fetched and committed a few records at a time (~20% of the
    worker's CPU at 140 events/s); the read model may lag a quarter second. The intake is on
    the path to an investigation: it gathers 50 ms (fewer, fuller batches shortened the p99
    at a live pace). Setting 0 turns either off."""

    def fetch_settings(settings: Settings, name: str) -> tuple[int, int]:
        context = worker_context(settings, storage=MemoryStorage())
        if name == "intake":
            stage = intake_consumer(context, settings.topic_name("intake.raw"))
        else:
            stage = project.projector(context, settings.topic_name(RISK_SCORES.name))

        async def made() -> tuple[int, int]:
            consumer: Any = stage._make_consumer()
            return consumer._fetch_max_wait_ms, consumer._fetch_min_bytes

        return asyncio.run(made())

    settings = Settings(state_dir=tmp_path, topic_partitions=PARTITIONS)
    assert fetch_settings(settings, "project") == (1000, GATHER_MIN_BYTES)
    assert fetch_settings(settings, "intake") == (50, GATHER_MIN_BYTES)
    off = Settings(
        state_dir=tmp_path, topic_partitions=PARTITIONS, background_gather_s=0, intake_gather_s=0
    )
    assert fetch_settings(off, "project") == (500, 1)  # aiokafka's: answer at once
    assert fetch_settings(off, "intake") == (500, 1)

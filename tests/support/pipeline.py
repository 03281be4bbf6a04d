"""One isolated intake pipeline per test: own topics (prefix), consumer group, database, worker."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.intake_store import IntakeCounts, IntakeStore
from recall.adapters.db.key_store import server_side_keys
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.registry_store import load_registry
from recall.adapters.kafka.admin import ensure_topics
from recall.adapters.kafka.producer import StationSender
from recall.config import Settings
from recall.tools.registry.sample import SampleSizes, generate
from recall.tools.worker_process import WorkerProcess, wait_for
from schemas.registry import RegistryFile
from tests.support.ports import free_port

SMALL = SampleSizes(manufacturers=40, products_per_manufacturer=2, standards=5, labs=5, experts=10)


@dataclass
class Pipeline:
    settings: Settings
    workdir: Path
    registry: RegistryFile = field(default_factory=lambda: generate(11, SMALL))
    workers: list[WorkerProcess] = field(default_factory=list)

    @classmethod
    def create(cls, broker: Settings, database_url: str, workdir: Path) -> Pipeline:
        run = uuid.uuid4().hex[:10]
        settings = Settings(
            KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap_servers,
            DATABASE_URL=database_url,
            state_dir=workdir,
            topic_prefix=f"t{run}.",
            app_id=f"recall-test-{run}",
            topic_partitions=4,
            metrics_port=free_port(),
            persist_batch_seconds=0.1,
        )
        pipeline = cls(settings, workdir)
        upgrade(settings.sqlalchemy_url)
        load_registry(pipeline.sessions, pipeline.registry)
        ensure_topics(settings)
        return pipeline

    @property
    def sessions(self) -> sessionmaker[Session]:
        return make_session_factory(make_engine(self.settings.sqlalchemy_url))

    @property
    def store(self) -> IntakeStore:
        return IntakeStore(self.sessions)

    def env(self) -> dict[str, str]:
        s = self.settings
        return {
            "KAFKA_BOOTSTRAP_SERVERS": s.bootstrap_servers,
            "DATABASE_URL": s.database_url or "",
            "RECALL_STATE_DIR": str(s.state_dir),
            "RECALL_TOPIC_PREFIX": s.topic_prefix,
            "RECALL_APP_ID": s.app_id,
            "RECALL_TOPIC_PARTITIONS": str(s.topic_partitions),
            "RECALL_METRICS_PORT": str(s.metrics_port),
            "RECALL_PERSIST_BATCH_SECONDS": str(s.persist_batch_seconds),
            "RECALL_REGISTRY_REFRESH_SECONDS": "1",
            "RECALL_DEADLINE_CHECK_SECONDS": "1",
            # A stuck worker (a Faust rebalance/recovery hang, seen under load) exits 70 and
            # WorkerProcess restarts it: sooner than the 180 s default, so a test's waits see
            # the recovery rather than the hang.
            "RECALL_STUCK_EXIT_SECONDS": "45",
        }

    def start_worker(self) -> WorkerProcess:
        worker = WorkerProcess(self.env(), self.workdir / f"worker-{len(self.workers)}.log")
        worker.start()
        self.workers.append(worker)
        return worker

    def sender(self) -> StationSender:
        """A sender that signs as any station with an active key in the pipeline's database."""
        return StationSender(self.settings, keys=server_side_keys(self.sessions, self.settings))

    def counts(self) -> IntakeCounts:
        return self.store.counts()

    def wait_counts(
        self, *, events: int, dead_letters: int, duplicates: int, timeout_s: float = 90
    ) -> IntakeCounts:
        """Wait until the store shows at least these counts; then return what it shows."""

        def reached() -> bool:
            c = self.counts()
            alive = any(w.running() for w in self.workers)
            assert alive, "no worker is running:\n" + "\n".join(w.log_tail() for w in self.workers)
            return (
                c.events >= events and c.dead_letters >= dead_letters and c.duplicates >= duplicates
            )

        if not wait_for(reached, timeout_s):
            logs = "\n---\n".join(w.log_tail() for w in self.workers)
            raise AssertionError(f"counts not reached in {timeout_s}s: {self.counts()}\n{logs}")
        return self.counts()

    def assert_every_record_accounted(self) -> int:
        """Published (broker offsets of intake.raw) = stored + dead-lettered + duplicates, per
        partition, and no record with two outcomes; returns how many were published."""
        from recall.adapters.kafka.admin import partition_ranges
        from recall.service.intake.accounting import balance

        topic = self.settings.topic_name("intake.raw")
        ranges = partition_ranges(self.settings, topic)
        accounted = self.store.accounted(topic, {r.partition: r.start for r in ranges})
        rows = balance([(r.partition, r.start, r.end) for r in ranges], accounted.items())
        assert [r for r in rows if not r.balanced] == [], rows
        assert self.store.positions_in_two_tables(topic) == 0
        return sum(r.published for r in rows)

    def wait(self, predicate: Callable[[], bool], timeout_s: float = 90) -> None:
        """Wait for `predicate`; fail at once with the worker logs if every worker died."""

        def check() -> bool:
            if self.workers and not any(w.running() for w in self.workers):
                logs = "\n---\n".join(w.log_tail() for w in self.workers)
                raise AssertionError(f"no worker is running:\n{logs}")
            return predicate()

        if not wait_for(check, timeout_s):
            logs = "\n---\n".join(w.log_tail() for w in self.workers)
            raise AssertionError(f"condition not reached in {timeout_s}s\n{logs}")

    def topic_records(self, base_topic: str) -> list[bytes]:
        """Every record value on a topic so far (reads from the beginning, no group)."""
        return [value for _partition, _key, value in self.topic_messages(base_topic)]

    def topic_messages(self, base_topic: str) -> list[tuple[int, bytes | None, bytes]]:
        """Every record on one of the declared topics so far, as (partition, key, value)."""
        return self.messages_of(self.settings.topic_name(base_topic))

    def changelog_messages(self, table: str) -> list[tuple[int, bytes | None, bytes]]:
        """Every record on a Faust table's changelog topic so far."""
        return self.messages_of(f"{self.settings.app_id}-{table}-changelog")

    def messages_of(self, topic: str) -> list[tuple[int, bytes | None, bytes]]:
        from kafka import KafkaConsumer

        consumer = KafkaConsumer(
            topic,
            bootstrap_servers=self.settings.bootstrap_servers,
            auto_offset_reset="earliest",
            consumer_timeout_ms=2000,
            group_id=None,
        )
        try:
            return [(m.partition, m.key, m.value) for m in consumer]
        finally:
            consumer.close()

    def close(self) -> None:
        for worker in self.workers:
            worker.stop(timeout_s=10)

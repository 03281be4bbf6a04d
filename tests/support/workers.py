"""Several `recall worker` processes in one consumer group, watched from the outside (tests).

Workers are black boxes here. Each member of a group has its own state directory and metrics
port; what it owns is read from its own `/metrics` (`recall_consumer_lag{topic,partition}` lists
every partition assigned to it, and drops a partition it lost), what the group has done from the
broker — the committed offsets of every consumer group whose id starts with the app id, so a
stage that consumes in a group of its own is watched too — and from SQL.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from recall.adapters.db.migrate import upgrade
from recall.adapters.db.registry_store import load_registry
from recall.adapters.kafka.admin import delete_topics_with_prefix, ensure_topics
from recall.config import Settings
from recall.tools.worker_process import WorkerProcess
from tests.support.pipeline import Pipeline
from tests.support.ports import free_port

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
Partition = tuple[str, int]

GROUP_ENV = {
    # A dead member is noticed after this many seconds (the broker's minimum is 6): the group
    # rebalances onto the survivors soon after a kill -9, not after the 10 s default.
    "RECALL_CONSUMER_SESSION_TIMEOUT_S": "6",
}


def group_pipeline(broker: Settings, database_url: str, workdir: Path, partitions: int) -> Pipeline:
    """A pipeline of its own (topics, app id, database) with `partitions` per topic."""
    run = uuid.uuid4().hex[:10]
    settings = Settings(
        KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap_servers,
        DATABASE_URL=database_url,
        state_dir=workdir,
        topic_prefix=f"g{run}.",
        app_id=f"recall-group-{run}",
        topic_partitions=partitions,
        metrics_port=free_port(),
        persist_batch_seconds=0.1,
    )
    pipeline = Pipeline(settings, workdir)
    upgrade(settings.sqlalchemy_url)
    load_registry(pipeline.sessions, pipeline.registry)
    ensure_topics(settings)
    return pipeline


def delete_topics(pipeline: Pipeline) -> None:
    """The run's topics and Faust's changelogs: a test leaves none behind."""
    s = pipeline.settings
    delete_topics_with_prefix(s, (s.topic_prefix, s.app_id))


@dataclass
class Member:
    """One worker of a group: its process, its metrics port and its own state directory."""

    name: str
    worker: WorkerProcess
    port: int
    state_dir: Path

    def samples(self) -> Samples:
        """Its metrics now; nothing while its port is closed (starting, or dead)."""
        try:
            url = f"http://127.0.0.1:{self.port}/metrics"
            with urllib.request.urlopen(url, timeout=3) as response:
                body = response.read().decode()
        except (OSError, urllib.error.URLError):
            return {}
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body)
            for s in family.samples
        }

    def ready(self) -> bool:
        try:
            url = f"http://127.0.0.1:{self.port}/ready"
            with urllib.request.urlopen(url, timeout=3) as response:
                return bool(response.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def assigned(self, prefix: str, samples: Samples | None = None) -> set[Partition]:
        """Partitions of the run's topics (`prefix`) assigned to this worker, per its metrics."""
        found = set()
        for (name, labels), _value in (self.samples() if samples is None else samples).items():
            if name != "recall_consumer_lag":
                continue
            label = dict(labels)
            if label["topic"].startswith(prefix):
                found.add((label["topic"], int(label["partition"])))
        return found

    def batches_done(self, samples: Samples | None = None) -> float:
        """Batches this process has finished in any agent (0 before its first)."""
        return sum(
            value
            for (name, _labels), value in (self.samples() if samples is None else samples).items()
            if name == "recall_batch_processing_seconds_count"
        )


def start_member(pipeline: Pipeline, name: str, **env: str) -> Member:
    """Start one more worker of the pipeline's group, with its own state dir and port."""
    state_dir = pipeline.workdir / name
    state_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    worker = WorkerProcess(
        {
            **pipeline.env(),
            **GROUP_ENV,
            "RECALL_STATE_DIR": str(state_dir),
            "RECALL_METRICS_PORT": str(port),
            **env,
        },
        pipeline.workdir / f"{name}.log",
    )
    worker.start()
    pipeline.workers.append(worker)
    return Member(name, worker, port, state_dir)


def _admin(settings: Settings) -> KafkaAdminClient:
    return KafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers, **settings.kafka_client_options()
    )


def committed_offsets(settings: Settings) -> dict[str, dict[Partition, int]]:
    """Per consumer group of this run (id starting with the app id): its committed offsets on
    the run's topics (prefix), by (topic, partition)."""
    admin = _admin(settings)
    try:
        ours = sorted(
            g["group_id"] for g in admin.list_groups() if g["group_id"].startswith(settings.app_id)
        )
        if not ours:
            return {}
        offsets = admin.list_group_offsets(ours)
    finally:
        admin.close()
    return {
        group: {
            (tp.topic, tp.partition): meta.offset
            for tp, meta in offsets.get(group, {}).items()
            if tp.topic.startswith(settings.topic_prefix) and meta.offset >= 0
        }
        for group in ours
    }


def end_offsets(settings: Settings, partitions: set[Partition]) -> dict[Partition, int]:
    """The next offset of each partition (what it holds, since none was ever deleted)."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers, **settings.kafka_client_options()
    )
    try:
        ends = consumer.end_offsets([TopicPartition(t, p) for t, p in partitions])
    finally:
        consumer.close()
    return {(tp.topic, tp.partition): offset for tp, offset in ends.items()}


def uncommitted(settings: Settings) -> dict[tuple[str, str, int], int]:
    """Records each group of the run has not committed yet, per (group, topic, partition) it
    consumes; empty when every consumer has caught up."""
    committed = committed_offsets(settings)
    partitions = {tp for offsets in committed.values() for tp in offsets}
    ends = end_offsets(settings, partitions) if partitions else {}
    return {
        (group, topic, partition): ends[(topic, partition)] - offset
        for group, offsets in committed.items()
        for (topic, partition), offset in offsets.items()
        if ends[(topic, partition)] != offset
    }


def last_values(pipeline: Pipeline, topic: str) -> dict[bytes, bytes]:
    """The last value per key of a (compacted) topic such as a table's changelog."""
    out: dict[bytes, bytes] = {}
    for _partition, key, value in pipeline.messages_of(topic):
        assert key is not None, f"a keyless record on {topic}"
        out[key] = value
    return out

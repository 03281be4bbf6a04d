"""Create and inspect the declared topics with kafka-python's admin client."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from recall.config import Settings
from schemas.topics import ALL_TOPICS, TopicSpec


@dataclass(frozen=True, slots=True)
class TopicState:
    name: str
    partitions: int
    created: bool


def admin_client(settings: Settings) -> KafkaAdminClient:
    return KafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers,
        client_id="recall-admin",
        request_timeout_ms=20_000,
        **settings.kafka_client_options(),
    )


def ensure_topics(settings: Settings, specs: Iterable[TopicSpec] = ALL_TOPICS) -> list[TopicState]:
    """Create every missing declared topic; existing ones are left as they are (idempotent)."""
    client = admin_client(settings)
    try:
        existing = _partition_counts(client)
        wanted = [s for s in specs if settings.topic_name(s.name) not in existing]
        if wanted:
            # A concurrent worker may have created it first.
            with contextlib.suppress(TopicAlreadyExistsError):
                client.create_topics([_new_topic(s, settings) for s in wanted])
        counts = _partition_counts(client)
    finally:
        client.close()
    created = {s.name for s in wanted}
    return [
        TopicState(name, counts.get(name, 0), s.name in created)
        for s in specs
        for name in (settings.topic_name(s.name),)
    ]


def ensure_changelog_topics(
    settings: Settings, changelogs: Iterable[tuple[str, int]]
) -> list[TopicState]:
    """Create the state tables' changelog topics (name, partitions) before the worker starts.

    Faust would declare them itself, but only while the consumer is already subscribing: a
    changelog missing from the first metadata answer is "ignored" by the consumer until the
    next metadata refresh (minutes), and meanwhile the table never finishes recovering and
    the worker consumes nothing. Created here, they exist before the first subscription.
    Compacted, with the same partition count as the table (one changelog partition per
    source partition).
    """
    changelogs = list(changelogs)
    client = admin_client(settings)
    try:
        existing = _partition_counts(client)
        wanted = [
            NewTopic(
                name=name,
                num_partitions=partitions,
                replication_factor=settings.topic_replication,
                topic_configs={"cleanup.policy": "compact"},
            )
            for name, partitions in changelogs
            if name not in existing
        ]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):
                client.create_topics(wanted)
        counts = _partition_counts(client)
    finally:
        client.close()
    created = {t.name for t in wanted}
    return [TopicState(name, counts.get(name, 0), name in created) for name, _ in changelogs]


def _new_topic(spec: TopicSpec, settings: Settings) -> NewTopic:
    configs = {
        "retention.ms": str(spec.retention_ms),
        "cleanup.policy": "compact" if spec.compacted else "delete",
    }
    return NewTopic(
        name=settings.topic_name(spec.name),
        num_partitions=spec.partitions or settings.topic_partitions,
        replication_factor=settings.topic_replication,
        topic_configs=configs,
    )


def _partition_counts(client: KafkaAdminClient) -> dict[str, int]:
    described = client.describe_topics()
    # kafka-python 3 names the topic "name" (2.x used "topic").
    return {
        t.get("name") or t["topic"]: len(t["partitions"])
        for t in described
        if not t.get("error_code")
    }


def delete_topics_with_prefix(settings: Settings, prefixes: Iterable[str]) -> list[str]:
    """Delete every topic whose name starts with one of `prefixes` (benchmark clean-up)."""
    client = admin_client(settings)
    try:
        names = [n for n in client.list_topics() if any(n.startswith(p) for p in prefixes)]
        if names:
            client.delete_topics(names)
    finally:
        client.close()
    return names


@dataclass(frozen=True, slots=True)
class PartitionRange:
    """The offsets a partition holds now: [start, end); end - start records were published."""

    partition: int
    start: int
    end: int


def partition_ranges(settings: Settings, topic: str) -> list[PartitionRange]:
    """Earliest and next offsets of every partition of `topic` (empty if it does not exist)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id="recall-admin",
        enable_auto_commit=False,
        request_timeout_ms=20_000,
        **settings.kafka_client_options(),
    )
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        starts = consumer.beginning_offsets(tps) if tps else {}
        ends = consumer.end_offsets(tps) if tps else {}
        return [PartitionRange(tp.partition, starts[tp], ends[tp]) for tp in tps]
    finally:
        consumer.close()

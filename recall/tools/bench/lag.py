"""How far a consumer group's committed offsets are behind a topic's end (benchmarks, tests)."""

from __future__ import annotations

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from recall.config import Settings


def committed_lag(settings: Settings, base_topic: str, group: str | None = None) -> int:
    """Records of `base_topic` not yet committed by some group that reads it (all partitions):
    the most behind of `streams.app.reader_groups` (Faust's group, the batch consumers' own),
    or `group` alone when given."""
    from streams.app import reader_groups

    topic = settings.topic_name(base_topic)
    groups = [group] if group else reader_groups(settings, base_topic) or [settings.app_id]
    options = settings.kafka_client_options()
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, **options)
    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, **options)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        ends = consumer.end_offsets(partitions)
        lags: list[int] = []
        for group_id in groups:
            try:
                committed = admin.list_group_offsets(group_id).get(group_id, {})
            except KafkaError as error:
                # The group's coordinator not known yet or moving (a fresh broker creating
                # its offsets topic): nothing committed, as far as anyone can tell yet.
                if not error.retriable:
                    raise
                committed = {}
            lags.append(sum(int(ends[tp]) - _offset(committed.get(tp)) for tp in partitions))
    finally:
        consumer.close()
        admin.close()
    return max(lags)


def _offset(committed: OffsetAndMetadata | None) -> int:
    return committed.offset if committed is not None and committed.offset >= 0 else 0

"""How far a consumer group's committed offsets are behind a topic's end (benchmarks, tests)."""

from __future__ import annotations

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from recall.config import Settings


def committed_lag(settings: Settings, base_topic: str, group: str | None = None) -> int:
    """Records of `base_topic` not yet committed by the group that reads it (all partitions):
    `intake.raw` by the intake batch consumer's own group, every other topic by Faust's."""
    from schemas.topics import INTAKE_RAW
    from streams.intake_consumer import intake_group

    topic = settings.topic_name(base_topic)
    reader = intake_group(settings) if base_topic == INTAKE_RAW.name else settings.app_id
    group_id = group or reader
    options = settings.kafka_client_options()
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, **options)
    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, **options)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        ends = consumer.end_offsets(partitions)
        committed = admin.list_group_offsets(group_id).get(group_id, {})
    finally:
        consumer.close()
        admin.close()
    return sum(
        ends[tp] - (committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0)
        for tp in partitions
    )

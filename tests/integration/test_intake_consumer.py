"""The intake batch consumer on a real broker and real databases: offsets follow the store.

`streams.intake_consumer` commits a batch's offsets, in its own consumer group, only after
the batch's SQL transaction and its produced records. So at any instant — here, the instant a
worker is killed with SIGKILL mid-stream — every offset below a partition's committed one has
its outcome stored, and a restarted worker re-reads only what may not have been finished,
storing nothing twice.
"""

from __future__ import annotations

import pytest
from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from recall.adapters.kafka.admin import partition_ranges
from recall.tools.worker_process import wait_for
from streams.intake_consumer import intake_group
from tests.support.events import valid_events
from tests.support.pipeline import Pipeline

pytestmark = pytest.mark.integration


def _committed(pipeline: Pipeline, group: str, topic: str) -> dict[int, int]:
    """The offsets `group` has committed on `topic`, by partition (Kafka's next offset); none
    while the group's coordinator is not known or moving (on a fresh broker the offsets topic
    is being created): a retriable error, not a test failure."""
    admin = KafkaAdminClient(
        bootstrap_servers=pipeline.settings.bootstrap_servers,
        **pipeline.settings.kafka_client_options(),
    )
    try:
        offsets = admin.list_group_offsets([group]).get(group, {})
    except KafkaError as error:
        if not error.retriable:
            raise
        return {}
    finally:
        admin.close()
    return {
        tp.partition: meta.offset
        for tp, meta in offsets.items()
        if tp.topic == topic and meta.offset >= 0
    }


def test_offsets_are_committed_only_after_their_batch_is_stored(pipeline: Pipeline) -> None:
    total = 12_000
    sender = pipeline.sender()
    for reporter, value in valid_events(pipeline.registry, total, seed=41):
        sender.send(reporter, value)
    sender.flush()
    sender.close()
    topic = pipeline.settings.topic_name("intake.raw")
    group = intake_group(pipeline.settings)

    first = pipeline.start_worker()

    def some_batches_committed() -> bool:
        return sum(_committed(pipeline, group, topic).values()) >= 2_000

    assert wait_for(some_batches_committed, 180, interval_s=0.1), first.log_tail()
    first.kill()  # SIGKILL: whatever batch was in flight is neither finished nor committed
    stored_at_crash = pipeline.counts().events
    assert stored_at_crash < total, "the crash must happen mid-stream to mean anything"

    committed = _committed(pipeline, group, topic)
    assert sum(committed.values()) >= 2_000, "the intake commits in its own group"
    starts = {r.partition: r.start for r in partition_ranges(pipeline.settings, topic)}
    everything = pipeline.store.accounted(topic, starts)
    beyond = pipeline.store.accounted(topic, committed)
    for partition, offset in committed.items():
        below = everything[partition] - beyond.get(partition, 0)
        assert below == offset - starts[partition], (
            f"partition {partition}: committed up to {offset} but only {below} stored below it"
        )
    faust_group = _committed(pipeline, pipeline.settings.app_id, topic)
    assert faust_group == {}, "Faust's group does not consume intake.raw"

    pipeline.start_worker()
    counts = pipeline.wait_counts(events=total, dead_letters=0, duplicates=0, timeout_s=240)
    assert (counts.events, counts.dead_letters, counts.duplicates) == (total, 0, 0)
    assert pipeline.assert_every_record_accounted() == total
    ends = {r.partition: r.end for r in partition_ranges(pipeline.settings, topic)}
    assert wait_for(lambda: _committed(pipeline, group, topic) == ends, 30), "all committed"

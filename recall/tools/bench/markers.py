"""Markers on `events.canonical`: when has the risk stage processed every partition again?

An injury report about a seeded product (`restart._fill_changelog`'s naming), produced straight
onto a partition of `events.canonical`: processing it reads and writes that product's state, and
Faust's group commits past it only once `assess_risk` has — which it cannot do before the
partition's table state is recovered. `recall bench takeover` and `recall bench restart` time
recovery by the group's committed offset (admin API) passing a marker on every partition.
The intake is no probe for this: it is a batch consumer of its own, storing events while
Faust is still recovering tables.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError

from recall.config import Settings
from recall.tools.bench.canonical import injury_record
from schemas.topics import EVENTS_CANONICAL
from streams.partitioning import partition_of


class Markers:
    """Markers onto `events.canonical` partitions, and the group's committed offsets."""

    def __init__(self, settings: Settings, states: int) -> None:
        self._settings = settings
        self._topic = settings.topic_name(EVENTS_CANONICAL.name)
        self._changelog = f"{settings.app_id}-product_to_risk-changelog"
        self._keys = seeded_key_per_partition(states, settings.topic_partitions)
        options = settings.kafka_client_options()
        self._producer = KafkaProducer(
            bootstrap_servers=settings.bootstrap_servers, acks="all", **options
        )
        self._admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, **options)
        self._consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, **options)

    def wait_processed(
        self,
        partitions: range | list[int],
        timeout_s: float,
        check: Callable[[], None] | None = None,
    ) -> dict[int, float]:
        """Produce a marker onto each partition; the monotonic time each was committed past."""
        return self.wait(self.send(partitions), timeout_s, check)

    def send(self, partitions: range | list[int]) -> dict[int, int]:
        """A marker onto each partition, acknowledged; partition → the marker's offset."""
        targets: dict[int, int] = {}
        for p in partitions:
            sent = self._producer.send(
                self._topic, key=self._keys[p], value=self._marker(p), partition=p
            )
            targets[p] = sent.get(timeout=30).offset
        return targets

    def wait(
        self,
        targets: dict[int, int],
        timeout_s: float,
        check: Callable[[], None] | None = None,
    ) -> dict[int, float]:
        """The monotonic time the group's committed offset passed each partition's marker.

        `check` runs on every poll and raises when waiting longer is pointless (the workers
        that should process the markers have exited): a bench fails at once with the reason,
        not after the whole timeout (up to half an hour when settling a million states).
        """
        done: dict[int, float] = {}
        deadline = time.monotonic() + timeout_s
        while len(done) < len(targets):
            if check is not None:
                check()
            if time.monotonic() > deadline:
                missing = sorted(set(targets) - set(done))
                raise RuntimeError(f"markers not processed in {timeout_s:.0f} s: {missing}")
            committed = self._committed()
            now = time.monotonic()
            for p, offset in targets.items():
                if p not in done and committed.get(p, -1) > offset:
                    done[p] = now
            time.sleep(0.1)
        return done

    def changelog_records(self, partitions: list[int]) -> int:
        tps = [TopicPartition(self._changelog, p) for p in partitions]
        ends = self._consumer.end_offsets(tps)
        return int(sum(ends.values()))

    def _committed(self) -> dict[int, int]:
        """The group's committed offsets on `events.canonical`; none while the group's
        coordinator is not there yet (a worker that has just started: a retriable error)."""
        group = self._settings.app_id
        try:
            offsets = self._admin.list_group_offsets(group).get(group, {})
        except KafkaError as error:
            if not error.retriable:
                raise
            return {}
        return {
            tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == self._topic
        }

    def _marker(self, partition: int) -> bytes:
        """An injury report about a seeded product on `partition`: it reads and writes state."""
        return injury_record(
            event_id=str(uuid.uuid4()),
            moment=datetime.now(UTC),
            product_key=self._keys[partition].decode(),
            category="appliances",
            partition=partition,
            offset=0,
        )

    def close(self) -> None:
        self._producer.close()
        self._admin.close()
        self._consumer.close()


def seeded_key_per_partition(states: int, partitions: int) -> dict[int, bytes]:
    """One seeded product key (`_fill_changelog`'s naming) per partition."""
    keys: dict[int, bytes] = {}
    for i in range(states):
        key = f"91140105MA0K{i:06d}/brand/model-{i}".encode()
        keys.setdefault(partition_of(key, partitions), key)
        if len(keys) == partitions:
            return keys
    raise ValueError(f"{states} states do not cover {partitions} partitions")

"""Settings for a local Apache Kafka broker that a test starts itself, on free ports."""

from __future__ import annotations

from pathlib import Path

from recall.config import Settings
from tests.support.ports import free_port

REPO = Path(__file__).resolve().parents[2]


def local_broker_settings(state_dir: Path, heap: str) -> Settings:
    """A broker of our own (never KAFKA_BOOTSTRAP_SERVERS), sharing the cached broker jars."""
    return Settings(
        KAFKA_BOOTSTRAP_SERVERS=None,
        state_dir=state_dir,
        broker_port=free_port(),
        broker_controller_port=free_port(),
        broker_heap=heap,
        broker_jars_dir=REPO / ".local" / "kafka-jars",
        topic_partitions=4,
    )

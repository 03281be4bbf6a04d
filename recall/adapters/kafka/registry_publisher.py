"""Publish one registry change to `registry.changes` with kafka-python (`recall registry change`).

Who may write this topic is the broker's ACL's business: only registry officers' machines
and the server hold a principal allowed to produce to it (docs/registry.md).
"""

from __future__ import annotations

from kafka import KafkaProducer

from recall.config import Settings
from schemas.registry import RegistryChange
from schemas.topics import REGISTRY_CHANGES, encode


def change_key(change: RegistryChange) -> bytes:
    return f"{change.section.value}|{change.key}".encode()


def publish_change(settings: Settings, change: RegistryChange, timeout_s: float = 30.0) -> None:
    """Send one change and wait for the broker's acknowledgement (raises if it never comes)."""
    producer = KafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        acks="all",
        client_id="recall-registry",
        **settings.kafka_client_options(),
    )
    try:
        producer.send(
            settings.topic_name(REGISTRY_CHANGES.name),
            key=change_key(change),
            value=encode(REGISTRY_CHANGES, change),
        ).get(timeout=timeout_s)
    finally:
        producer.close()

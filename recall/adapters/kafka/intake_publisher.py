"""`IntakePublisher` on Kafka: the API publishes firms' signed submissions to intake.raw.

The producer is created on the first submission, not when the API starts: an API whose
broker is unreachable still serves every read, and only submissions answer 503. A send waits
for the broker's acknowledgement (`acks=all`), so a 202 means the record is on the topic.
"""

from __future__ import annotations

import threading
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

from recall.config import Settings
from recall.service.submissions import Headers, PublishFailedError
from schemas.topics import INTAKE_RAW

SEND_TIMEOUT_S = 10.0


class KafkaIntakePublisher:
    def __init__(self, settings: Settings, **producer_options: Any) -> None:
        self._settings = settings
        self._options = producer_options
        self._topic = settings.topic_name(INTAKE_RAW.name)
        self._producer: KafkaProducer | None = None
        self._lock = threading.Lock()  # routes run in a thread pool: one producer, made once

    def publish(self, reporter_id: str, value: bytes, headers: Headers) -> None:
        try:
            future = self._ensure().send(
                self._topic, key=reporter_id.encode(), value=value, headers=headers
            )
            future.get(timeout=SEND_TIMEOUT_S)
        except KafkaError as error:
            raise PublishFailedError(type(error).__name__) from error

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close()

    def _ensure(self) -> KafkaProducer:
        with self._lock:
            if self._producer is None:
                options: dict[str, Any] = {
                    "bootstrap_servers": self._settings.bootstrap_servers,
                    "acks": "all",
                    "client_id": "recall-api-submissions",
                    **self._settings.kafka_client_options(),
                    **self._options,
                }
                self._producer = KafkaProducer(**options)
            return self._producer

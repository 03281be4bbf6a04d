"""Station-side sending: sign each event and publish it to intake.raw with kafka-python."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kafka import KafkaProducer

from recall.adapters.signing import SIGNATURE_HEADER, sign, station_key
from recall.config import Settings
from streams.topics import INTAKE_RAW


class StationSender:
    """Send records as stations would.

    A real station sets RECALL_STATION_KEY to its own provisioned key and can sign only as
    itself; simulations and the demo derive every station's key from the server secret.
    """

    def __init__(self, settings: Settings, **producer_options: Any) -> None:
        self._secret = settings.signing_secret.get_secret_value()
        self._own_key = (
            bytes.fromhex(settings.station_key.get_secret_value()) if settings.station_key else None
        )
        self._keys: dict[str, bytes] = {}
        self._topic = settings.topic_name(INTAKE_RAW.name)
        options: dict[str, Any] = {
            "bootstrap_servers": settings.bootstrap_servers,
            "acks": "all",
            "linger_ms": 10,
            "batch_size": 256 * 1024,
            "compression_type": None,
            "client_id": "recall-station",
            **settings.kafka_client_options(),
        }
        options.update(producer_options)
        self._producer = KafkaProducer(**options)

    def send(
        self,
        reporter_id: str,
        value: bytes,
        *,
        signed: bool = True,
        on_error: Callable[[Exception], None] | None = None,
    ) -> Any:
        """Queue one record; `signed=False` exists to test the intake's refusal."""
        headers = []
        if signed:
            key = self._own_key or self._keys.get(reporter_id)
            if key is None:
                key = self._keys[reporter_id] = station_key(self._secret, reporter_id)
            headers.append((SIGNATURE_HEADER, sign(key, value).encode("ascii")))
        future = self._producer.send(
            self._topic, key=reporter_id.encode(), value=value, headers=headers
        )
        if on_error is not None:
            future.add_errback(on_error)
        return future

    def flush(self, timeout: float | None = None) -> None:
        self._producer.flush(timeout=timeout)

    def close(self) -> None:
        self._producer.close()

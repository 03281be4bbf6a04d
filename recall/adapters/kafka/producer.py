"""Station-side sending: sign each event and publish it to intake.raw with kafka-python."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kafka import KafkaProducer

from recall.config import Settings
from schemas.signing import KeySource, NoSigningKeyError, StationCredential, signing_headers
from schemas.topics import INTAKE_RAW


class StationSender:
    """Send records as stations would.

    What it signs with is explicit, never derived behind the caller's back from the master
    secret (a station machine must not hold it):
    - a real station sets RECALL_STATION_KEY (`rk1:<station>:<version>:<hex>`) and can sign
      only as itself;
    - tools running next to the server (simulations, the demo, benchmarks, tests) pass
      `keys=ServerSideKeys(load_keyring(...))` to sign as any station with an active key.
    `keys` wins over RECALL_STATION_KEY. With neither, only `signed=False` records can be sent.
    """

    def __init__(
        self, settings: Settings, *, keys: KeySource | None = None, **producer_options: Any
    ) -> None:
        if keys is None and settings.station_key is not None:
            keys = StationCredential.parse(settings.station_key.get_secret_value())
        self._keys = keys
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
        """Queue one record; `signed=False` exists to test the intake's refusal.

        Raises `NoSigningKeyError` (before anything is sent) when this sender holds no key for
        `reporter_id`: refusing here beats a record the intake would dead-letter anyway.
        """
        headers: list[tuple[str, bytes]] = []
        if signed:
            if self._keys is None:
                raise NoSigningKeyError(
                    "no station key configured: set RECALL_STATION_KEY to the line printed by"
                    " `recall station key issue STATION_ID` on the server"
                )
            headers = signing_headers(self._keys(reporter_id), value)
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

"""`isolate`: a record set aside by a later stage is counted and dead-lettered, no contents."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

import faust

from recall.config import Settings
from schemas import DeadLetter, RejectReason
from streams.agents.ports import isolate_now
from streams.context import WorkerContext
from streams.metrics import WorkerMetrics

RESIDENT_ID = "11010519491231002X"


@dataclass
class FakeProducer:
    """Records what would be produced; delivery is an already finished future."""

    sent: list[tuple[str, bytes | None, bytes]] = field(default_factory=list)

    async def send(self, topic: str, key: Any, value: bytes, *_: Any) -> asyncio.Future[None]:
        self.sent.append((topic, key, value))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


def test_isolated_record_is_dead_lettered_with_its_position_and_no_contents() -> None:
    producer = FakeProducer()
    # Fakes with only what `isolate_now` reads: the app's producer, and the context's
    # settings, metrics, topics and units.
    app = cast(faust.App, SimpleNamespace(producer=producer))
    metrics = WorkerMetrics()
    context = cast(
        WorkerContext,
        SimpleNamespace(
            settings=Settings(),
            metrics=metrics,
            topics=SimpleNamespace(deadletter="intake.deadletter"),
            units={},
            disproportionality={},
        ),
    )
    value = f'{{"narrative": "patient {RESIDENT_ID}"}}'.encode()
    message = SimpleNamespace(topic="events.canonical", partition=3, offset=41, value=value)

    asyncio.run(
        isolate_now(app, context, "track_recalls", message, ValueError(RESIDENT_ID), subject="RC-1")
    )

    [(topic, key, raw)] = producer.sent
    assert topic == "intake.deadletter" and key is None
    letter = DeadLetter.model_validate_json(raw)
    assert letter.reason is RejectReason.PROCESSING_ERROR
    assert letter.stage == "track_recalls"
    assert (letter.source.topic, letter.source.partition, letter.source.offset) == (
        "events.canonical",
        3,
        41,
    )
    assert letter.original_size == len(value) and letter.original_b64 == ""
    assert RESIDENT_ID.encode() not in raw, "neither the record nor the error text leaks"
    isolated = metrics.registry.get_sample_value(
        "recall_records_isolated_total", {"agent": "track_recalls"}
    )
    assert isolated == 1

"""`open_investigations`' batch logic without Kafka: bad signals are set aside, good ones kept.

The handler is the agent's own (`signal_handler`: retry, thread, `handle_signals`) over the
in-memory storage; only the dead-lettering is replaced by a recorder.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import orjson
from pydantic import ValidationError

from recall.domain.investigations import InvestigationInputError, investigation_id_for
from streams.agents.investigate import open_from_messages, signal_handler
from streams.metrics import WorkerMetrics
from tests.support.investigations import (
    HAZARD,
    OTHER_PRODUCT,
    PRODUCT,
    TOPICS,
    memory_storage,
    outbox,
    repository,
    signal,
)
from tests.support.memory_storage import MemoryStorage, TransientStorageError


@dataclass
class SetAside:
    """Records what the agent would isolate: (offset, error type, subject)."""

    isolated: list[tuple[int, type[BaseException], str]] = field(default_factory=list)

    async def __call__(self, message: Any, error: BaseException, subject: str) -> None:
        self.isolated.append((message.offset, type(error), subject))


def _message(offset: int, value: bytes) -> SimpleNamespace:
    return SimpleNamespace(topic="risk.signals", partition=0, offset=offset, value=value)


def _run(storage: MemoryStorage, values: list[bytes]) -> tuple[int, SetAside]:
    set_aside = SetAside()
    handle = signal_handler(storage, TOPICS, WorkerMetrics())
    messages = [_message(i, v) for i, v in enumerate(values)]
    opened = asyncio.run(open_from_messages(messages, handle, set_aside))
    return opened, set_aside


def _bytes(**overrides: Any) -> bytes:
    return signal(**overrides).model_dump_json().encode()


def test_a_batch_of_good_signals_opens_their_investigations() -> None:
    storage = memory_storage()
    opened, set_aside = _run(
        storage, [_bytes(), _bytes(signal_id="sig-2", product_key=OTHER_PRODUCT)]
    )
    assert (opened, set_aside.isolated) == (2, [])
    assert storage.commits == 1  # one transaction for the batch
    assert len(outbox(storage)) == 4


def test_an_unreadable_or_off_contract_signal_is_set_aside_alone() -> None:
    storage = memory_storage()
    valid = orjson.loads(_bytes(signal_id="sig-3"))
    missing_day = orjson.dumps({k: v for k, v in valid.items() if k != "day"})
    text_number = orjson.dumps({**valid, "observed": "7"})
    opened, set_aside = _run(storage, [b"not json", _bytes(), missing_day, b"[1, 2]", text_number])
    assert opened == 1
    assert set_aside.isolated == [
        (0, ValidationError, ""),
        (2, ValidationError, ""),
        (3, ValidationError, ""),
        (4, ValidationError, ""),
    ]
    assert list(repository(storage).investigations) == [investigation_id_for(PRODUCT, HAZARD, 1)]


def test_a_signal_the_domain_refuses_costs_only_itself() -> None:
    storage = memory_storage()
    values = [_bytes(), _bytes(signal_id="sig-bad", hazard="lava"), _bytes(signal_id="sig-2")]
    opened, set_aside = _run(storage, values)
    assert set_aside.isolated == [(1, InvestigationInputError, "sig-bad")]
    assert opened == 1
    stored = repository(storage).investigations[investigation_id_for(PRODUCT, HAZARD, 1)]
    assert [e.evidence_id for e in stored.evidence] == ["sig-1", "sig-2"]


def test_an_outage_is_waited_out_not_isolated() -> None:
    storage = memory_storage()
    storage.fail_next(TransientStorageError("database away"))  # the storage calls it transient
    opened, set_aside = _run(storage, [_bytes()])
    assert (opened, set_aside.isolated, storage.commits) == (1, [], 1)


def test_nothing_readable_means_no_transaction() -> None:
    storage = memory_storage()
    opened, set_aside = _run(storage, [b"{}"])
    assert (opened, len(set_aside.isolated), storage.commits) == (0, 1, 0)

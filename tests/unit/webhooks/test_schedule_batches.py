"""`schedule_webhooks`' batch logic without Kafka: unreadable alerts are set aside at once,
a permanent write error isolates only the refused alert, the rest are scheduled."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from pydantic import ValidationError

from recall.tools.webhook_receiver import sample_alert
from schemas.risk import Alert
from streams.agents.webhooks import schedule_messages


@dataclass
class SetAside:
    isolated: list[tuple[int, type[BaseException], str]] = field(default_factory=list)

    async def __call__(self, message: Any, error: BaseException, subject: str) -> None:
        self.isolated.append((message.offset, type(error), subject))


@dataclass
class Write:
    """Schedules every alert once; refuses the ids in `refuse` (a permanent error)."""

    refuse: set[str] = field(default_factory=set)
    scheduled: list[str] = field(default_factory=list)
    calls: int = 0

    async def __call__(self, batch: list[Alert]) -> int:
        self.calls += 1
        if any(a.alert_id in self.refuse for a in batch):
            raise ValueError("refused")
        self.scheduled += [a.alert_id for a in batch]
        return len(batch)


def _messages(values: list[bytes]) -> list[SimpleNamespace]:
    return [SimpleNamespace(topic="alerts", partition=0, offset=i, value=v)
            for i, v in enumerate(values)]  # fmt: skip


def _alert(n: int) -> bytes:
    return sample_alert(n).model_dump_json().encode()


def test_a_good_batch_is_one_write() -> None:
    write, set_aside = Write(), SetAside()
    messages = _messages([_alert(1), _alert(2)])
    assert asyncio.run(schedule_messages(messages, write, set_aside)) == 2
    assert write.calls == 1 and set_aside.isolated == []


def test_unreadable_values_are_set_aside_before_the_write() -> None:
    write, set_aside = Write(), SetAside()
    messages = _messages([b"{not json", _alert(1), b'{"alert_id": "x"}'])
    assert asyncio.run(schedule_messages(messages, write, set_aside)) == 1
    assert [(o, e) for o, e, _ in set_aside.isolated] == [
        (0, ValidationError),
        (2, ValidationError),
    ]
    assert write.scheduled == ["alert-000001"]


def test_a_permanent_error_isolates_only_the_refused_alert() -> None:
    write, set_aside = Write(refuse={"alert-000002"}), SetAside()
    messages = _messages([_alert(1), _alert(2), _alert(3)])
    assert asyncio.run(schedule_messages(messages, write, set_aside)) == 2
    assert write.scheduled == ["alert-000001", "alert-000003"]
    assert set_aside.isolated == [(1, ValueError, "alert-000002")]

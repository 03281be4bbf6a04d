"""The live hub: records become scoped server-sent events; a slow page never holds the consumer.

The consumer here is a small in-memory stand-in with aiokafka's three calls (start, iterate,
stop) — the hub's own logic is what is tested; tests/browser drives it from the real broker.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest

from recall.api.dashboard import live
from recall.api.dashboard.live import LiveHub, to_live
from recall.config import load_settings
from recall.domain.access import Principal, Role

COUNTY_A = Principal("acc-a", Role.REGULATOR, region="140105")
COUNTY_B = Principal("acc-b", Role.REGULATOR, region="140106")
CITY = Principal("acc-c", Role.REGULATOR, region="140100")


def _investigation(region: str, n: int = 1) -> bytes:
    return orjson.dumps({"record_id": f"inv-{n}:0", "investigation_id": f"inv-{n}",
                         "action": "open", "state": "opened", "product_key": "M/b/k",
                         "hazard": "fire", "actor": "agent", "at": "2026-11-30T01:00:00Z",
                         "reason": "opened", "jurisdiction": region})  # fmt: skip


@dataclass
class Record:
    topic: str
    value: bytes


class FakeConsumer:
    """aiokafka's start / async-iterate / stop over a queue the test feeds."""

    def __init__(self, feed: asyncio.Queue[Record | Exception]) -> None:
        self.feed = feed

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def __aiter__(self) -> AsyncIterator[Record]:
        return self._records()

    async def _records(self) -> AsyncIterator[Record]:
        while True:
            item = await self.feed.get()
            if isinstance(item, Exception):
                raise item
            yield item


def _hub(feed: asyncio.Queue[Record | Exception]) -> LiveHub:
    settings = load_settings()
    return LiveHub(settings, consumer=lambda _s, _t: FakeConsumer(feed))


async def _next_event(stream: AsyncIterator[bytes], kind: bytes) -> bytes:
    async def find() -> bytes:
        async for chunk in stream:
            if chunk.startswith(b"event: " + kind):
                return chunk
        raise AssertionError("stream ended")

    return await asyncio.wait_for(find(), 5)


def test_records_become_small_events_with_their_region() -> None:
    event = to_live("investigations.events", _investigation("140105"))
    assert event is not None
    assert event.kind == "investigation"
    assert event.region == "140105"
    assert set(event.data) == {"investigation_id", "action", "state", "product_key", "hazard",
                               "at", "jurisdiction"}  # fmt: skip
    assert event.sse().startswith(b"event: investigation\ndata: {")


@pytest.mark.parametrize("value", [b"", b"not json", b"[1,2]", b"\x00\xff"])
def test_unreadable_records_are_skipped(value: bytes) -> None:
    assert to_live("alerts", value) is None


def test_a_topic_no_page_shows_is_skipped() -> None:
    assert to_live("intake.raw", _investigation("140105")) is None


def test_each_stream_gets_only_what_its_account_may_see() -> None:
    async def scenario() -> None:
        feed: asyncio.Queue[Record | Exception] = asyncio.Queue()
        hub = _hub(feed)
        a, b, city = hub.stream(COUNTY_A), hub.stream(COUNTY_B), hub.stream(CITY)
        for stream in (a, b, city):
            await _next_event(stream, b"status")
        await asyncio.wait_for(hub.connected.wait(), 5)
        topic = load_settings().topic_name("investigations.events")
        await feed.put(Record(topic, _investigation("140105", 1)))
        await feed.put(Record(topic, _investigation("140106", 2)))
        got_a = await _next_event(a, b"investigation")
        got_b = await _next_event(b, b"investigation")
        first_city = await _next_event(city, b"investigation")
        second_city = await _next_event(city, b"investigation")
        assert b'"inv-1"' in got_a
        assert b'"inv-2"' in got_b  # county B never received county A's
        assert {b'"inv-1"' in first_city, b'"inv-2"' in second_city} == {True}
        assert hub.delivered == 4
        await hub.close()

    asyncio.run(scenario())


def test_a_broker_outage_is_announced_and_the_feed_resumes(monkeypatch: Any) -> None:
    monkeypatch.setattr(live, "RETRY_S", (0.01,))

    async def scenario() -> None:
        feed: asyncio.Queue[Record | Exception] = asyncio.Queue()
        hub = _hub(feed)
        stream = hub.stream(CITY)
        assert b'"connected":false' in await _next_event(stream, b"status")  # not yet started
        assert b'"connected":true' in await _next_event(stream, b"status")
        await feed.put(ConnectionError("broker gone"))
        assert b'"connected":false' in await _next_event(stream, b"status")
        assert b'"connected":true' in await _next_event(stream, b"status")
        topic = load_settings().topic_name("investigations.events")
        await feed.put(Record(topic, _investigation("140105")))
        assert b'"inv-1"' in await _next_event(stream, b"investigation")
        await hub.close()

    asyncio.run(scenario())


def test_a_page_that_falls_behind_is_told_to_reload_not_buffered(monkeypatch: Any) -> None:
    monkeypatch.setattr(live, "QUEUE_SIZE", 3)

    async def scenario() -> None:
        feed: asyncio.Queue[Record | Exception] = asyncio.Queue()
        hub = _hub(feed)
        stream = hub.stream(CITY)
        assert b'"connected":false' in await _next_event(stream, b"status")
        assert b'"connected":true' in await _next_event(stream, b"status")  # queue now empty
        topic = load_settings().topic_name("investigations.events")
        sent = [hub.publish("investigations.events", _investigation("140105", n))
                for n in range(10)]  # fmt: skip
        assert sum(sent) == 3  # the queue's bound; the rest was not buffered
        assert topic  # the hub was never blocked: publish returned for every record
        chunks = [chunk async for chunk in stream]
        assert chunks[-1].startswith(b"event: reload")
        await hub.close()

    asyncio.run(scenario())

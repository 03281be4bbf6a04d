"""The SQL delivery queue on both databases: idempotent fan-out, leases and caps, settling,
pause and resume, rotation, the delivery log; and the dispatcher over it with a fake POST."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.webhook_store import SqlWebhookStore
from recall.config import Settings
from recall.domain.webhooks import Filters, Outcome, PauseRule, RetryPolicy
from recall.service.paging import PageRequest
from recall.service.webhooks import fanout, subscriptions
from recall.service.webhooks.dispatch import Dispatcher, DispatchLimits
from recall.service.webhooks.ports import (
    AttemptResult,
    DeliveryState,
    PostResult,
    Settlement,
    SubscriptionState,
)
from recall.service.webhooks.subscriptions import Owner
from recall.tools.webhook_receiver import sample_alert
from schemas.common import ProductCategory

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
CITY = Owner("acct-city", "140100")
OTHER = Owner("acct-other", "140200")
NO_PAUSE = PauseRule(after_failures=1000, after=timedelta(days=1))


@pytest.fixture
def store(database_url: str) -> SqlWebhookStore:
    url = Settings(DATABASE_URL=database_url).sqlalchemy_url
    upgrade(url)
    return SqlWebhookStore(make_session_factory(make_engine(url)))


def _subscribe(store: SqlWebhookStore, owner: Owner = CITY, **filters: list[str]) -> str:
    made = subscriptions.create(
        store,
        owner=owner,
        url="http://127.0.0.1:9/hook",
        description="test",
        filters=Filters.of(**filters),
        now=T0,
    )
    return made.subscription.subscription_id


def test_fan_out_is_idempotent_and_never_leaves_the_owners_area(store: SqlWebhookStore) -> None:
    everything = _subscribe(store)
    critical = _subscribe(store, severities=["critical"])
    elsewhere = _subscribe(store, OTHER)
    paused = _subscribe(store)
    store.pause(paused, "by hand", T0)
    alerts = [
        sample_alert(1, "140105"),
        sample_alert(2, "140202"),  # the other city's
        sample_alert(3, None),  # nobody's
        sample_alert(4, "140105", category=ProductCategory.VEHICLES),
    ]
    assert fanout.fan_out(store, alerts, T0) == 2 + 1 + 2  # everything, elsewhere, paused (held)
    assert fanout.fan_out(store, alerts, T0) == 0  # a replayed batch adds nothing
    page = PageRequest("created_at", True, 50)
    ids = {s: {d.event_id for d in store.deliveries(s, [], page).items} for s in
           (everything, critical, elsewhere, paused)}  # fmt: skip
    assert ids == {
        everything: {"alert-000001", "alert-000004"},
        critical: set(),
        elsewhere: {"alert-000002"},
        paused: {"alert-000001", "alert-000004"},
    }


def test_claims_lease_cap_per_subscription_and_come_back_when_the_lease_runs_out(
    store: SqlWebhookStore,
) -> None:
    busy_one, quiet_one = _subscribe(store), _subscribe(store, kinds=["referral"])
    fanout.fan_out(store, [sample_alert(n) for n in range(6)], T0)
    lease = T0 + timedelta(seconds=30)
    first = store.claim(T0, lease, "w1", limit=10, per_subscription=2, busy={busy_one: 1})
    by_sub = sorted(c.subscription_id for c in first)
    assert by_sub == sorted([busy_one] + [quiet_one] * 2)  # 2 - 1 busy, and 2
    assert all(c.attempt_no == 1 and c.secrets for c in first)
    again = store.claim(T0, lease, "w2", limit=10, per_subscription=10, busy={})
    assert {c.delivery_id for c in again}.isdisjoint({c.delivery_id for c in first})
    assert len(again) == 12 - 3
    assert store.claim(T0 + timedelta(seconds=29), lease, "w3", 10, 10, {}) == []
    later = T0 + timedelta(seconds=31)  # every lease ran out: due again, a new attempt each
    retaken = store.claim(later, later + timedelta(seconds=30), "w4", 50, 50, {})
    assert len(retaken) == 12
    assert {c.attempt_no for c in retaken} == {2}
    # The first claim's lease is gone: its late result is logged but changes nothing.
    stale = first[0]
    result = AttemptResult(later, 204, None, 5)
    settled = store.settle(stale, result, Settlement(Outcome.DELIVERED, None, NO_PAUSE, later))
    assert not settled.recorded


def test_settling_retries_kills_and_pauses(store: SqlWebhookStore) -> None:
    sub = _subscribe(store)
    fanout.fan_out(store, [sample_alert(1), sample_alert(2)], T0)
    rule = PauseRule(after_failures=3, after=timedelta(minutes=5))
    [a, b] = store.claim(T0, T0 + timedelta(seconds=30), "w", 10, 10, {})
    failed = AttemptResult(T0, 503, None, 12)
    retry_at = T0 + timedelta(seconds=2)
    assert store.settle(a, failed, Settlement(Outcome.RETRY, retry_at, rule, T0)).recorded
    assert store.settle(b, failed, Settlement(Outcome.DEAD, None, rule, T0)).outcome is Outcome.DEAD
    page = PageRequest("created_at", True, 50)
    dead = store.deliveries(sub, [DeliveryState.DEAD], page).items
    assert [d.event_id for d in dead] == [b.event_id]
    assert dead[0].log[0].status_code == 503 and dead[0].last_status == 503
    assert store.claim(T0 + timedelta(seconds=1), T0, "w", 10, 10, {}) == []  # not yet due
    [again] = store.claim(retry_at, retry_at + timedelta(seconds=30), "w", 10, 10, {})
    assert again.attempt_no == 2
    late = T0 + timedelta(minutes=6)
    settled = store.settle(again, failed, Settlement(Outcome.RETRY, late, rule, late))
    assert settled.paused  # 3 failures in a row, failing for 6 minutes
    paused = store.get(sub)
    assert paused is not None and paused.state is SubscriptionState.PAUSED
    assert "3 failed attempts in a row" in (paused.paused_reason or "")
    assert store.claim(late + timedelta(hours=1), late, "w", 10, 10, {}) == []  # held
    assert store.status().paused_subscriptions == 1
    resumed, due = store.resume(sub, late)
    assert resumed.state is SubscriptionState.ACTIVE and resumed.health.consecutive_failures == 0
    assert due == 1
    [held] = store.claim(late, late + timedelta(seconds=30), "w", 10, 10, {})
    assert held.event_id == a.event_id
    redone = store.redeliver(sub, b.delivery_id, late)
    assert redone is not None and redone.state is DeliveryState.PENDING and redone.attempts == 0


def test_rotation_signs_with_both_secrets_until_the_old_one_expires(
    store: SqlWebhookStore,
) -> None:
    made = subscriptions.create(
        store, owner=CITY, url="http://127.0.0.1:9/h", description="", filters=Filters(), now=T0
    )
    sub = made.subscription.subscription_id
    rotated = subscriptions.rotate(store, CITY, sub, timedelta(hours=1), T0)
    fanout.fan_out(store, [sample_alert(1)], T0)
    [claim] = store.claim(T0, T0 + timedelta(seconds=30), "w", 10, 10, {})
    assert claim.secrets == (rotated.secret, made.secret)  # newest first
    later = T0 + timedelta(hours=2)
    store.redeliver(sub, claim.delivery_id, later)
    store.settle(
        claim, AttemptResult(T0, 204, None, 1), Settlement(Outcome.DELIVERED, None, NO_PAUSE, T0)
    )
    store.redeliver(sub, claim.delivery_id, later)
    [after] = store.claim(later, later + timedelta(seconds=30), "w", 10, 10, {})
    assert after.secrets == (rotated.secret,)


def test_the_delivery_log_pages_newest_first(store: SqlWebhookStore) -> None:
    sub = _subscribe(store)
    for n in range(5):
        fanout.fan_out(store, [sample_alert(n)], T0 + timedelta(seconds=n))
    first = store.deliveries(sub, [], PageRequest("created_at", True, 2))
    assert [d.event_id for d in first.items] == ["alert-000004", "alert-000003"]
    assert first.next_after is not None
    second = store.deliveries(sub, [], PageRequest("created_at", True, 2, first.next_after))
    assert [d.event_id for d in second.items] == ["alert-000002", "alert-000001"]


class FakePost:
    """Answers from a script per URL; records what it was sent."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.sent: list[tuple[str, dict[str, str], bytes]] = []

    async def __call__(self, url: str, headers: Mapping[str, str], body: bytes) -> PostResult:
        self.sent.append((url, dict(headers), body))
        return PostResult(self.status)


def test_the_dispatcher_signs_delivers_and_gives_up(store: SqlWebhookStore) -> None:
    now = datetime.now(UTC)  # signatures carry the attempt's time; receivers check it
    made = subscriptions.create(
        store, owner=CITY, url="http://127.0.0.1:9/h", description="", filters=Filters(), now=now
    )
    sub = made.subscription.subscription_id
    fanout.fan_out(store, [sample_alert(n) for n in range(3)], now)
    post = FakePost(204)
    clock = [now]
    dispatcher = Dispatcher(
        store,
        post,
        RetryPolicy(base_s=1, cap_s=4, max_attempts=2),
        NO_PAUSE,
        DispatchLimits(concurrency=8, per_subscription=2, lease=timedelta(seconds=30)),
        clock=lambda: clock[0],
        uniform=lambda low, high: high,
    )

    async def run() -> None:
        assert await dispatcher.tick() == 2  # the per-subscription cap
        assert await dispatcher.tick() == 0  # both slots still taken until they finish
        await dispatcher.drain(5)
        post.status = 500
        assert await dispatcher.tick() == 1
        await dispatcher.drain(5)
        clock[0] = now + timedelta(seconds=1)  # its retry is due (ceiling 1 s)
        assert await dispatcher.tick() == 1
        await dispatcher.drain(5)

    asyncio.run(run())
    for url, headers, body in post.sent:
        assert url == "http://127.0.0.1:9/h"
        assert headers["content-type"] == "application/cloudevents+json"
        event = Webhook(made.secret).verify(body, headers)
        assert event["id"] == headers["webhook-id"]  # the receiver dedupes on the event id
        assert event["type"] == "cn.recall.alert.referral" and event["data"]["kind"] == "referral"
    page = PageRequest("created_at", True, 50)
    states = sorted(d.state.value for d in store.deliveries(sub, [], page).items)
    assert states == ["dead", "delivered", "delivered"]
    [dead] = store.deliveries(sub, [DeliveryState.DEAD], page).items
    assert [a.status_code for a in dead.log] == [500, 500]

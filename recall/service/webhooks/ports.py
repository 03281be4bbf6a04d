"""What the webhook services need from storage and from HTTP, declared here.

`WebhookStore` is implemented by `recall.adapters.db.webhook_store.SqlWebhookStore` (an
in-memory fake in the unit tests); `Post` by `recall.adapters.webhook_http.HttpPoster`.
Every timestamp is aware and in UTC.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from recall.domain.webhooks import EndpointHealth, Filters, Outcome, PauseRule
from recall.service.paging import Page, PageRequest


class SubscriptionState(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class DeliveryState(StrEnum):
    """pending (due at `next_attempt_at`) → delivering (leased) → delivered | dead; a lease
    that runs out leaves the row due again, so `delivering` is also "maybe sent"."""

    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class Subscription:
    subscription_id: str
    owner_account_id: str
    owner_jurisdiction: str | None
    url: str
    description: str
    filters: Filters
    state: SubscriptionState
    created_at: datetime
    updated_at: datetime
    paused_reason: str | None = None
    paused_at: datetime | None = None
    health: EndpointHealth = field(default_factory=EndpointHealth)


@dataclass(frozen=True, slots=True)
class Audience:
    """What the fan-out needs of a subscription: who owns it (their area) and its filters."""

    subscription_id: str
    owner_jurisdiction: str | None
    filters: Filters


@dataclass(frozen=True, slots=True)
class NewDelivery:
    delivery_id: str
    subscription_id: str
    event_id: str
    event_type: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery leased to this dispatcher for one attempt: what to send, where, signed how.

    `lease_owner` is the claim's own token: only the claim that still holds the lease may
    record the attempt's outcome (a slow worker whose lease ran out cannot overwrite a newer
    attempt's result).
    """

    delivery_id: str
    subscription_id: str
    event_id: str
    url: str
    payload: bytes
    attempt_no: int
    secrets: tuple[str, ...]
    lease_owner: str


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """One POST: the HTTP status, or the transport error (bounded text, no secrets)."""

    at: datetime
    status: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True, slots=True)
class Settlement:
    """What the dispatcher decided for a finished attempt (before the store applies it)."""

    outcome: Outcome
    retry_at: datetime | None
    pause: PauseRule
    now: datetime


@dataclass(frozen=True, slots=True)
class Settled:
    """What the store did: whether the lease was still ours, and whether it paused."""

    recorded: bool
    outcome: Outcome
    paused: bool = False


@dataclass(frozen=True, slots=True)
class Attempt:
    attempt_no: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True, slots=True)
class Delivery:
    delivery_id: str
    subscription_id: str
    event_id: str
    event_type: str
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    last_status: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None
    log: tuple[Attempt, ...] = ()


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """For the gauges: deliveries waiting (pending or in flight) and paused subscriptions."""

    pending: int
    paused_subscriptions: int


@dataclass(frozen=True, slots=True)
class SubscriptionChange:
    """A PATCH: None leaves a field as it is."""

    url: str | None = None
    description: str | None = None
    filters: Filters | None = None


Finished = tuple[Claim, AttemptResult, Settlement]
"""An attempt made, waiting to be settled."""

Plan = Callable[[Sequence[Audience]], list[NewDelivery]]
"""The deliveries to schedule, given the subscriptions' audiences."""


class WebhookStore(Protocol):
    # -- fan-out ------------------------------------------------------------------------
    def schedule(self, plan: Plan, now: datetime) -> int:
        """In one transaction: read the audiences of active and paused subscriptions (a
        paused one's deliveries are held, not lost), insert the deliveries `plan` makes of
        them, skipping (subscription, event) pairs already there; how many were new."""
        ...

    # -- dispatch -----------------------------------------------------------------------
    def claim(
        self,
        now: datetime,
        lease_until: datetime,
        lease_owner: str,
        limit: int,
        per_subscription: int,
        busy: Mapping[str, int],
    ) -> list[Claim]:
        """Lease up to `limit` due deliveries of active subscriptions, at most
        `per_subscription - busy[s]` of each subscription `s`, oldest due first."""
        ...

    def settle(self, claim: Claim, result: AttemptResult, settlement: Settlement) -> Settled:
        """Log the attempt; if the lease is still the claim's, apply the settlement to the
        delivery and the subscription's failing streak (pausing it when the rule says)."""
        ...

    def settle_all(self, finished: Sequence[Finished]) -> list[Settled]:
        """`settle` for many attempts in one transaction, in order."""
        ...

    def status(self) -> QueueStatus: ...

    # -- subscriptions (the API) -------------------------------------------------------
    def create(self, subscription: Subscription, secret: str) -> None: ...

    def get(self, subscription_id: str) -> Subscription | None: ...

    def owned(self, owner_account_id: str, page: PageRequest) -> Page[Subscription]: ...

    def change(
        self, subscription_id: str, change: SubscriptionChange, now: datetime
    ) -> Subscription: ...

    def pause(self, subscription_id: str, reason: str, now: datetime) -> Subscription: ...

    def resume(self, subscription_id: str, now: datetime) -> tuple[Subscription, int]:
        """Active again, streak cleared, held deliveries due now; returns how many."""
        ...

    def rotate(
        self, subscription_id: str, secret: str, old_expires_at: datetime, now: datetime
    ) -> None:
        """Add `secret`; every older one still unexpired now expires at `old_expires_at`."""
        ...

    def delete(self, subscription_id: str) -> None:
        """The subscription, its secrets, deliveries and their attempts."""
        ...

    def deliveries(
        self, subscription_id: str, states: Sequence[DeliveryState], page: PageRequest
    ) -> Page[Delivery]: ...

    def redeliver(self, subscription_id: str, delivery_id: str, now: datetime) -> Delivery | None:
        """A delivered or dead delivery pending again now with a fresh budget (None: no such
        delivery of this subscription; unchanged when it is already pending or in flight)."""
        ...


@dataclass(frozen=True, slots=True)
class PostResult:
    status: int | None
    error: str | None = None


Post = Callable[[str, Mapping[str, str], bytes], Awaitable[PostResult]]
"""POST a body with headers to a URL; never raises for the receiver's failures (timeouts,
refused connections, TLS) — those are a `PostResult` with `error`."""

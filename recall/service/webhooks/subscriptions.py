"""What the API does with subscriptions: make, read, change, pause, resume, rotate, delete,
and the delivery log with its dead letters and redeliveries.

Only the owner sees a subscription (anyone else's reads as missing: `SubscriptionNotFoundError`).
The owner's jurisdiction is copied from the account when the subscription is made — never
taken from the request — and every region filter must lie inside it (`check_regions`).
The signing secret is returned once, when made or rotated, and never shown again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from recall.domain.webhooks import Filters, check_regions
from recall.service.paging import Page, PageRequest
from recall.service.webhooks.ports import (
    Delivery,
    DeliveryState,
    Subscription,
    SubscriptionChange,
    SubscriptionState,
    WebhookStore,
)
from recall.service.webhooks.signing import new_secret


class SubscriptionNotFoundError(LookupError):
    """No such subscription of this owner (another owner's reads the same)."""


@dataclass(frozen=True, slots=True)
class Owner:
    account_id: str
    jurisdiction: str | None


@dataclass(frozen=True, slots=True)
class WithSecret:
    """A subscription and the secret to show once."""

    subscription: Subscription
    secret: str


def create(
    store: WebhookStore,
    *,
    owner: Owner,
    url: str,
    description: str,
    filters: Filters,
    now: datetime,
) -> WithSecret:
    filters = replace(filters, regions=check_regions(owner.jurisdiction, filters.regions))
    subscription = Subscription(
        subscription_id="whs_" + uuid.uuid4().hex,
        owner_account_id=owner.account_id,
        owner_jurisdiction=owner.jurisdiction,
        url=url,
        description=description,
        filters=filters,
        state=SubscriptionState.ACTIVE,
        created_at=now,
        updated_at=now,
    )
    secret = new_secret()
    store.create(subscription, secret)
    return WithSecret(subscription, secret)


def owned(store: WebhookStore, owner: Owner, subscription_id: str) -> Subscription:
    found = store.get(subscription_id)
    if found is None or found.owner_account_id != owner.account_id:
        raise SubscriptionNotFoundError(subscription_id)
    return found


def listed(store: WebhookStore, owner: Owner, page: PageRequest) -> Page[Subscription]:
    return store.owned(owner.account_id, page)


def change(
    store: WebhookStore,
    owner: Owner,
    subscription_id: str,
    change: SubscriptionChange,
    now: datetime,
) -> Subscription:
    found = owned(store, owner, subscription_id)
    if change.filters is not None:
        regions = check_regions(found.owner_jurisdiction, change.filters.regions)
        change = replace(change, filters=replace(change.filters, regions=regions))
    return store.change(subscription_id, change, now)


def pause(
    store: WebhookStore, owner: Owner, subscription_id: str, reason: str, now: datetime
) -> Subscription:
    owned(store, owner, subscription_id)
    return store.pause(subscription_id, reason or "paused by its owner", now)


def resume(
    store: WebhookStore, owner: Owner, subscription_id: str, now: datetime
) -> tuple[Subscription, int]:
    owned(store, owner, subscription_id)
    return store.resume(subscription_id, now)


def rotate(
    store: WebhookStore, owner: Owner, subscription_id: str, grace: timedelta, now: datetime
) -> WithSecret:
    """A new secret; the old ones keep signing for `grace`, then expire."""
    owned(store, owner, subscription_id)
    secret = new_secret()
    store.rotate(subscription_id, secret, now + grace, now)
    return WithSecret(owned(store, owner, subscription_id), secret)


def delete(store: WebhookStore, owner: Owner, subscription_id: str) -> None:
    owned(store, owner, subscription_id)
    store.delete(subscription_id)


def deliveries(
    store: WebhookStore,
    owner: Owner,
    subscription_id: str,
    states: Sequence[DeliveryState],
    page: PageRequest,
) -> Page[Delivery]:
    owned(store, owner, subscription_id)
    return store.deliveries(subscription_id, states, page)


def redeliver(
    store: WebhookStore, owner: Owner, subscription_id: str, delivery_id: str, now: datetime
) -> Delivery:
    owned(store, owner, subscription_id)
    found = store.redeliver(subscription_id, delivery_id, now)
    if found is None:
        raise SubscriptionNotFoundError(delivery_id)
    return found

"""Alerts → the delivery schedule: one row per matching subscription, in one transaction.

The fan-out runs in the `webhooks` stage on each batch of the `alerts` topic and never waits
on a receiver: it only writes rows. The rows are keyed by (subscription, event), so a batch
read again after a crash (its offsets were not committed) inserts nothing new. Paused
subscriptions get their rows too — held until the owner resumes — so a pause loses nothing.

The body is built once here, as the alert's CloudEvent in structured JSON mode
(`schemas.cloudevents.http_structured`), and stored with the row: every attempt, and every
redelivery, sends exactly the same bytes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from recall.domain.webhooks import AlertFacts, matches
from recall.service.webhooks.ports import Audience, NewDelivery, WebhookStore
from schemas.cloudevents import alert_type, http_structured
from schemas.risk import Alert

_DELIVERY_NAMESPACE = uuid.UUID("8d0f5c3e-52a7-4f3e-9f0b-6b1d3e0c2a11")


def delivery_id(subscription_id: str, event_id: str) -> str:
    """The same id for the same pair, whichever worker or replay computes it."""
    return "whd_" + uuid.uuid5(_DELIVERY_NAMESPACE, f"{subscription_id}\n{event_id}").hex


def facts(alert: Alert) -> AlertFacts:
    category = alert.category.value if alert.category is not None else None
    return AlertFacts(alert.kind.value, alert.severity.value, category, alert.jurisdiction)


def body(alert: Alert) -> bytes:
    """The POST body: the alert as a structured-mode CloudEvent (JSON)."""
    _headers, payload = http_structured(alert)
    return payload


def deliveries_for(audiences: Sequence[Audience], alerts: Sequence[Alert]) -> list[NewDelivery]:
    """Every (subscription, alert) pair the rules admit, each body built once per alert."""
    planned: list[NewDelivery] = []
    for alert in alerts:
        seen = facts(alert)
        receivers = [a for a in audiences if matches(a.owner_jurisdiction, a.filters, seen)]
        if not receivers:
            continue
        payload = body(alert)
        kind = alert_type(alert.kind, alert.status)
        planned += [
            NewDelivery(
                delivery_id(a.subscription_id, alert.alert_id),
                a.subscription_id,
                alert.alert_id,
                kind,
                payload,
            )
            for a in receivers
        ]
    return planned


def fan_out(store: WebhookStore, alerts: Sequence[Alert], now: datetime) -> int:
    """Schedule the batch's deliveries (blocking: run it in a thread); how many are new."""
    if not alerts:
        return 0
    return store.schedule(lambda audiences: deliveries_for(audiences, alerts), now)

"""The webhook API's documents: subscriptions, their filters, secrets, and the delivery log.

What a receiver gets is not here: each POST's body is the alert as a CloudEvent in
structured JSON mode (`schemas.cloudevents.http_structured`), signed the Standard Webhooks
way (`webhook-id` = the alert id, `webhook-timestamp`, `webhook-signature`); see
docs/webhooks.md.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from schemas.common import FreeText, ProductCategory, Strict
from schemas.risk import AlertKind, AlertSeverity

__all__ = [
    "MAX_URL_LENGTH",
    "DeliveryStateName",
    "PauseRequest",
    "SecretRotated",
    "SubscriptionCreate",
    "SubscriptionCreated",
    "SubscriptionFilters",
    "SubscriptionResumed",
    "SubscriptionUpdate",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookDeliveryPage",
    "WebhookSubscription",
    "WebhookSubscriptionPage",
]

MAX_URL_LENGTH = 2048
MAX_REGIONS = 50


def _check_url(url: str) -> str:
    """http or https, a host, no credentials in it (they would be stored and shown), no
    spaces or control characters."""
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise ValueError("the URL may not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises for a port that is not a number in range
    except ValueError as error:
        raise ValueError(f"not a valid URL: {error}") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("the URL must be http:// or https://")
    if not parts.hostname:
        raise ValueError("the URL needs a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("the URL may not carry credentials; the signature authenticates us")
    del port
    return url


WebhookUrl = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_URL_LENGTH),
    AfterValidator(_check_url),
]
Region = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
Description = Annotated[FreeText, StringConstraints(max_length=500)]


class DeliveryStateName(StrEnum):
    """pending (waiting for its next attempt), delivering (an attempt in flight, or a worker
    died during one: due again when its lease runs out), delivered (a 2xx), dead (the retry
    budget is spent: a dead letter of the subscription)."""

    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    DEAD = "dead"


class SubscriptionFilters(Strict):
    """Any-of lists; an empty list means every value. Nothing outside the owner's
    jurisdiction is ever sent, whatever the filters say; `regions` outside it are refused."""

    kinds: list[AlertKind] = Field(default_factory=list, max_length=len(AlertKind))
    severities: list[AlertSeverity] = Field(default_factory=list, max_length=len(AlertSeverity))
    categories: list[ProductCategory] = Field(default_factory=list, max_length=len(ProductCategory))
    regions: list[Region] = Field(
        default_factory=list,
        max_length=MAX_REGIONS,
        description="GB/T 2260 codes, each covering its area (province, city or county)",
    )


class SubscriptionCreate(Strict):
    url: WebhookUrl = Field(description="Where alerts are POSTed: http(s), at most 2048 chars")
    description: Description = ""
    filters: SubscriptionFilters = Field(default_factory=SubscriptionFilters)


class SubscriptionUpdate(Strict):
    """A PATCH: absent fields are left as they are; `filters` replaces all four lists."""

    url: WebhookUrl | None = None
    description: Description | None = None
    filters: SubscriptionFilters | None = None


class PauseRequest(Strict):
    reason: Description = ""


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookSubscription(_Document):
    """A subscription as its owner sees it (never its secret)."""

    subscription_id: str
    url: str
    description: str
    filters: SubscriptionFilters
    owner_jurisdiction: str | None = Field(
        description="The owner's area, from the account: nothing outside it is sent"
    )
    state: Literal["active", "paused"]
    paused_reason: str | None
    paused_at: AwareDatetime | None
    consecutive_failures: int = Field(description="Failed attempts in a row, all deliveries")
    failing_since: AwareDatetime | None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class SubscriptionCreated(_Document):
    subscription: WebhookSubscription
    secret: str = Field(
        description="whsec_… — shown this once; verify each POST's webhook-signature with it"
    )


class SecretRotated(_Document):
    secret: str = Field(description="The new whsec_… secret, shown this once")
    previous_expires_at: AwareDatetime = Field(
        description="Until then POSTs carry a signature with the previous secret too"
    )


class SubscriptionResumed(_Document):
    subscription: WebhookSubscription
    waiting: int = Field(description="Deliveries held while paused, due again now")


class WebhookSubscriptionPage(_Document):
    items: list[WebhookSubscription]
    next: str | None = Field(description="URL of the next page; null on the last one")


class WebhookAttempt(_Document):
    attempt: int
    at: AwareDatetime
    status_code: int | None = Field(description="The receiver's HTTP status; null on error")
    error: str | None = Field(description="Timeout, refused connection, TLS… (bounded text)")
    duration_ms: int


class WebhookDelivery(_Document):
    """One alert for one subscription: its state, attempts and their log."""

    delivery_id: str
    event_id: str = Field(description="The alert id: the webhook-id header of every attempt")
    event_type: str = Field(description="The CloudEvent type, cn.recall.alert.<kind>[.resolved]")
    state: DeliveryStateName
    attempts: int
    next_attempt_at: AwareDatetime
    last_status: int | None
    last_error: str | None
    created_at: AwareDatetime
    delivered_at: AwareDatetime | None
    log: list[WebhookAttempt]


class WebhookDeliveryPage(_Document):
    items: list[WebhookDelivery]
    next: str | None = Field(description="URL of the next page; null on the last one")

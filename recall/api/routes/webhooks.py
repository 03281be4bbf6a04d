"""Webhooks (事件推送): subscriptions to the alerts of one's own area, and their delivery log.

Who: regulators. A subscription belongs to the account that made it and only that account
sees it (anyone else's reads as 404). The owner's jurisdiction is the account's region,
never a field of the request, and no alert outside it is ever sent, whatever the filters
(docs/webhooks.md "The jurisdiction rule"); a region filter outside it is refused (422).
The signing secret is in the answer to the create and rotate calls only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request

from recall.adapters.db.webhook_store import SqlWebhookStore
from recall.api import audit as api_audit
from recall.api import lists
from recall.api.deps import CurrentPrincipal
from recall.api.problems import PROBLEM_RESPONSES, ProblemError, not_found
from recall.config import Settings
from recall.domain.access import Principal, Role
from recall.domain.webhooks import Filters, WebhookFilterError
from recall.service.paging import Page, PageRequest
from recall.service.webhooks import subscriptions as service
from recall.service.webhooks.ports import (
    Delivery,
    DeliveryState,
    Subscription,
    SubscriptionChange,
    WebhookStore,
)
from recall.service.webhooks.subscriptions import Owner, SubscriptionNotFoundError
from schemas import webhooks as wire

router = APIRouter(prefix="/webhooks", tags=["webhooks 事件推送"], responses=PROBLEM_RESPONSES)
NOUN = "webhook subscription"
ROLES = "regulators"
PATH = "/subscriptions/{subscription_id}"
DEFAULT_GRACE = timedelta(hours=24)


class ListSort(StrEnum):
    CREATED_DESC = "-created_at"


def configure(app: FastAPI, settings: Settings) -> None:
    """What the routes need from the settings: how long a rotated-out secret still signs."""
    app.state.webhook_secret_grace = timedelta(hours=settings.webhook_secret_grace_hours)


def _store(request: Request) -> WebhookStore:
    return SqlWebhookStore(request.app.state.sessions)


def _owner(request: Request, principal: Principal, action: str) -> Owner:
    if principal.role is not Role.REGULATOR:
        raise api_audit.forbidden(request, action, ROLES)
    return Owner(principal.account_id, principal.region)


def _filters(body: wire.SubscriptionFilters) -> Filters:
    return Filters.of(
        [k.value for k in body.kinds],
        [s.value for s in body.severities],
        [c.value for c in body.categories],
        body.regions,
    )


def _refused(error: WebhookFilterError) -> ProblemError:
    return ProblemError(422, str(error), kind="outside-jurisdiction")


@router.post("/subscriptions", response_model=wire.SubscriptionCreated)
def create_subscription(
    request: Request, body: wire.SubscriptionCreate, principal: CurrentPrincipal
) -> wire.SubscriptionCreated:
    """Subscribe a URL to the alerts of your area (filtered); the secret is shown only here."""
    with api_audit.recorded(request, principal, "webhook.create", body.url[:200]):
        owner = _owner(request, principal, "subscribe to webhooks")
        try:
            made = service.create(
                _store(request),
                owner=owner,
                url=body.url,
                description=body.description,
                filters=_filters(body.filters),
                now=datetime.now(UTC),
            )
        except WebhookFilterError as error:
            raise _refused(error) from None
    return wire.SubscriptionCreated(subscription=_shown(made.subscription), secret=made.secret)


@router.get("/subscriptions", response_model=wire.WebhookSubscriptionPage)
def list_subscriptions(
    request: Request,
    principal: CurrentPrincipal,
    sort: ListSort = ListSort.CREATED_DESC,
    cursor: lists.Cursor = None,
    limit: lists.Limit = lists.DEFAULT_LIMIT,
) -> object:
    """Your subscriptions, newest first."""
    owner = _owner(request, principal, "list webhook subscriptions")
    first = lists.page_request(request, sort.value, cursor, limit)
    page: Page[Subscription] = service.listed(_store(request), owner, first)
    return lists.page_body(request, page, sort.value, [_shown(s) for s in page.items])


@router.get("/subscriptions/{subscription_id}", response_model=wire.WebhookSubscription)
def get_subscription(
    request: Request, subscription_id: str, principal: CurrentPrincipal
) -> wire.WebhookSubscription:
    owner = _owner(request, principal, "read webhook subscriptions")
    with _found(request, subscription_id):
        return _shown(service.owned(_store(request), owner, subscription_id))


@router.patch("/subscriptions/{subscription_id}", response_model=wire.WebhookSubscription)
def update_subscription(
    request: Request,
    subscription_id: str,
    body: wire.SubscriptionUpdate,
    principal: CurrentPrincipal,
) -> wire.WebhookSubscription:
    """Change the URL, the description or the filters (all four lists at once)."""
    with api_audit.recorded(request, principal, "webhook.update", subscription_id):
        owner = _owner(request, principal, "change webhook subscriptions")
        change = SubscriptionChange(
            url=body.url,
            description=body.description,
            filters=_filters(body.filters) if body.filters is not None else None,
        )
        with _found(request, subscription_id):
            try:
                changed = service.change(
                    _store(request), owner, subscription_id, change, datetime.now(UTC)
                )
            except WebhookFilterError as error:
                raise _refused(error) from None
    return _shown(changed)


@router.post(PATH + "/pause", response_model=wire.WebhookSubscription)
def pause_subscription(
    request: Request,
    subscription_id: str,
    principal: CurrentPrincipal,
    body: wire.PauseRequest | None = None,
) -> wire.WebhookSubscription:
    """Stop sending; new alerts are still queued (held) until you resume."""
    with api_audit.recorded(request, principal, "webhook.pause", subscription_id):
        owner = _owner(request, principal, "pause webhook subscriptions")
        reason = body.reason if body is not None else ""
        with _found(request, subscription_id):
            paused = service.pause(
                _store(request), owner, subscription_id, reason, datetime.now(UTC)
            )
    return _shown(paused)


@router.post(PATH + "/resume", response_model=wire.SubscriptionResumed)
def resume_subscription(
    request: Request, subscription_id: str, principal: CurrentPrincipal
) -> wire.SubscriptionResumed:
    """Send again: the failure streak is cleared and held deliveries are due at once."""
    with api_audit.recorded(request, principal, "webhook.resume", subscription_id):
        owner = _owner(request, principal, "resume webhook subscriptions")
        with _found(request, subscription_id):
            resumed, waiting = service.resume(
                _store(request), owner, subscription_id, datetime.now(UTC)
            )
    return wire.SubscriptionResumed(subscription=_shown(resumed), waiting=waiting)


@router.post(PATH + "/rotate-secret", response_model=wire.SecretRotated)
def rotate_secret(
    request: Request, subscription_id: str, principal: CurrentPrincipal
) -> wire.SecretRotated:
    """A new secret, shown once; the previous one keeps signing during the grace period."""
    grace: timedelta = getattr(request.app.state, "webhook_secret_grace", DEFAULT_GRACE)
    now = datetime.now(UTC)
    with api_audit.recorded(request, principal, "webhook.rotate_secret", subscription_id):
        owner = _owner(request, principal, "rotate webhook secrets")
        with _found(request, subscription_id):
            rotated = service.rotate(_store(request), owner, subscription_id, grace, now)
    return wire.SecretRotated(secret=rotated.secret, previous_expires_at=now + grace)


@router.delete("/subscriptions/{subscription_id}", response_model=wire.WebhookSubscription)
def delete_subscription(
    request: Request, subscription_id: str, principal: CurrentPrincipal
) -> wire.WebhookSubscription:
    """Delete the subscription, its secrets and its whole delivery log; returns what it was."""
    with api_audit.recorded(request, principal, "webhook.delete", subscription_id):
        owner = _owner(request, principal, "delete webhook subscriptions")
        with _found(request, subscription_id):
            store = _store(request)
            gone = service.owned(store, owner, subscription_id)
            service.delete(store, owner, subscription_id)
    return _shown(gone)


StateFilter = Annotated[
    list[wire.DeliveryStateName],
    Query(description="only deliveries in these states (repeatable); default all"),
]


@router.get(PATH + "/deliveries", response_model=wire.WebhookDeliveryPage)
def list_deliveries(
    request: Request,
    subscription_id: str,
    principal: CurrentPrincipal,
    state: StateFilter = [],  # noqa: B006  # FastAPI copies it
    sort: ListSort = ListSort.CREATED_DESC,
    cursor: lists.Cursor = None,
    limit: lists.Limit = lists.DEFAULT_LIMIT,
) -> object:
    """The delivery log: every alert sent (or to send) here, each with its attempts."""
    states = [DeliveryState(s) for s in state]
    return _deliveries(request, subscription_id, principal, states, sort, cursor, limit)


@router.get(PATH + "/dead-letters", response_model=wire.WebhookDeliveryPage)
def list_dead_letters(
    request: Request,
    subscription_id: str,
    principal: CurrentPrincipal,
    sort: ListSort = ListSort.CREATED_DESC,
    cursor: lists.Cursor = None,
    limit: lists.Limit = lists.DEFAULT_LIMIT,
) -> object:
    """Deliveries that used up their retry budget; redeliver them once the endpoint works."""
    dead = [DeliveryState.DEAD]
    return _deliveries(request, subscription_id, principal, dead, sort, cursor, limit)


@router.post(PATH + "/deliveries/{delivery_id}/redeliver", response_model=wire.WebhookDelivery)
def redeliver(
    request: Request, subscription_id: str, delivery_id: str, principal: CurrentPrincipal
) -> wire.WebhookDelivery:
    """Send a dead (or delivered) delivery again, with a fresh retry budget."""
    with api_audit.recorded(request, principal, "webhook.redeliver", delivery_id):
        owner = _owner(request, principal, "redeliver webhooks")
        with _found(request, subscription_id, noun="webhook delivery", identifier=delivery_id):
            again = service.redeliver(
                _store(request), owner, subscription_id, delivery_id, datetime.now(UTC)
            )
    return _delivery(again)


def _deliveries(
    request: Request,
    subscription_id: str,
    principal: Principal,
    states: list[DeliveryState],
    sort: ListSort,
    cursor: str | None,
    limit: int,
) -> object:
    owner = _owner(request, principal, "read webhook deliveries")
    first: PageRequest = lists.page_request(request, sort.value, cursor, limit)
    with _found(request, subscription_id):
        page = service.deliveries(_store(request), owner, subscription_id, states, first)
    return lists.page_body(request, page, sort.value, [_delivery(d) for d in page.items])


@contextmanager
def _found(
    request: Request, subscription_id: str, *, noun: str = NOUN, identifier: str | None = None
) -> Iterator[None]:
    """Turn "no such subscription of yours" into the API's one 404 (another owner's
    subscription reads exactly as a missing one)."""
    try:
        yield
    except SubscriptionNotFoundError:
        raise not_found(noun, identifier or subscription_id) from None


def _shown(s: Subscription) -> wire.WebhookSubscription:
    return wire.WebhookSubscription(
        subscription_id=s.subscription_id,
        url=s.url,
        description=s.description,
        filters=wire.SubscriptionFilters.model_validate(
            {
                "kinds": sorted(s.filters.kinds),
                "severities": sorted(s.filters.severities),
                "categories": sorted(s.filters.categories),
                "regions": list(s.filters.regions),
            }
        ),
        owner_jurisdiction=s.owner_jurisdiction,
        state=s.state.value,
        paused_reason=s.paused_reason,
        paused_at=s.paused_at,
        consecutive_failures=s.health.consecutive_failures,
        failing_since=s.health.failing_since,
        created_at=s.created_at,
        updated_at=s.updated_at,
    )


def _delivery(d: Delivery) -> wire.WebhookDelivery:
    return wire.WebhookDelivery(
        delivery_id=d.delivery_id,
        event_id=d.event_id,
        event_type=d.event_type,
        state=wire.DeliveryStateName(d.state.value),
        attempts=d.attempts,
        next_attempt_at=d.next_attempt_at,
        last_status=d.last_status,
        last_error=d.last_error,
        created_at=d.created_at,
        delivered_at=d.delivered_at,
        log=[
            wire.WebhookAttempt(
                attempt=a.attempt_no,
                at=a.at,
                status_code=a.status_code,
                error=a.error,
                duration_ms=a.duration_ms,
            )
            for a in d.log
        ],
    )

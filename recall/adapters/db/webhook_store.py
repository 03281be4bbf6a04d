"""The webhook tables as `recall.service.webhooks.ports.WebhookStore`: a SQL delivery queue.

The queue's rules, as statements:

- **Fan-out** inserts with `ON CONFLICT DO NOTHING` on (subscription, event): a replayed batch
  adds nothing.
- **Claim**: due = `pending`/`delivering` with `next_attempt_at <= now` of an *active*
  subscription. Candidates are ranked per subscription (`row_number() OVER (PARTITION BY
  subscription_id …)`) so no subscription gets more than its free per-subscription slots;
  on PostgreSQL they are then locked `FOR UPDATE SKIP LOCKED` (two workers never wait for or
  take the same row), and the update is a compare-and-set on "still due", which is what makes
  SQLite (one writer at a time) safe too. A claim sets `next_attempt_at = lease_until`, so a
  lease that runs out (the worker died mid-attempt) is simply due again.
- **Settle** logs the attempt, and only if the row is still leased by the same claim moves it
  to delivered, back to pending at its retry time, or to dead; then updates the
  subscription's failing streak and pauses it when the rule says. The subscription row is
  locked before the delivery row, the order every writer here uses.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CursorResult, and_, case, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import (
    WebhookAttemptRow,
    WebhookDeliveryRow,
    WebhookSecretRow,
    WebhookSubscriptionRow,
)
from recall.adapters.db.upsert import insert_ignoring_conflicts
from recall.domain.webhooks import EndpointHealth, Filters, Outcome
from recall.service.paging import Page, PageRequest
from recall.service.webhooks.ports import (
    Attempt,
    AttemptResult,
    Audience,
    Claim,
    Delivery,
    DeliveryState,
    Finished,
    Plan,
    QueueStatus,
    Settled,
    Settlement,
    Subscription,
    SubscriptionChange,
    SubscriptionState,
)

ERROR_CHARS = 500
_CHUNK = 500
_WAITING = (DeliveryState.PENDING.value, DeliveryState.DELIVERING.value)

Sub = WebhookSubscriptionRow
Row = WebhookDeliveryRow


class SqlWebhookStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    # -- fan-out ------------------------------------------------------------------------

    def schedule(self, plan: Plan, now: datetime) -> int:
        with self.sessions.begin() as session:
            rows = session.scalars(
                select(Sub).where(
                    Sub.state.in_([SubscriptionState.ACTIVE.value, SubscriptionState.PAUSED.value])
                )
            ).all()
            planned = plan([_audience(r) for r in rows])
            values = [
                {
                    "delivery_id": d.delivery_id,
                    "subscription_id": d.subscription_id,
                    "event_id": d.event_id,
                    "event_type": d.event_type,
                    "payload": d.payload,
                    "state": DeliveryState.PENDING.value,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for d in sorted(planned, key=lambda d: d.delivery_id)  # one lock order
            ]
            inserted = 0
            for start in range(0, len(values), _CHUNK):
                statement = insert_ignoring_conflicts(session, Row.__table__).returning(
                    Row.delivery_id
                )
                inserted += len(session.execute(statement, values[start : start + _CHUNK]).all())
            return inserted

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
        due = and_(Row.state.in_(_WAITING), Row.next_attempt_at <= now)
        with self.sessions.begin() as session:
            picked = self._candidates(session, due, limit, per_subscription, busy)
            if not picked:
                return []
            locked = session.scalars(
                select(Row.delivery_id)
                .where(Row.delivery_id.in_(picked), due)
                .order_by(Row.delivery_id)
                .with_for_update(skip_locked=True)
            ).all()
            if not locked:
                return []
            session.execute(
                update(Row)
                .where(Row.delivery_id.in_(locked), due)  # compare-and-set: still due
                .values(
                    state=DeliveryState.DELIVERING.value,
                    attempts=Row.attempts + 1,
                    lease_owner=lease_owner,
                    lease_until=lease_until,
                    next_attempt_at=lease_until,
                )
                .execution_options(synchronize_session=False)
            )
            claimed = session.execute(
                select(Row, Sub.url)
                .join(Sub, Sub.subscription_id == Row.subscription_id)
                .where(Row.delivery_id.in_(locked), Row.lease_owner == lease_owner)
            ).all()
            keys = _secrets(session, {row.subscription_id for row, _ in claimed}, now)
            return [
                Claim(
                    delivery_id=row.delivery_id,
                    subscription_id=row.subscription_id,
                    event_id=row.event_id,
                    url=url,
                    payload=row.payload,
                    attempt_no=row.attempts,
                    secrets=keys.get(row.subscription_id, ()),
                    lease_owner=lease_owner,
                )
                for row, url in claimed
            ]

    @staticmethod
    def _candidates(
        session: Session,
        due: Any,
        limit: int,
        per_subscription: int,
        busy: Mapping[str, int],
    ) -> list[str]:
        """Oldest due first, at most the free slots of each subscription, `limit` in all."""
        rank = (
            func.row_number()
            .over(
                partition_by=Row.subscription_id,
                order_by=(Row.next_attempt_at, Row.delivery_id),
            )
            .label("rank")
        )
        candidates = (
            select(Row.delivery_id, Row.subscription_id, Row.next_attempt_at, rank)
            .join(Sub, Sub.subscription_id == Row.subscription_id)
            .where(due, Sub.state == SubscriptionState.ACTIVE.value)
        )
        full = sorted(s for s, n in busy.items() if n >= per_subscription)
        if full:  # a slow endpoint at its limit: its backlog is not even ranked
            candidates = candidates.where(Row.subscription_id.not_in(full))
        ranked = candidates.subquery()
        rows = session.execute(
            select(ranked.c.delivery_id, ranked.c.subscription_id, ranked.c.rank)
            .where(ranked.c.rank <= per_subscription)
            .order_by(ranked.c.next_attempt_at, ranked.c.delivery_id)
            .limit(limit + sum(busy.values()))
        ).all()
        picked = [
            delivery_id
            for delivery_id, subscription_id, position in rows
            if position <= per_subscription - busy.get(subscription_id, 0)
        ]
        return picked[:limit]

    def settle(self, claim: Claim, result: AttemptResult, settlement: Settlement) -> Settled:
        [settled] = self.settle_all([(claim, result, settlement)])
        return settled

    def settle_all(self, finished: Sequence[Finished]) -> list[Settled]:
        """Every finished attempt in one transaction: the attempts logged, each delivery
        moved if its claim still holds the lease, the subscriptions' streaks updated in order."""
        if not finished:
            return []
        with self.sessions.begin() as session:
            session.execute(
                insert(WebhookAttemptRow),
                [
                    {
                        "delivery_id": claim.delivery_id,
                        "attempt_no": claim.attempt_no,
                        "at": result.at,
                        "status_code": result.status,
                        "error": _bounded(result.error),
                        "duration_ms": result.duration_ms,
                    }
                    for claim, result, _ in finished
                ],
            )
            ids = sorted({claim.subscription_id for claim, _, _ in finished})
            subscriptions = {
                row.subscription_id: row
                for row in session.scalars(
                    select(Sub)
                    .where(Sub.subscription_id.in_(ids))
                    .order_by(Sub.subscription_id)
                    .with_for_update()
                )
            }
            settled: list[Settled] = []
            for claim, result, settlement in finished:
                # An UPDATE's result is a cursor result (its rowcount); the stubs say Result.
                moved: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                    update(Row)
                    .where(
                        Row.delivery_id == claim.delivery_id,
                        Row.lease_owner == claim.lease_owner,  # the lease is still this claim's
                        Row.state == DeliveryState.DELIVERING.value,
                    )
                    .values(**_settled_values(result, settlement))
                    .execution_options(synchronize_session=False)
                )
                subscription = subscriptions.get(claim.subscription_id)
                if moved.rowcount != 1 or subscription is None:
                    settled.append(Settled(recorded=False, outcome=settlement.outcome))
                    continue
                paused = _update_health(subscription, settlement)
                settled.append(Settled(recorded=True, outcome=settlement.outcome, paused=paused))
            return settled

    def status(self) -> QueueStatus:
        with self.sessions() as session:
            pending = session.scalar(
                select(func.count()).select_from(Row).where(Row.state.in_(_WAITING))
            )
            paused = session.scalar(
                select(func.count())
                .select_from(Sub)
                .where(Sub.state == SubscriptionState.PAUSED.value)
            )
        return QueueStatus(pending=pending or 0, paused_subscriptions=paused or 0)

    # -- subscriptions ------------------------------------------------------------------

    def create(self, subscription: Subscription, secret: str) -> None:
        with self.sessions.begin() as session:
            session.add(_subscription_row(subscription))
            session.add(_secret_row(subscription.subscription_id, secret, subscription.created_at))

    def get(self, subscription_id: str) -> Subscription | None:
        with self.sessions() as session:
            row = session.get(Sub, subscription_id)
            return _subscription(row) if row is not None else None

    def owned(self, owner_account_id: str, page: PageRequest) -> Page[Subscription]:
        query = select(Sub).where(Sub.owner_account_id == owner_account_id)
        with self.sessions() as session:
            rows, after = _keyset_page(session, query, Sub.created_at, Sub.subscription_id, page)
            return Page([_subscription(r) for r in rows], after)

    def change(
        self, subscription_id: str, change: SubscriptionChange, now: datetime
    ) -> Subscription:
        with self.sessions.begin() as session:
            row = _locked(session, subscription_id)
            if change.url is not None:
                row.url = change.url
            if change.description is not None:
                row.description = change.description
            if change.filters is not None:
                _set_filters(row, change.filters)
            row.updated_at = now
            return _subscription(row)

    def pause(self, subscription_id: str, reason: str, now: datetime) -> Subscription:
        with self.sessions.begin() as session:
            row = _locked(session, subscription_id)
            if row.state != SubscriptionState.PAUSED.value:
                row.state, row.paused_reason = SubscriptionState.PAUSED.value, _bounded(reason)
                row.paused_at = now
                row.updated_at = now
            return _subscription(row)

    def resume(self, subscription_id: str, now: datetime) -> tuple[Subscription, int]:
        with self.sessions.begin() as session:
            row = _locked(session, subscription_id)
            row.state, row.paused_reason, row.paused_at = SubscriptionState.ACTIVE.value, None, None
            row.consecutive_failures, row.failing_since, row.updated_at = 0, None, now
            session.execute(
                update(Row)
                .where(
                    Row.subscription_id == subscription_id,
                    Row.state == DeliveryState.PENDING.value,
                    Row.next_attempt_at > now,
                )
                .values(next_attempt_at=now)
                .execution_options(synchronize_session=False)
            )
            due = session.scalar(
                select(func.count())
                .select_from(Row)
                .where(Row.subscription_id == subscription_id, Row.state.in_(_WAITING))
            )
            return _subscription(row), due or 0

    def rotate(
        self, subscription_id: str, secret: str, old_expires_at: datetime, now: datetime
    ) -> None:
        with self.sessions.begin() as session:
            _locked(session, subscription_id)
            session.execute(
                delete(WebhookSecretRow).where(
                    WebhookSecretRow.subscription_id == subscription_id,
                    WebhookSecretRow.expires_at <= now,
                )
            )
            session.execute(
                update(WebhookSecretRow)
                .where(
                    WebhookSecretRow.subscription_id == subscription_id,
                    or_(
                        WebhookSecretRow.expires_at.is_(None),
                        WebhookSecretRow.expires_at > old_expires_at,
                    ),
                )
                .values(expires_at=old_expires_at)
                .execution_options(synchronize_session=False)
            )
            session.add(_secret_row(subscription_id, secret, now))

    def delete(self, subscription_id: str) -> None:
        with self.sessions.begin() as session:
            _locked(session, subscription_id)
            ids = select(Row.delivery_id).where(Row.subscription_id == subscription_id)
            session.execute(delete(WebhookAttemptRow).where(WebhookAttemptRow.delivery_id.in_(ids)))
            session.execute(delete(Row).where(Row.subscription_id == subscription_id))
            session.execute(
                delete(WebhookSecretRow).where(WebhookSecretRow.subscription_id == subscription_id)
            )
            session.execute(delete(Sub).where(Sub.subscription_id == subscription_id))

    def deliveries(
        self, subscription_id: str, states: Sequence[DeliveryState], page: PageRequest
    ) -> Page[Delivery]:
        query = select(Row).where(Row.subscription_id == subscription_id)
        if states:
            query = query.where(Row.state.in_([s.value for s in states]))
        with self.sessions() as session:
            rows, after = _keyset_page(session, query, Row.created_at, Row.delivery_id, page)
            logs = _attempts(session, [r.delivery_id for r in rows])
            return Page([_delivery(r, logs.get(r.delivery_id, ())) for r in rows], after)

    def redeliver(self, subscription_id: str, delivery_id: str, now: datetime) -> Delivery | None:
        with self.sessions.begin() as session:
            row = session.scalars(
                select(Row)
                .where(Row.delivery_id == delivery_id, Row.subscription_id == subscription_id)
                .with_for_update()
            ).one_or_none()
            if row is None:
                return None
            if row.state in (DeliveryState.DELIVERED.value, DeliveryState.DEAD.value):
                row.state, row.attempts = DeliveryState.PENDING.value, 0
                row.next_attempt_at = now
                row.lease_owner = row.lease_until = row.delivered_at = None
            logs = _attempts(session, [delivery_id])
            return _delivery(row, logs.get(delivery_id, ()))


# -- rows ↔ values -------------------------------------------------------------------------


def _settled_values(result: AttemptResult, settlement: Settlement) -> dict[str, Any]:
    values: dict[str, Any] = {
        "last_status": result.status,
        "last_error": _bounded(result.error),
        "lease_owner": None,
        "lease_until": None,
    }
    if settlement.outcome is Outcome.DELIVERED:
        values |= {"state": DeliveryState.DELIVERED.value, "delivered_at": settlement.now}
    elif settlement.outcome is Outcome.RETRY and settlement.retry_at is not None:
        values |= {"state": DeliveryState.PENDING.value, "next_attempt_at": settlement.retry_at}
    else:
        values["state"] = DeliveryState.DEAD.value
    return values


def _update_health(row: WebhookSubscriptionRow, settlement: Settlement) -> bool:
    """The failing streak after this attempt; True when it pauses the subscription now."""
    if settlement.outcome is Outcome.DELIVERED:
        row.consecutive_failures, row.failing_since = 0, None
        return False
    health = EndpointHealth(row.consecutive_failures, row.failing_since).failed(settlement.now)
    row.consecutive_failures, row.failing_since = health.consecutive_failures, health.failing_since
    rule = settlement.pause
    if row.state == SubscriptionState.ACTIVE.value and rule.should_pause(health, settlement.now):
        row.state, row.paused_at = SubscriptionState.PAUSED.value, settlement.now
        row.paused_reason, row.updated_at = _bounded(rule.reason(health)), settlement.now
        return True
    return False


def _locked(session: Session, subscription_id: str) -> WebhookSubscriptionRow:
    row = session.scalars(
        select(Sub).where(Sub.subscription_id == subscription_id).with_for_update()
    ).one_or_none()
    if row is None:
        raise LookupError(subscription_id)
    return row


def _secrets(
    session: Session, subscription_ids: set[str], now: datetime
) -> dict[str, tuple[str, ...]]:
    """Each subscription's secrets that still sign, newest first."""
    if not subscription_ids:
        return {}
    rows = session.execute(
        select(WebhookSecretRow.subscription_id, WebhookSecretRow.secret)
        .where(
            WebhookSecretRow.subscription_id.in_(sorted(subscription_ids)),
            or_(WebhookSecretRow.expires_at.is_(None), WebhookSecretRow.expires_at > now),
        )
        .order_by(
            case((WebhookSecretRow.expires_at.is_(None), 0), else_=1),  # the current one
            WebhookSecretRow.created_at.desc(),
            WebhookSecretRow.secret_id,
        )
    ).all()
    found: dict[str, list[str]] = defaultdict(list)
    for subscription_id, secret in rows:
        found[subscription_id].append(secret)
    return {key: tuple(values) for key, values in found.items()}


def _attempts(session: Session, delivery_ids: list[str]) -> dict[str, tuple[Attempt, ...]]:
    if not delivery_ids:
        return {}
    rows = session.scalars(
        select(WebhookAttemptRow)
        .where(WebhookAttemptRow.delivery_id.in_(delivery_ids))
        .order_by(WebhookAttemptRow.attempt_id)
    ).all()
    found: dict[str, list[Attempt]] = defaultdict(list)
    for r in rows:
        found[r.delivery_id].append(
            Attempt(r.attempt_no, r.at, r.status_code, r.error, r.duration_ms)
        )
    return {key: tuple(values) for key, values in found.items()}


def _keyset_page(
    session: Session, query: Any, sort: Any, key: Any, page: PageRequest
) -> tuple[list[Any], tuple[object, ...] | None]:
    """Rows by (sort, key) after the page's position; the next position when more follow."""
    if page.after is not None:
        value, last = page.after
        if isinstance(value, datetime):
            value = value.astimezone(UTC)
        bound = tuple_(sort, key)
        query = query.where(
            bound < tuple_(value, last) if page.descending else bound > tuple_(value, last)
        )
    order = (sort.desc(), key.desc()) if page.descending else (sort.asc(), key.asc())
    rows = list(session.scalars(query.order_by(*order).limit(page.limit + 1)).all())
    shown = rows[: page.limit]
    after = None
    if len(rows) > page.limit and shown:
        last_row = shown[-1]
        after = (getattr(last_row, sort.key), getattr(last_row, key.key))
    return shown, after


def _bounded(text: str | None) -> str | None:
    return None if text is None else text[:ERROR_CHARS]


def _audience(row: WebhookSubscriptionRow) -> Audience:
    return Audience(row.subscription_id, row.owner_jurisdiction, _filters(row))


def _filters(row: WebhookSubscriptionRow) -> Filters:
    return Filters.of(row.kinds, row.severities, row.categories, row.regions)


def _set_filters(row: WebhookSubscriptionRow, filters: Filters) -> None:
    row.kinds, row.severities = sorted(filters.kinds), sorted(filters.severities)
    row.categories, row.regions = sorted(filters.categories), list(filters.regions)


def _subscription_row(s: Subscription) -> WebhookSubscriptionRow:
    row = WebhookSubscriptionRow(
        subscription_id=s.subscription_id,
        owner_account_id=s.owner_account_id,
        owner_jurisdiction=s.owner_jurisdiction,
        url=s.url,
        description=s.description,
        state=s.state.value,
        paused_reason=s.paused_reason,
        paused_at=s.paused_at,
        consecutive_failures=s.health.consecutive_failures,
        failing_since=s.health.failing_since,
        created_at=s.created_at,
        updated_at=s.updated_at,
    )
    _set_filters(row, s.filters)
    return row


def _subscription(row: WebhookSubscriptionRow) -> Subscription:
    return Subscription(
        subscription_id=row.subscription_id,
        owner_account_id=row.owner_account_id,
        owner_jurisdiction=row.owner_jurisdiction,
        url=row.url,
        description=row.description,
        filters=_filters(row),
        state=SubscriptionState(row.state),
        created_at=row.created_at,
        updated_at=row.updated_at,
        paused_reason=row.paused_reason,
        paused_at=row.paused_at,
        health=EndpointHealth(row.consecutive_failures, row.failing_since),
    )


def _secret_row(subscription_id: str, secret: str, now: datetime) -> WebhookSecretRow:
    return WebhookSecretRow(
        secret_id="whk_" + uuid.uuid4().hex,
        subscription_id=subscription_id,
        secret=secret,
        created_at=now,
        expires_at=None,
    )


def _delivery(row: WebhookDeliveryRow, log: tuple[Attempt, ...]) -> Delivery:
    return Delivery(
        delivery_id=row.delivery_id,
        subscription_id=row.subscription_id,
        event_id=row.event_id,
        event_type=row.event_type,
        state=DeliveryState(row.state),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        last_status=row.last_status,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
        log=log,
    )

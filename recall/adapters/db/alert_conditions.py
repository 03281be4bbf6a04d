"""The alert conditions Alertmanager must hear about, in SQL (table `alert_conditions`).

The forwarder records every alert here before it posts anything, so Alertmanager being down
loses nothing: the re-send timer posts whatever is active or not yet delivered once it is
back. Rules (which alert wins, when a condition ends) are the domain's
(`recall.domain.alert_conditions`); this module only loads, stores and marks rows.

Two workers may record alerts of one condition at once (its firing and resolving alerts
are keyed by their own ids, so they can sit on different partitions): the insert of a key the
other just inserted fails on the primary key, and the batch is applied again on the rows
as they now are (`ATTEMPTS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import AlertConditionRow
from recall.domain.alert_conditions import FIRING, Condition, Incoming, apply, condition_key
from schemas.risk import Alert

ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Stored:
    """A condition with the alert that last changed it (labels and annotations come from it)."""

    condition: Condition
    alert: Alert
    changed_at: datetime


def record(
    sessions: sessionmaker[Session], alerts: Sequence[Alert], now: datetime, moment_ttl: timedelta
) -> list[Stored]:
    """Apply `alerts` in one transaction; returns the conditions they changed (to post now)."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with sessions.begin() as session:
                return _record(session, alerts, now, moment_ttl)
        except IntegrityError:
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _record(
    session: Session, alerts: Sequence[Alert], now: datetime, moment_ttl: timedelta
) -> list[Stored]:
    changed: dict[str, Stored] = {}
    rows: dict[str, AlertConditionRow | None] = {}
    for alert in sorted(alerts, key=lambda a: a.at):
        incoming = Incoming(alert.alert_id, alert.kind.value, alert.subject, alert.status, alert.at)
        after = _apply(session, rows, incoming, moment_ttl)
        if after is None:
            continue
        row = rows[after.key]
        record_json: dict[str, Any] = alert.model_dump(mode="json")
        if row is None:
            row = AlertConditionRow(condition_key=after.key, sent_at=None)
            session.add(row)
            rows[after.key] = row
        _fill(row, after, alert, record_json, now)
        changed[after.key] = Stored(after, alert, now)
    return list(changed.values())


def _apply(
    session: Session,
    rows: dict[str, AlertConditionRow | None],
    incoming: Incoming,
    moment_ttl: timedelta,
) -> Condition | None:
    key = condition_key(incoming.kind, incoming.subject, incoming.alert_id)
    if key not in rows:
        rows[key] = session.get(AlertConditionRow, key)
    row = rows[key]
    return apply(None if row is None else _condition(row), incoming, moment_ttl=moment_ttl)


def _fill(
    row: AlertConditionRow,
    after: Condition,
    alert: Alert,
    record_json: dict[str, Any],
    now: datetime,
) -> None:
    row.kind, row.subject, row.alert_id = after.kind, after.subject, after.alert_id
    row.status, row.severity, row.jurisdiction = after.status, alert.severity, alert.jurisdiction
    row.at, row.starts_at, row.ends_at = after.at, after.starts_at, after.ends_at
    row.record, row.changed_at = record_json, now


def _condition(row: AlertConditionRow) -> Condition:
    return Condition(
        row.condition_key,
        row.kind,
        row.subject,
        row.alert_id,
        row.status,
        row.at,
        row.starts_at,
        row.ends_at,
    )


def _stored(row: AlertConditionRow) -> Stored:
    return Stored(_condition(row), Alert.model_validate(row.record), row.changed_at)


def due(sessions: sessionmaker[Session], now: datetime, limit: int = 5000) -> list[Stored]:
    """What Alertmanager must be sent now: every active condition or moment, and every change
    it has not acknowledged yet (a resolution, above all)."""
    with sessions() as session:
        rows = session.scalars(
            select(AlertConditionRow)
            .where(
                or_(
                    AlertConditionRow.ends_at.is_(None),
                    AlertConditionRow.ends_at > now,
                    AlertConditionRow.sent_at.is_(None),
                    AlertConditionRow.sent_at < AlertConditionRow.changed_at,
                )
            )
            .order_by(AlertConditionRow.changed_at)
            .limit(limit)
        )
        return [_stored(row) for row in rows]


def mark_sent(sessions: sessionmaker[Session], sent: Sequence[Stored], at: datetime) -> None:
    """Delivered as of `at`; a row changed since it was read stays pending."""
    by_change: dict[datetime, list[str]] = {}
    for stored in sent:
        by_change.setdefault(stored.changed_at, []).append(stored.condition.key)
    with sessions.begin() as session:
        for changed_at, keys in by_change.items():
            session.execute(
                update(AlertConditionRow)
                .where(
                    AlertConditionRow.condition_key.in_(keys),
                    AlertConditionRow.changed_at <= changed_at,
                )
                .values(sent_at=at)
            )


def purge(sessions: sessionmaker[Session], before: datetime) -> int:
    """Forget conditions that ended before `before` and were delivered; how many."""
    with sessions.begin() as session:
        result = session.execute(
            delete(AlertConditionRow).where(
                AlertConditionRow.ends_at < before,
                AlertConditionRow.sent_at.is_not(None),
                AlertConditionRow.sent_at >= AlertConditionRow.changed_at,
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


def firing_by_kind(sessions: sessionmaker[Session], now: datetime) -> dict[str, int]:
    """Active firing conditions and moments per kind, as Alertmanager shows them."""
    with sessions() as session:
        rows = session.execute(
            select(AlertConditionRow.kind, func.count())
            .where(
                and_(
                    AlertConditionRow.status == FIRING,
                    or_(AlertConditionRow.ends_at.is_(None), AlertConditionRow.ends_at > now),
                )
            )
            .group_by(AlertConditionRow.kind)
        )
        return {kind: int(count) for kind, count in rows}

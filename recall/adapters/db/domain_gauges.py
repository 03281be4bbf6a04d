"""The figures behind the domain gauges (streams/metrics.py), read from SQL in one session.

Prometheus rules on domain conditions (signals above normal, investigations waiting too long,
recalls lagging) need the system of record's view, not one worker's: every figure here is
cluster-wide, read with small grouped counts over indexed columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.alert_conditions import firing_by_kind
from recall.adapters.db.models import InvestigationRow, RecallRow, RiskSignalRow

WAITING_STATES = ("opened", "assigned")
"""Investigation states that wait on a person (not concluded, no recall requested yet)."""


@dataclass(frozen=True, slots=True)
class DomainFigures:
    signals_last_hour: dict[str, int] = field(default_factory=dict)
    investigations_waiting: dict[str, int] = field(default_factory=dict)
    oldest_open_at: datetime | None = None
    recalls_lagging: int = 0
    alerts_firing: dict[str, int] = field(default_factory=dict)


def read_figures(sessions: sessionmaker[Session], now: datetime) -> DomainFigures:
    with sessions() as session:
        signals = session.execute(
            select(RiskSignalRow.category, func.count())
            .where(RiskSignalRow.raised_at > now - timedelta(hours=1))
            .group_by(RiskSignalRow.category)
        )
        waiting = session.execute(
            select(InvestigationRow.state, func.count())
            .where(InvestigationRow.state.in_(WAITING_STATES))
            .group_by(InvestigationRow.state)
        )
        oldest = session.scalar(
            select(func.min(InvestigationRow.opened_at)).where(
                InvestigationRow.state.in_(WAITING_STATES)
            )
        )
        lagging = session.scalar(
            select(func.count()).select_from(RecallRow).where(RecallRow.state == "lagging")
        )
        figures = DomainFigures(
            signals_last_hour={category: int(n) for category, n in signals},
            investigations_waiting={state: int(n) for state, n in waiting},
            oldest_open_at=_aware(oldest),
            recalls_lagging=int(lagging or 0),
        )
    return DomainFigures(
        figures.signals_last_hour,
        figures.investigations_waiting,
        figures.oldest_open_at,
        figures.recalls_lagging,
        firing_by_kind(sessions, now),
    )


def _aware(value: datetime | str | None) -> datetime | None:
    """min() keeps the column's type (UTC, aware); text or naive values are taken as UTC."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

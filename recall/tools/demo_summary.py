"""What the demo's traffic set in motion: signals, investigations, recalls and alerts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

import orjson
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import (
    InvestigationEvidenceRow,
    InvestigationRow,
    OutboxRow,
    RecallRow,
)


def _pct(value: object) -> str:
    return f"{value:.1%}" if isinstance(value, int | float) else "—"


def print_loop_summary(console: Console, sessions: sessionmaker[Session], since: datetime) -> None:
    with sessions() as session:
        opened = session.scalars(
            select(InvestigationRow).where(InvestigationRow.opened_at >= since)
        ).all()
        ids = [row.investigation_id for row in opened]
        methods = Counter(
            e.method or "manual"
            for e in session.scalars(
                select(InvestigationEvidenceRow).where(
                    InvestigationEvidenceRow.investigation_id.in_(ids),
                    InvestigationEvidenceRow.position == 0,
                )
            )
        )
        recalls = session.scalars(select(RecallRow).where(RecallRow.updated_at >= since)).all()
        alerts = Counter(
            orjson.loads(row.value).get("kind", "?")
            for row in session.scalars(
                select(OutboxRow).where(
                    OutboxRow.created_at >= since, OutboxRow.record_id.startswith("alert:")
                )
            )
        )
    table = Table("what", "count", title="the loop (闭环): risk → investigation → recall")
    table.add_row("investigations opened (缺陷调查立案)", str(len(opened)))
    for method, n in methods.most_common():
        table.add_row(f"  by {method}", str(n))
    for kind, n in alerts.most_common():
        table.add_row(f"alerts: {kind}", str(n))
    console.print(table)
    if recalls:
        console.print(_recalls_table(recalls))


def _recalls_table(recalls: Sequence[RecallRow]) -> Table:
    table = Table(
        "召回 recall",
        "状态 state",
        "纠正率 rate",
        "预测 forecast (80%)",
        "目标 target",
        title="recalls (召回实施与效果)",
    )
    for row in sorted(recalls, key=lambda r: r.recall_id):
        summary = row.last_effectiveness or {}
        overall = (summary.get("rates") or {}).get("overall") or {}
        forecast = summary.get("forecast") or {}
        low, high = _pct(forecast.get("low80")), _pct(forecast.get("high80"))
        predicted = f"{_pct(forecast.get('final_rate'))} [{low}–{high}]" if forecast else "—"
        target = row.notice.get("target_rate")
        table.add_row(
            row.recall_id, row.state, _pct(overall.get("raw_rate")), predicted, _pct(target)
        )
    return table

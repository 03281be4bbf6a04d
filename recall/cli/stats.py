"""`recall stats`: the loop's figures as the province reports them (统计), from the record.

The same figures as `GET /statistics` (recall/service/statistics/queries.py defines each), for
the area of the regulator account named by `--as`: units recalled (affected, corrected), value
recalled (units × the notice's declared unit value), recalls by category and by tier, and the
share of defect leads by source (purchase sampling, injury reports, media, complaints), per
month or per year. Reading figures is audited as `statistics.read`, as the API's reads are not
— a shell has no access log, so the audit log is the record of who looked.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from recall.cli import acting
from recall.cli.acting import AsAccount
from recall.cli.common import console, fail, sessions, settings

if TYPE_CHECKING:
    from recall.service.statistics.queries import Group, Statistics

app = typer.Typer(help="Statistics (统计) as the province reports them.")


class Per(StrEnum):
    MONTH = "month"
    YEAR = "year"


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def _window(month: str | None, year: int | None) -> tuple[datetime | None, datetime | None]:
    """The half-open UTC range of `--month YYYY-MM` or `--year YYYY` (neither: everything)."""
    if month and year:
        fail("give --month or --year, not both", "e.g. --year 2026, or --month 2026-03")
    if month:
        try:
            start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
        except ValueError:
            fail(f"--month must be YYYY-MM, got {month!r}", "e.g. --month 2026-03")
        end = start.replace(year=start.year + (start.month == 12), month=start.month % 12 + 1)
        return start, end
    if year:
        return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    return None, None


@app.callback(invoke_without_command=True)
def stats(
    as_: AsAccount = None,
    month: Annotated[
        str | None, typer.Option("--month", help="Only this calendar month (UTC), YYYY-MM.")
    ] = None,
    year: Annotated[
        int | None, typer.Option("--year", min=2000, max=2999, help="Only this year (UTC).")
    ] = None,
    per: Annotated[
        Per, typer.Option("--per", help="One row per month or per year (按月 / 按年).")
    ] = Per.MONTH,
    by_category: Annotated[
        bool, typer.Option("--by-category", help="Also split every row by product category.")
    ] = False,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="table (bilingual) or json.")
    ] = OutputFormat.TABLE,
) -> None:
    """Units and value recalled, recalls by category and tier, share of leads by source.

    Cut to the region of the regulator account `--as` (a province sees its cities and
    counties). Example: `recall stats --as acc-… --year 2026 --per month`.
    """
    from recall.adapters.db.statistics import SqlStatistics
    from recall.domain.access import Role, region_prefix
    from recall.service.statistics.ports import StatisticsWindow
    from recall.service.statistics.queries import Dimension, statistics

    db = sessions(settings())
    actor = acting.acting_as(as_, None, db)
    principal = actor.principal
    if principal.role is not Role.REGULATOR:
        fail(
            f"account {actor.account_id} is not a regulator's: statistics are regulators' only",
            "pass --as with a regulator account (`recall accounts list`)",
        )
    start, end = _window(month, year)
    dims = [Dimension(per.value)] + ([Dimension.CATEGORY] if by_category else [])
    subject = f"{principal.region}:{month or year or 'all'}"
    with acting.recorded(actor, "statistics.read", subject):
        figures = statistics(
            SqlStatistics(db), StatisticsWindow(region_prefix(principal), start, end), group_by=dims
        )
    if output is OutputFormat.JSON:
        console.print_json(json.dumps(report(figures, principal.region, start, end)))
        return
    _print(figures, principal.region, per)


def shares(group: Group) -> dict[str, float]:
    """Each lead source's share of the group's leads (0 when there are none), in percent."""
    from recall.service.statistics.queries import LeadSource

    total = sum(group.leads.values())
    return {
        s.value: round(100.0 * group.leads.get(s.value, 0) / total, 1) if total else 0.0
        for s in LeadSource
    }


def figures_of(group: Group) -> dict[str, Any]:
    from recall.service.statistics.queries import TIERS, LeadSource

    return {
        "month": group.month,
        "year": group.year,
        "category": group.category,
        "units_affected": group.units_affected,
        "units_corrected": group.units_corrected,
        "value_recalled": None if group.value_recalled is None else round(group.value_recalled, 2),
        "recalls_without_value": group.recalls_without_value,
        "recalls": sum(group.recalls.values()),
        "recalls_by_tier": {t: group.recalls_by_tier.get(t, 0) for t in TIERS},
        "leads": {s.value: group.leads.get(s.value, 0) for s in LeadSource},
        "lead_shares_percent": shares(group),
    }


def report(
    figures: Statistics, scope: str | None, start: datetime | None, end: datetime | None
) -> dict[str, Any]:
    """The JSON document `--format json` prints."""
    return {
        "scope": scope,
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "group_by": [d.value for d in figures.group_by],
        "rows": [figures_of(g) for g in figures.groups],
        "total": figures_of(figures.total),
        "recalls_by_category": _by_category(figures),
    }


def _by_category(figures: Statistics) -> dict[str, int]:
    counts: dict[str, int] = {}
    for g in figures.groups:
        if g.category is not None:
            counts[g.category] = counts.get(g.category, 0) + sum(g.recalls.values())
    return dict(sorted(counts.items()))


def _print(figures: Statistics, scope: str | None, per: Per) -> None:
    from recall.api import labels
    from recall.service.statistics.queries import TIERS, LeadSource

    rows_are = "按月 per month" if per is Per.MONTH else "按年 per year"
    title = f"统计 / statistics — 辖区 area {scope} — {rows_are}"
    table = Table(title=title)
    key = "month" if per is Per.MONTH else "year"
    table.add_column(" / ".join(labels.pair(labels.FIELDS, key)))
    if figures.group_by[1:]:
        table.add_column("品类 / Category")
    for field in ("units_affected", "units_corrected", "value_recalled"):
        table.add_column(" / ".join(labels.pair(labels.FIELDS, field)), justify="right")
    table.add_column("召回 / Recalls", justify="right")
    for tier in TIERS:
        table.add_column(f"{labels.TIERS[tier][0]} / {labels.TIERS[tier][1]}", justify="right")
    for source in LeadSource:
        zh, en = labels.pair(labels.LEAD_SOURCES, source.value)
        table.add_column(f"线索·{zh} / Leads: {en}", justify="right")
    rows = [*figures.groups, figures.total]
    for i, g in enumerate(rows):
        last = i == len(rows) - 1
        head = ["合计 / Total" if last else (getattr(g, key) or "")]
        if figures.group_by[1:]:
            head.append("" if last else (g.category or ""))
        share = shares(g)
        table.add_row(
            *head,
            str(g.units_affected),
            str(g.units_corrected),
            "—" if g.value_recalled is None else f"{g.value_recalled:,.2f}",
            str(sum(g.recalls.values())),
            *(str(g.recalls_by_tier.get(t, 0)) for t in TIERS),
            *(f"{g.leads.get(s.value, 0)} ({share[s.value]}%)" for s in LeadSource),
        )
    console.print(table)
    console.print(
        "召回货值 = 涉及数量 × 公告申报单价 / value recalled = units affected × the notice's"
        f" declared unit value (CNY); recalls without one: {figures.total.recalls_without_value}"
    )

"""The recall closure report (召回结案报告): one self-contained HTML page per recall.

Input is `ClosureReportData`, plain domain objects gathered by the service
(`recall.service.recalls.queries.closure_data`); everything derived (rates, speed, curve,
FDA level) is computed here from them with the domain's own functions, so the figures in the
report are the figures the system acted on. Output is an HTML string; the caller stores it.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from recall.adapters.reports.svg import correction_chart_svg
from recall.domain.recalls.effectiveness import (
    OVERALL,
    correction_curve,
    correction_rates,
    correction_speed,
    fda_check_level,
)
from recall.domain.recalls.model import KIND_ZH, LEVEL_ZH, REMEDY_ZH, VERDICT_ZH, SupplyLevel
from recall.service.recalls.closure import ClosureReportData

__all__ = ["ClosureReportData", "render_closure_report"]

_TEMPLATES = Path(__file__).parent / "templates"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = _pct
    env.filters["when"] = _when
    return env


def _pct(value: float | None, digits: int = 1) -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"{value * 100:.{digits}f}%"


def _when(value: dt.datetime | None) -> str:
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M %Z").strip()


def _level_label(scope: str) -> str:
    if scope == OVERALL:
        return "合计 Overall"
    return f"{LEVEL_ZH[SupplyLevel(scope)]} {scope.capitalize()}"


def _context(data: ClosureReportData) -> dict[str, Any]:
    spec = data.spec
    last = max(data.reports, key=lambda r: r.period_end) if data.reports else None
    curve = correction_curve(spec, data.reports)
    rates = correction_rates(spec, last)
    forecast = data.forecast
    final = rates[OVERALL].raw_rate
    return {
        "spec": spec,
        "kind_zh": KIND_ZH[spec.kind],
        "remedies": ", ".join(f"{REMEDY_ZH[r]} {r}" for r in sorted(spec.remedies)),
        "channels": ", ".join(sorted(spec.channels)),
        "history": data.history,
        "rates": [(_level_label(k), v) for k, v in rates.items()],
        "speed": correction_speed(curve),
        "chart": Markup(correction_chart_svg(curve, forecast, spec.target_rate)),
        "last": last,
        "n_reports": len(data.reports),
        "forecast": forecast,
        "final_rate": final,
        "forecast_hit": forecast is not None and forecast.low80 <= final <= forecast.high80,
        "deadlines": data.deadlines,
        "late_count": sum(1 for d in data.deadlines if d.timeliness in ("late", "overdue")),
        "notices": data.notices,
        "referrals": data.referrals,
        "post": data.post_recall,
        "ineffective": data.ineffective,
        "residual": data.residual,
        "fda": data.fda or fda_check_level(spec),
        "evaluation": data.evaluation,
        "verdict_zh": VERDICT_ZH[data.evaluation.verdict] if data.evaluation else "",
        "generated_at": data.generated_at,
    }


def render_closure_report(data: ClosureReportData) -> str:
    """Render the closure report as one HTML page with the correction curve inline as SVG."""
    template = _environment().get_template("closure.html.j2")
    return template.render(**_context(data))

"""The correction curve as inline SVG, written by hand.

Hand-written rather than matplotlib: the output is small, deterministic (testable byte for
byte), needs no font cache, and renders in any browser or PDF printer a regulator uses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from recall.domain.recalls.effectiveness import CurvePoint
from recall.domain.recalls.forecast import Forecast, saturating_rate


@dataclass(frozen=True, slots=True)
class _Frame:
    width: int
    height: int
    x_max: float
    left: int = 56
    right: int = 20
    top: int = 16
    bottom: int = 44

    def x(self, day: float) -> float:
        return self.left + (self.width - self.left - self.right) * day / self.x_max

    def y(self, rate: float) -> float:
        return self.top + (self.height - self.top - self.bottom) * (1.0 - rate)


def _nice_step(span: float) -> float:
    raw = span / 6
    magnitude = 10 ** math.floor(math.log10(raw))
    return float(next(m * magnitude for m in (1, 2, 3, 5, 10) if m * magnitude >= raw))


def _axes(f: _Frame) -> list[str]:
    parts = []
    for i in range(6):
        rate = i / 5
        y = f.y(rate)
        parts.append(
            f'<line x1="{f.left}" y1="{y:.1f}" x2="{f.width - f.right}" y2="{y:.1f}" '
            'stroke="#e3e3e3"/>'
        )
        parts.append(f'<text x="{f.left - 6}" y="{y + 4:.1f}" text-anchor="end">{rate:.0%}</text>')
    step = _nice_step(f.x_max)
    day = 0.0
    while day <= f.x_max + 1e-9:
        x = f.x(day)
        parts.append(
            f'<line x1="{x:.1f}" y1="{f.y(0):.1f}" x2="{x:.1f}" y2="{f.y(0) + 4:.1f}" '
            'stroke="#555"/>'
        )
        parts.append(f'<text x="{x:.1f}" y="{f.y(0) + 17:.1f}" text-anchor="middle">{day:g}</text>')
        day += step
    parts.append(
        f'<polyline points="{f.left},{f.top} {f.left},{f.y(0):.1f} '
        f'{f.width - f.right},{f.y(0):.1f}" fill="none" stroke="#555"/>'
    )
    parts.append(
        f'<text x="{(f.left + f.width - f.right) / 2:.1f}" y="{f.height - 6}" '
        'text-anchor="middle">天数 days since start</text>'
    )
    return parts


def _forecast_marks(f: _Frame, forecast: Forecast) -> list[str]:
    days = [forecast.horizon_days * i / 80 for i in range(81)]
    pts = " ".join(
        f"{f.x(d):.1f},{f.y(saturating_rate(d, forecast.asymptote, forecast.tau_days)):.1f}"
        for d in days
    )
    x = f.x(forecast.horizon_days)
    return [
        f'<polyline class="forecast" points="{pts}" fill="none" stroke="#d9822b" '
        'stroke-width="2" stroke-dasharray="6 4"/>',
        f'<line class="interval" x1="{x:.1f}" y1="{f.y(forecast.low80):.1f}" x2="{x:.1f}" '
        f'y2="{f.y(forecast.high80):.1f}" stroke="#d9822b" stroke-width="6" opacity="0.45"/>',
        f'<circle cx="{x:.1f}" cy="{f.y(forecast.final_rate):.1f}" r="5" fill="#d9822b"/>',
    ]


def _legend(f: _Frame, items: Sequence[tuple[str, str]]) -> list[str]:
    parts = []
    for i, (colour, label) in enumerate(items):
        y = f.top + 8 + 18 * i
        x = f.width - f.right - 250
        parts.append(f'<rect x="{x}" y="{y - 8}" width="14" height="4" fill="{colour}"/>')
        parts.append(f'<text x="{x + 20}" y="{y - 2}">{escape(label)}</text>')
    return parts


def correction_chart_svg(
    curve: Sequence[CurvePoint],
    forecast: Forecast | None,
    target_rate: float,
    *,
    width: int = 760,
    height: int = 340,
) -> str:
    """Observed cumulative rate, target line, and the early forecast with its 80% interval."""
    last_day = curve[-1].day if curve else 1.0
    x_max = max(last_day, forecast.horizon_days if forecast else 0.0, 1.0) * 1.04
    f = _Frame(width, height, x_max)
    parts = _axes(f)
    ty = f.y(target_rate)
    parts.append(
        f'<line class="target" x1="{f.left}" y1="{ty:.1f}" x2="{width - f.right}" '
        f'y2="{ty:.1f}" stroke="#c0392b" stroke-dasharray="3 3"/>'
    )
    if forecast is not None and not math.isnan(forecast.tau_days):
        parts += _forecast_marks(f, forecast)
    observed = " ".join(
        f"{f.x(p.day):.1f},{f.y(p.rate):.1f}" for p in [CurvePoint(0, 0, 0, 0.0), *curve]
    )
    parts.append(
        f'<polyline class="observed" points="{observed}" fill="none" '
        'stroke="#1f5fa8" stroke-width="2.5"/>'
    )
    used = forecast.n_points if forecast else 0
    for i, p in enumerate(curve):
        fill = "#1f5fa8" if i < used else "#fff"
        parts.append(
            f'<circle cx="{f.x(p.day):.1f}" cy="{f.y(p.rate):.1f}" r="3.5" '
            f'fill="{fill}" stroke="#1f5fa8"/>'
        )
    parts += _legend(
        f,
        [
            ("#1f5fa8", "实际 observed (filled: used by forecast)"),
            ("#d9822b", "预测 forecast, 80% interval"),
            ("#c0392b", f"目标 target {target_rate:.0%}"),
        ],
    )
    body = "\n".join(parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="correction-curve" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        'font-family="sans-serif" font-size="11" fill="#222">'
        "<title>纠正率曲线 Correction rate curve</title>\n"
        f"{body}\n</svg>"
    )

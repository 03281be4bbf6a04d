"""`recall risk …`: the EU Safety Gate risk matrix and probability estimates, for people."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from recall.cli.common import check_scope, console, fail, sessions, settings

if TYPE_CHECKING:
    from recall.domain.risk.disproportionality import GpsPrior
    from recall.domain.risk.matrix import ProbabilityBand, RiskLevel
    from recall.service.risk.disproportionality import DisproportionalityReport, PairRow

app = typer.Typer(help="Risk assessment (风险评估): the EU Safety Gate matrix and probabilities.")

LEVEL_LABELS = {"low": "低风险", "medium": "中风险", "high": "高风险", "serious": "严重风险"}
LEVEL_SHORT = {"low": "低", "medium": "中", "high": "高", "serious": "严重"}
LEVEL_STYLES = {"low": "green", "medium": "yellow", "high": "dark_orange", "serious": "bold red"}
SEVERITY_TEXT = {
    1: "first aid only (轻微)",
    2: "emergency visit, recovery within ~6 months (一般)",
    3: "hospitalisation or loss of function over 6 months (严重)",
    4: "fatal or over ~10% permanent disability (致命)",
}


class IntervalChoice(StrEnum):
    """Mirrors `recall.domain.risk.probability.IntervalMethod` without importing scipy at start."""

    CLOPPER_PEARSON = "clopper_pearson"
    WILSON = "wilson"


def parse_probability(text: str) -> Fraction:
    """Read "1/1000", "1/1,000", "0.001", "1e-3" or "0.1%" exactly (boundaries stay exact)."""
    cleaned = "".join(text.split()).replace(",", "").replace("_", "")
    scale = Fraction(1)
    if cleaned.endswith("%"):
        cleaned, scale = cleaned[:-1], Fraction(1, 100)
    try:
        return Fraction(cleaned) * scale
    except (ValueError, ZeroDivisionError):
        fail(
            f"cannot read probability {escape(text)!r}",
            'write it as a fraction, decimal or percentage: "1/1000", "0.001", "1e-3", "0.1%"',
        )


def level_text(level: RiskLevel | str) -> str:
    """The level with its 中文 label, coloured (rich markup)."""
    value = str(level)
    return f"[{LEVEL_STYLES[value]}]{value} ({LEVEL_LABELS[value]})[/]"


def _one_in(probability: float | Fraction) -> str:
    value = float(probability)
    if value <= 0:
        return "0"
    return f"{value:.3g} (1 in {1 / value:,.0f})"


Severity = Annotated[
    int | None,
    typer.Option("--severity", "-s", min=1, max=4, help="Injury severity 1–4 (EU Safety Gate)."),
]


@app.command()
def matrix(
    severity: Severity = None,
    probability: Annotated[
        str | None,
        typer.Option(
            "--probability",
            "-p",
            help='Lifetime probability of the injury scenario: "1/1000", "0.001", "1e-3", "0.1%".',
        ),
    ] = None,
    table: Annotated[
        bool, typer.Option("--table", help="Print the whole matrix (marks the cell if given).")
    ] = False,
) -> None:
    """Risk level of a severity and a probability, per the EU Safety Gate matrix."""
    from recall.domain.risk.errors import RiskError
    from recall.domain.risk.matrix import probability_band, risk_level

    if not table and (severity is None or probability is None):
        fail(
            "give both --severity and --probability, or --table",
            "recall risk matrix --severity 4 --probability 1/50000",
        )
    cell: tuple[int, ProbabilityBand] | None = None
    if severity is not None and probability is not None:
        value = parse_probability(probability)
        try:
            cell = (severity, probability_band(value))
        except RiskError as error:
            fail(escape(str(error)), "a probability lies between 0 and 1")
    if table:
        console.print(_matrix_table(cell))
    if cell is not None:
        sev, band = cell
        console.print(f"severity {sev}: {SEVERITY_TEXT[sev]}")
        console.print(f"probability {escape(str(probability))} = {_one_in(value)}")
        console.print(f"probability band (概率档): {band.label}  (row {band + 1} of 8)")
        console.print(f"risk level (风险等级): {level_text(risk_level(sev, band))}")


def _matrix_table(cell: tuple[int, ProbabilityBand] | None) -> Table:
    from recall.domain.risk.matrix import ProbabilityBand, risk_level

    out = Table(
        title="EU Safety Gate risk matrix (风险矩阵)",
        caption="rows: lifetime probability; columns: severity 1–4"
        + (", ▶ your case" if cell else ""),
    )
    out.add_column("probability 概率", no_wrap=True)
    for sev in (1, 2, 3, 4):
        out.add_column(f"severity {sev}", justify="center", no_wrap=True)
    for band in ProbabilityBand:
        cells = []
        for sev in (1, 2, 3, 4):
            level = risk_level(sev, band).value
            text = f"[{LEVEL_STYLES[level]}]{level} {LEVEL_SHORT[level]}[/]"
            cells.append(f"[reverse]▶ {text}[/]" if cell == (sev, band) else text)
        out.add_row(band.label, *cells)
    return out


@app.command()
def probability(
    incidents: Annotated[int, typer.Option("--incidents", "-n", min=0, help="Incidents observed.")],
    units: Annotated[int, typer.Option("--units", "-u", min=1, help="Units in use.")],
    confidence: Annotated[
        float, typer.Option("--confidence", min=0.5, max=0.999, help="Interval confidence.")
    ] = 0.95,
    method: Annotated[
        IntervalChoice, typer.Option("--method", help="Binomial interval.")
    ] = IntervalChoice.CLOPPER_PEARSON,
    severity: Severity = None,
) -> None:
    """Probability of the injury scenario from incidents per units in use, with its interval."""
    from recall.domain.risk.errors import RiskError
    from recall.domain.risk.matrix import risk_level
    from recall.domain.risk.probability import IntervalMethod, estimate_probability

    try:
        estimate = estimate_probability(incidents, units, confidence, IntervalMethod(method.value))
    except RiskError as error:
        fail(escape(str(error)))
    spanned = estimate.bands_spanned
    console.print(f"estimate (估计): {incidents:,} / {units:,} = {_one_in(estimate.point)}")
    console.print(
        f"{confidence:.0%} interval ({method.value}): "
        f"{_one_in(estimate.lower)} – {_one_in(estimate.upper)}"
    )
    console.print(f"probability band (概率档): {estimate.band.label}")
    settled = "settled" if len(spanned) == 1 else "not settled: more data could move the row"
    console.print(f"bands spanned (区间覆盖): {', '.join(b.label for b in spanned)}  ({settled})")
    if severity is not None:
        point = level_text(risk_level(severity, estimate.band))
        possible = list(dict.fromkeys(risk_level(severity, b) for b in spanned))
        spread = (
            ""
            if len(possible) == 1
            else "; within the interval: " + ", ".join(level_text(x) for x in possible)
        )
        console.print(f"risk level at severity {severity} (风险等级): {point}{spread}")


@app.command()
def disproportionality(
    days: Annotated[
        int, typer.Option("--days", min=1, help="Injury reports that occurred in the last N days.")
    ] = 365,
    category: Annotated[
        str | None,
        typer.Option("--category", help="Only this product category, e.g. appliances."),
    ] = None,
    scope: Annotated[
        str | None,
        typer.Option("--scope", help="Jurisdiction code (GB/T 2260); covers its sub-areas."),
    ] = None,
    min_cases: Annotated[
        int, typer.Option("--min-cases", min=1, help="Fewest reports (N) for a signal.")
    ] = 3,
    show_all: Annotated[
        bool, typer.Option("--all", help="Every product x hazard pair, not only the signals.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Also write the rows, all columns, as CSV."),
    ] = None,
) -> None:
    """Product x hazard pairs reported out of proportion to their category (PRR, ROR, IC, EB).

    Each product is compared with the other products of its category, over the injury reports
    that occurred in the window and the scope; `--output` writes the a, b, c, d counts too.
    """
    from recall.adapters.db.event_counts import SqlInjuryCounts
    from recall.service.risk.disproportionality import disproportionality_report

    _check_filters(scope, category)
    report = disproportionality_report(
        SqlInjuryCounts(sessions(settings())),
        days=days,
        category=category,
        scope=scope,
        min_cases=min_cases,
        include_all=show_all,
    )
    console.print(_disproportionality_table(report, scope=scope, category=category))
    signals = sum(r.signal for r in report.rows)
    console.print(
        f"injury reports (伤害报告) {report.cases:,} since {report.since:%Y-%m-%d}; "
        f"pairs assessed (配对) {report.pairs:,}; signals (信号) {signals:,}"
        + (f"; {report.skipped:,} report(s) with unknown codes left out" if report.skipped else "")
    )
    console.print(_gps_prior_line(report.gps_prior))
    if not report.rows:
        console.print(
            "no pair meets the criteria" + ("" if show_all else "; --all shows every pair")
        )
    if output is not None:
        _write_disproportionality_csv(output, report.rows)
        console.print(f"written to (输出): {escape(str(output))}")


def _gps_prior_line(prior: GpsPrior) -> str:
    mixture = (
        f"{prior.p:.2f}·Gamma({prior.alpha1:.2f}, {prior.beta1:.2f}) + "
        f"{1 - prior.p:.2f}·Gamma({prior.alpha2:.2f}, {prior.beta2:.2f})"
    )
    if prior.fitted_pairs:
        return f"EB prior (经验贝叶斯先验), fitted to {prior.fitted_pairs:,} pairs: {mixture}"
    return f"EB prior (经验贝叶斯先验): default {mixture} — too few pairs to fit one"


def _check_filters(scope: str | None, category: str | None) -> None:
    from schemas.common import ProductCategory

    check_scope(scope)
    if category is not None and category not in set(ProductCategory):
        fail(
            f"unknown category {escape(category)!r}",
            "one of: " + ", ".join(c.value for c in ProductCategory),
        )


def _disproportionality_table(
    report: DisproportionalityReport, *, scope: str | None, category: str | None
) -> Table:
    where = f"scope {scope}" if scope else "all jurisdictions"
    table = Table(
        title=f"disproportionality (不成比例报告) — {category or 'all categories'}, {where}",
        caption=(
            "each product against the other products of its category; signal (信号): N ≥ min "
            "cases and ≥ 1 of PRR ≥ 2 with χ² ≥ 4 and N ≥ 3 · ROR lower 95% > 1 · IC025 > 0; "
            "EB = EB05 (GPS; its prior is printed below)"
        ),
    )
    table.add_column("类别 category", no_wrap=True)
    table.add_column("产品 product", overflow="fold")
    table.add_column("危害 hazard", no_wrap=True)
    for header in ("N", "PRR", "χ²", "ROR [95% CI]", "IC025 / EB"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("信号 signal", no_wrap=True)
    for row in report.rows:
        r = row.result
        eb = "—" if row.eb is None else _num(row.eb.eb05)
        met = f"{r.criteria_met}/3 {' '.join(row.criteria)}".rstrip()
        table.add_row(
            row.category,
            escape(row.product_key),
            row.hazard,
            str(r.table.a),
            _num(r.prr.prr),
            _num(r.prr.chi2_yates),
            f"{_num(r.ror.ror)} [{_num(r.ror.lower)}–{_num(r.ror.upper)}]",
            f"{r.ic.ic025:.2f} / {eb}",
            f"[bold red]● {met}[/]" if row.signal else f"[dim]{met}[/]",
        )
    return table


def _num(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 1000 else f"{value:,.0f}"


def _write_disproportionality_csv(path: Path, rows: Sequence[PairRow]) -> None:
    from recall.service.risk.disproportionality import CSV_COLUMNS, csv_record

    try:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            writer.writerows(csv_record(row) for row in rows)
    except OSError as error:
        fail(escape(f"cannot write {path}: {error}"))

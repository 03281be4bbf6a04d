"""`recall risk …`: the EU Safety Gate risk matrix and probability estimates, for people."""

from __future__ import annotations

from enum import StrEnum
from fractions import Fraction
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from recall.cli.common import console, fail

if TYPE_CHECKING:
    from recall.domain.risk.matrix import ProbabilityBand, RiskLevel

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

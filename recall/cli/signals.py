"""`recall signals …`: run the temporal detectors over count series from a CSV file."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from recall.cli.common import console, fail

app = typer.Typer(help="Signals over time (信号检测): detect unusual counts in series.")

DEFAULT_METHOD = "stream"
"""The detector the live stream runs (same code, same settings): `registry.STREAM`."""
SHOWN_ERRORS = 20
SHOWN_SERIES = 10


class FrequencyChoice(StrEnum):
    """Mirrors `recall.domain.risk.detectors.Frequency` without importing numpy at start."""

    WEEKLY = "weekly"
    DAILY = "daily"


@app.command()
def detect(
    source: Annotated[
        Path,
        typer.Option(
            "--input", "-i", help="CSV with columns series_id,period,count (integer periods)."
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Where to write series_id,period,alarm,expected,threshold,score."
        ),
    ],
    method: Annotated[
        str,
        typer.Option(
            "--method",
            "-m",
            help="Detector name; see `recall signals methods`. The default is what the live "
            "stream runs, so a series file can be checked against what regulators will see.",
        ),
    ] = DEFAULT_METHOD,
    frequency: Annotated[
        FrequencyChoice, typer.Option("--frequency", help="Bucket size of the periods.")
    ] = FrequencyChoice.WEEKLY,
) -> None:
    """Judge every period of every series prospectively; write one row per period."""
    from recall.adapters.series_csv import SeriesCsvError, detect_csv
    from recall.domain.risk.detectors import Frequency
    from recall.domain.risk.errors import UnknownMethodError

    try:
        summary = detect_csv(source, output, method, Frequency(frequency.value))
    except UnknownMethodError as error:
        fail(escape(str(error)), "recall signals methods")
    except SeriesCsvError as error:
        fail(
            _shorten(str(error)),
            "one row per series and period, consecutive integer periods, counts >= 0",
        )
    except (OSError, UnicodeDecodeError) as error:
        fail(escape(f"cannot read {source} or write {output}: {error}"))
    table = Table("figure", "value", title=f"signals detected (信号检测) — {method}")
    table.add_row("frequency (频率)", frequency.value)
    table.add_row("series (序列)", f"{summary.series:,}")
    table.add_row("periods judged (期数)", f"{summary.periods:,}")
    table.add_row("alarms (警报)", f"{summary.alarms:,}")
    alarmed = summary.alarmed_series
    shown = ", ".join(alarmed[:SHOWN_SERIES])
    more = f" … and {len(alarmed) - SHOWN_SERIES} more" if len(alarmed) > SHOWN_SERIES else ""
    table.add_row(f"series with alarms (报警序列) {len(alarmed)}", escape(shown + more) or "none")
    table.add_row("written to (输出)", escape(str(output)))
    console.print(table)


def _shorten(message: str) -> str:
    """The first problems of a long list (a broken file can have one per line)."""
    lines = message.splitlines()
    head, problems = lines[:1], lines[1:]
    if len(problems) > SHOWN_ERRORS:
        extra = len(problems) - SHOWN_ERRORS
        problems = [*problems[:SHOWN_ERRORS], f"… and {extra} more problem(s)"]
    return escape("\n".join(head + ["  " + p for p in problems]))


@app.command()
def methods() -> None:
    """The detection methods, with what each one is."""
    from recall.domain.risk.detectors import METHOD_NAMES, get_method

    table = Table("method (方法)", "description (说明)", title="detection methods (检测方法)")
    for name in METHOD_NAMES:
        marker = " (default)" if name == DEFAULT_METHOD else ""
        table.add_row(name + marker, get_method(name).description)
    console.print(table)

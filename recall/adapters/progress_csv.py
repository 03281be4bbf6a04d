"""Forecast final correction rates for every recall in a progress CSV.

Input columns `recall_id,day,affected,corrected` (cumulative corrected units at `day` days
after the recall start; an optional `category` column groups the history). Rows of one recall
must come in increasing `day` order with a constant `affected`; every broken rule is reported
with its line number, and nothing is repaired.

A file mixes finished and open recalls, with no flag saying which is which, so *finished* is
inferred: a recall is finished when its last report is at least `horizon_days` (540, NHTSA's
18 months) after the start, or when its curve has flattened — at least 180 days old and the last
`FLAT_REPORTS` reports together added less than `FLAT_GAIN` (1 percentage point). Finished
recalls teach the empirical-Bayes prior (per category when a category column is present, with
the pooled prior as fallback) and are written with their observed final rate; open recalls are
forecast. Output columns: `recall_id,final_rate,low80,high80`, rates in 0..1.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from recall.domain.recalls.errors import InsufficientHistoryError
from recall.domain.recalls.forecast import (
    DEFAULT_HORIZON_DAYS,
    ForecastPrior,
    forecast_final_rate,
    learn_prior,
)

REQUIRED_COLUMNS = ("recall_id", "day", "affected", "corrected")
OUTPUT_COLUMNS = ("recall_id", "final_rate", "low80", "high80")
FLAT_REPORTS = 3
FLAT_GAIN = 0.01
FLAT_MIN_DAYS = 180.0
_MAX_ERRORS = 20


class ProgressCsvError(ValueError):
    """The input file breaks one or more rules; `errors` lists them with line numbers."""

    def __init__(self, path: Path, errors: Sequence[str]) -> None:
        self.errors = tuple(errors)
        shown = "\n  ".join(self.errors[:_MAX_ERRORS])
        more = len(self.errors) - _MAX_ERRORS
        tail = f"\n  … and {more} more" if more > 0 else ""
        super().__init__(f"{path}: {len(self.errors)} problem(s)\n  {shown}{tail}")


@dataclass(frozen=True, slots=True)
class ForecastRow:
    recall_id: str
    final_rate: float
    low80: float
    high80: float
    finished: bool
    method: str
    n_points: int
    category: str = ""


@dataclass(slots=True)
class ProgressSeries:
    """One recall's rows: (day, rate) points plus what the checks need to remember."""

    category: str
    affected: int
    first_line: int
    points: list[tuple[float, float]] = field(default_factory=list)
    corrected: int = 0
    last_line: int = 0


def _parse_row(row: Mapping[str, str | None], line: int) -> tuple[str, float, int, int]:
    """One record's values, or ValueError naming the line and field."""
    recall_id = (row.get("recall_id") or "").strip()
    if not recall_id:
        raise ValueError(f"line {line}: recall_id is empty")
    values = {}
    for name in ("day", "affected", "corrected"):
        text = (row.get(name) or "").strip()
        try:
            values[name] = float(text) if name == "day" else int(text)
        except ValueError:
            kind = "a number" if name == "day" else "a whole number"
            raise ValueError(f"line {line}: {name} must be {kind}, got {text!r}") from None
    day, affected, corrected = values["day"], int(values["affected"]), int(values["corrected"])
    if not math.isfinite(day) or day < 0:
        raise ValueError(f"line {line}: day must be ≥ 0, got {day:g}")
    if affected <= 0:
        raise ValueError(f"line {line}: affected must be > 0, got {affected}")
    if corrected < 0:
        raise ValueError(f"line {line}: corrected must be ≥ 0, got {corrected}")
    if corrected > affected:
        raise ValueError(f"line {line}: corrected {corrected} exceeds affected {affected}")
    return recall_id, day, affected, corrected


def _append(series: ProgressSeries, line: int, day: float, affected: int, corrected: int) -> None:
    if affected != series.affected:
        raise ValueError(
            f"line {line}: affected changed from {series.affected} (line "
            f"{series.first_line}) to {affected}"
        )
    if series.points and day <= series.points[-1][0]:
        raise ValueError(
            f"line {line}: day {day:g} is not after day {series.points[-1][0]:g} "
            f"(line {series.last_line}); rows of a recall must be in day order"
        )
    if corrected < series.corrected:
        raise ValueError(
            f"line {line}: cumulative corrected decreased from {series.corrected} "
            f"(line {series.last_line}) to {corrected}"
        )
    series.points.append((day, corrected / affected))
    series.corrected, series.last_line = corrected, line


def read_progress_csv(path: Path) -> dict[str, ProgressSeries]:
    """Parse and check the whole file, collecting every problem before failing."""
    series: dict[str, ProgressSeries] = {}
    errors: list[str] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ProgressCsvError(path, [f"line 1: missing column(s) {', '.join(missing)}"])
        for row in reader:
            line = reader.line_num
            try:
                recall_id, day, affected, corrected = _parse_row(row, line)
                category = (row.get("category") or "").strip()
                current = series.setdefault(recall_id, ProgressSeries(category, affected, line))
                _append(current, line, day, affected, corrected)
            except ValueError as exc:
                errors.append(f"{exc} [recall {(row.get('recall_id') or '').strip() or '?'}]")
    if errors:
        raise ProgressCsvError(path, errors)
    return series


def is_finished(points: Sequence[tuple[float, float]], horizon_days: float) -> bool:
    """Old enough, or flattened (see the module docstring)."""
    if not points:
        return False
    last_day, last_rate = points[-1]
    if last_day >= horizon_days:
        return True
    if last_day < FLAT_MIN_DAYS or len(points) <= FLAT_REPORTS:
        return False
    return last_rate - points[-1 - FLAT_REPORTS][1] < FLAT_GAIN


def _priors(series: Mapping[str, ProgressSeries], finished: set[str]) -> dict[str, ForecastPrior]:
    """Pooled prior under key '' and one per category with enough finished recalls."""
    groups: dict[str, list[list[tuple[float, float]]]] = {"": []}
    for recall_id in finished:
        s = series[recall_id]
        groups[""].append(s.points)
        if s.category:
            groups.setdefault(s.category, []).append(s.points)
    priors = {}
    for key, curves in groups.items():
        try:
            priors[key] = learn_prior(curves)
        except InsufficientHistoryError:
            continue
    return priors


def forecast_rows(
    series: Mapping[str, ProgressSeries], *, horizon_days: float = DEFAULT_HORIZON_DAYS
) -> list[ForecastRow]:
    finished = {k for k, s in series.items() if is_finished(s.points, horizon_days)}
    priors = _priors(series, finished)
    rows = []
    for recall_id, s in series.items():
        if recall_id in finished:
            rate = s.points[-1][1]
            rows.append(
                ForecastRow(
                    recall_id, rate, rate, rate, True, "observed", len(s.points), s.category
                )
            )
            continue
        prior = priors.get(s.category) or priors.get("")
        f = forecast_final_rate(s.points, prior, horizon_days=horizon_days)
        rows.append(
            ForecastRow(
                recall_id, f.final_rate, f.low80, f.high80, False, f.method, f.n_points, s.category
            )
        )
    return rows


def write_forecast_csv(path: Path, rows: Sequence[ForecastRow]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(OUTPUT_COLUMNS)
        for r in rows:
            writer.writerow(
                [r.recall_id, f"{r.final_rate:.4f}", f"{r.low80:.4f}", f"{r.high80:.4f}"]
            )


def forecast_csv(
    input_path: str | Path,
    output_path: str | Path,
    *,
    horizon_days: float = DEFAULT_HORIZON_DAYS,
) -> list[ForecastRow]:
    """Read progress, learn priors from finished recalls, forecast open ones, write the output."""
    rows = forecast_rows(read_progress_csv(Path(input_path)), horizon_days=horizon_days)
    write_forecast_csv(Path(output_path), rows)
    return rows

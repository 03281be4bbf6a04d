"""Run a temporal detector over count series read from CSV, writing one row per period.

Input  `series_id,period,count`: integer periods, one row per period, no gaps or duplicates
within a series (rows of a series need not be sorted or contiguous in the file).
Output `series_id,period,alarm,expected,threshold,score` for every period, in period order;
periods without enough history have empty `expected`/`threshold` when they are not finite.

Every problem in the input is reported with its line number, and nothing is written unless the
whole file is valid, so a regulator never acts on half a run.
"""

import csv
import itertools
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from recall.domain.errors import DomainError
from recall.domain.risk.detectors import Frequency, get_method

REQUIRED = ("series_id", "period", "count")
OUTPUT = ("series_id", "period", "alarm", "expected", "threshold", "score")


class SeriesCsvError(DomainError):
    """The input CSV cannot be read as count series; the message lists each problem."""


@dataclass(frozen=True, slots=True)
class Summary:
    method: str
    series: int
    periods: int
    alarms: int
    alarmed_series: tuple[str, ...]


def _parse_int(text: str | None, field: str, line: int, errors: list[str]) -> int | None:
    try:
        return int((text or "").strip())
    except ValueError:
        errors.append(f"line {line}: {field} {text!r} is not an integer")
        return None


@dataclass(frozen=True, slots=True)
class Series:
    first_period: int
    counts: tuple[int, ...]


def read_series(path: Path) -> dict[str, Series]:
    """Counts per series from its first period on; raises `SeriesCsvError` on any bad row."""
    errors: list[str] = []
    rows: dict[str, dict[int, tuple[int, int]]] = defaultdict(dict)  # period -> (count, line)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise SeriesCsvError(f"line 1: missing column(s): {', '.join(missing)}")
        for line, row in enumerate(reader, start=2):
            _read_row(row, line, rows, errors)
    series = {sid: _contiguous(sid, periods, errors) for sid, periods in rows.items()}
    if errors:
        raise SeriesCsvError("invalid series CSV:\n" + "\n".join(errors))
    return series


def _read_row(
    row: dict[str, str | None],
    line: int,
    rows: dict[str, dict[int, tuple[int, int]]],
    errors: list[str],
) -> None:
    sid = (row.get("series_id") or "").strip()
    if not sid:
        errors.append(f"line {line}: empty series_id")
        return
    period = _parse_int(row.get("period"), "period", line, errors)
    count = _parse_int(row.get("count"), "count", line, errors)
    if period is None or count is None:
        return
    if count < 0:
        errors.append(f"line {line}: count {count} is negative")
    elif period in rows[sid]:
        errors.append(
            f"line {line}: duplicate period {period} for series {sid!r} "
            f"(first on line {rows[sid][period][1]})"
        )
    else:
        rows[sid][period] = (count, line)


def _contiguous(sid: str, periods: dict[int, tuple[int, int]], errors: list[str]) -> Series:
    ordered = sorted(periods)
    for before, after in itertools.pairwise(ordered):
        if after != before + 1:
            errors.append(
                f"line {periods[after][1]}: series {sid!r} jumps from period {before} to "
                f"{after}; periods must be consecutive (write 0 for empty periods)"
            )
    return Series(ordered[0], tuple(periods[p][0] for p in ordered))


def detect_csv(
    input_path: Path | str,
    output_path: Path | str,
    method: str,
    frequency: Frequency = Frequency.WEEKLY,
) -> Summary:
    """Run `method` prospectively over every series in `input_path`; write `output_path`."""
    detector = get_method(method, frequency)
    source = read_series(Path(input_path))
    alarms, alarmed, periods = 0, [], 0
    with Path(output_path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(OUTPUT)
        for sid in sorted(source):
            results = detector.scan(source[sid].counts, 0)
            hits = sum(d.alarm for d in results)
            alarms, periods = alarms + hits, periods + len(results)
            if hits:
                alarmed.append(sid)
            for offset, d in enumerate(results):
                period = source[sid].first_period + offset
                writer.writerow(
                    [sid, period, int(d.alarm), _num(d.expected), _num(d.threshold), _num(d.score)]
                )
    return Summary(method, len(source), periods, alarms, tuple(alarmed))


def _num(value: float) -> str:
    return f"{value:.6g}" if math.isfinite(value) else ""

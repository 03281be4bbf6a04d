"""forecast_csv: round trip, finished-recall detection, and errors with line numbers."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from recall.adapters.progress_csv import ProgressCsvError, forecast_csv, is_finished
from recall.domain.recalls import saturating_rate


def _write(path: Path, rows: list[str], header: str = "recall_id,day,affected,corrected") -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _curve_rows(
    recall_id: str, rate: float, tau: float, days: range, units: int = 10_000
) -> list[str]:
    return [f"{recall_id},{d},{units},{round(units * saturating_rate(d, rate, tau))}" for d in days]


def test_round_trip_learns_from_finished_and_forecasts_open(tmp_path: Path) -> None:
    rows: list[str] = []
    for i, (rate, tau) in enumerate(((0.5, 50), (0.6, 70), (0.7, 90), (0.55, 60))):
        rows += _curve_rows(f"DONE-{i}", rate, tau, range(30, 571, 30))
    rows += _curve_rows("OPEN-1", 0.6, 60, range(30, 91, 30))
    out = tmp_path / "out.csv"
    result = forecast_csv(_write(tmp_path / "in.csv", rows), out)
    by_id = {r.recall_id: r for r in result}
    assert set(by_id) == {"DONE-0", "DONE-1", "DONE-2", "DONE-3", "OPEN-1"}
    assert by_id["DONE-1"].finished
    assert by_id["DONE-1"].method == "observed"
    open_row = by_id["OPEN-1"]
    assert not open_row.finished
    assert open_row.method == "eb-grid"
    assert open_row.final_rate == pytest.approx(0.6, abs=0.02)
    assert open_row.low80 <= open_row.final_rate <= open_row.high80
    with out.open(newline="") as handle:
        written = list(csv.DictReader(handle))
    assert list(written[0]) == ["recall_id", "final_rate", "low80", "high80"]
    assert [w["recall_id"] for w in written] == [r.recall_id for r in result]
    assert float(written[-1]["final_rate"]) == pytest.approx(open_row.final_rate, abs=1e-4)
    assert all(
        0.0 <= float(w[k]) <= 1.0 for w in written for k in ("final_rate", "low80", "high80")
    )


def test_without_finished_recalls_uses_the_flat_fit(tmp_path: Path) -> None:
    rows = _curve_rows("OPEN-1", 0.6, 60, range(30, 91, 30))
    (row,) = forecast_csv(_write(tmp_path / "in.csv", rows), tmp_path / "out.csv")
    assert row.method == "flat-grid"


def test_finished_means_old_or_flattened() -> None:
    assert is_finished([(540.0, 0.5)], 540)
    flat = [(150.0, 0.40), (180.0, 0.500), (210.0, 0.503), (240.0, 0.506), (270.0, 0.509)]
    assert is_finished(flat, 540)
    rising = [*flat[:-1], (270.0, 0.52)]
    assert not is_finished(rising, 540)
    assert not is_finished(flat[:3], 540)  # too few reports to call it flat


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (["A,30,100,10", "A,60,100,8"], "line 3: cumulative corrected decreased from 10 (line 2)"),
        (["A,30,100,101"], "line 2: corrected 101 exceeds affected 100"),
        (["A,30,100,10", "A,20,100,12"], "line 3: day 20 is not after day 30"),
        (["A,30,100,10", "A,60,120,12"], "line 3: affected changed from 100"),
        (["A,x,100,10"], "line 2: day must be a number"),
        (["A,30,100,1.5"], "line 2: corrected must be a whole number"),
        ([",30,100,1"], "line 2: recall_id is empty"),
        (["A,-1,100,1"], "line 2: day must be ≥ 0"),
        (["A,30,0,0"], "line 2: affected must be > 0"),
    ],
)
def test_bad_rows_name_their_line(tmp_path: Path, rows: list[str], expected: str) -> None:
    with pytest.raises(ProgressCsvError) as info:
        forecast_csv(_write(tmp_path / "in.csv", rows), tmp_path / "out.csv")
    assert expected in str(info.value)
    assert not (tmp_path / "out.csv").exists()


def test_all_errors_are_collected(tmp_path: Path) -> None:
    rows = ["A,30,100,101", "B,30,100,10", "B,60,100,5"]
    with pytest.raises(ProgressCsvError) as info:
        forecast_csv(_write(tmp_path / "in.csv", rows), tmp_path / "out.csv")
    assert len(info.value.errors) == 2
    assert "[recall B]" in info.value.errors[1]


def test_missing_columns(tmp_path: Path) -> None:
    path = _write(tmp_path / "in.csv", ["A,30,10"], header="recall_id,day,corrected")
    with pytest.raises(ProgressCsvError, match="line 1: missing column\\(s\\) affected"):
        forecast_csv(path, tmp_path / "out.csv")

"""CSV adapter: validation messages with line numbers, and a full run on a small file."""

import csv
from pathlib import Path

import pytest

from recall.adapters.series_csv import SeriesCsvError, detect_csv, read_series


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_detect_csv_writes_one_row_per_period(tmp_path: Path) -> None:
    rows = ["series_id,period,count"]
    rows += [f"A,{100 + p},{5 if p < 20 else 40}" for p in range(21)]
    rows += [f"B,{p},5" for p in range(21)]
    source = write(tmp_path / "in.csv", "\n".join(rows) + "\n")
    summary = detect_csv(source, tmp_path / "out.csv", "ears_c1")
    with (tmp_path / "out.csv").open(newline="", encoding="utf-8") as handle:
        out = list(csv.DictReader(handle))
    assert summary.series == 2
    assert summary.periods == 42
    assert summary.alarmed_series == ("A",)
    assert list(out[0]) == ["series_id", "period", "alarm", "expected", "threshold", "score"]
    last_a = [r for r in out if r["series_id"] == "A"][-1]
    assert last_a["period"] == "120"
    assert last_a["alarm"] == "1"
    assert out[0]["threshold"] == ""  # no history yet: threshold is infinite, written empty


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("series_id,count\nA,1\n", "line 1: missing column(s): period"),
        ("series_id,period,count\nA,1,x\n", "line 2: count 'x' is not an integer"),
        ("series_id,period,count\nA,1.5,3\n", "line 2: period '1.5' is not an integer"),
        ("series_id,period,count\nA,1,-3\n", "line 2: count -3 is negative"),
        ("series_id,period,count\nA,1,3\nA,1,4\n", "line 3: duplicate period 1"),
        ("series_id,period,count\nA,1,3\nA,3,4\n", "line 3: series 'A' jumps from period 1 to 3"),
    ],
)
def test_invalid_input_is_reported_with_line_numbers(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(SeriesCsvError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_series(write(tmp_path / "bad.csv", text))


def test_nothing_is_written_when_input_is_invalid(tmp_path: Path) -> None:
    source = write(tmp_path / "bad.csv", "series_id,period,count\nA,1,-1\n")
    with pytest.raises(SeriesCsvError):
        detect_csv(source, tmp_path / "out.csv", "ears_c1")
    assert not (tmp_path / "out.csv").exists()

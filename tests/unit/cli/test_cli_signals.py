"""`recall signals …` and `recall bench detection`: CSV in, alarms out, refusals with lines."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from recall.domain.risk.detectors import METHOD_NAMES, STREAM, get_method

from .support import Invoke


def _spike_csv(path: Path) -> Path:
    rows = ["series_id,period,count"]
    rows += [f"kettle,{100 + p},{5 if p < 20 else 40}" for p in range(21)]
    rows += [f"toaster,{p},5" for p in range(21)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_detect_writes_alarms_and_summarises(recall_cli: Invoke, tmp_path: Path) -> None:
    source, out = _spike_csv(tmp_path / "series.csv"), tmp_path / "alarms.csv"
    result = recall_cli(
        "signals", "detect", "--input", str(source), "--output", str(out), "--method", "ears_c1"
    )
    assert result.exit_code == 0, result.output
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 42
    alarms = [(r["series_id"], r["period"]) for r in rows if r["alarm"] == "1"]
    assert ("kettle", "120") in alarms
    assert all(sid == "kettle" for sid, _ in alarms)
    assert "series with alarms (报警序列) 1" in result.output
    assert "kettle" in result.output


def test_detect_reports_every_bad_line_and_writes_nothing(
    recall_cli: Invoke, tmp_path: Path
) -> None:
    source, out = tmp_path / "bad.csv", tmp_path / "alarms.csv"
    source.write_text("series_id,period,count\nA,1,x\nA,2,3\nA,2,4\n", encoding="utf-8")
    result = recall_cli("signals", "detect", "-i", str(source), "-o", str(out), "-m", "ears_c1")
    assert result.exit_code == 1
    assert "line 2: count 'x' is not an integer" in result.output
    assert "line 4: duplicate period 2 for series 'A' (first on line 3)" in result.output
    assert not out.exists()


def test_detect_refuses_unknown_method_and_missing_file(recall_cli: Invoke, tmp_path: Path) -> None:
    source, out = _spike_csv(tmp_path / "series.csv"), tmp_path / "alarms.csv"
    unknown = recall_cli("signals", "detect", "-i", str(source), "-o", str(out), "-m", "magic")
    assert unknown.exit_code == 1
    assert "unknown detection method 'magic'" in unknown.output
    missing = recall_cli("signals", "detect", "-i", str(tmp_path / "no.csv"), "-o", str(out))
    assert missing.exit_code == 1
    assert "cannot read" in missing.output


def test_methods_lists_every_registered_method(recall_cli: Invoke) -> None:
    result = recall_cli("signals", "methods")
    assert result.exit_code == 0, result.output
    for name in METHOD_NAMES:
        assert name in result.output
    assert "improved Farrington (Noufaily et al. 2013)" in result.output


def test_bench_detection_prints_and_writes_json(recall_cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = recall_cli(
        "bench", "detection", "--series", "1", "--seed", "3", "-m", "ears_c1",
        "--workers", "1", "--output", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert [(f["frequency"], f["method"]) for f in figures] == [
        ("weekly", "ears_c1"),
        ("daily", "ears_c1"),
    ]
    assert "FPR @1%" in result.output
    assert result.output.count("ears_c1") == 2


def test_bench_detection_refuses_unknown_method(recall_cli: Invoke) -> None:
    result = recall_cli("bench", "detection", "--series", "1", "-m", "nope")
    assert result.exit_code == 1
    assert "unknown method(s): nope" in result.output


def test_detect_without_a_method_runs_what_the_stream_runs(
    recall_cli: Invoke, tmp_path: Path
) -> None:
    source, out = _spike_csv(tmp_path / "series.csv"), tmp_path / "alarms.csv"
    result = recall_cli("signals", "detect", "-i", str(source), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "— stream" in result.output
    with out.open(newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["series_id"] == "kettle"]
    counts = [5 if p < 20 else 40 for p in range(21)]
    expected = get_method(STREAM).scan(counts, 0)
    assert [r["alarm"] == "1" for r in rows] == [d.alarm for d in expected]
    assert [float(r["score"]) for r in rows] == pytest.approx([d.score for d in expected], abs=1e-5)
    assert rows[-1]["alarm"] == "1", "a new kettle with 40 cases in a week is a signal"

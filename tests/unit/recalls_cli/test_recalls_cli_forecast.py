"""`recall recalls forecast`: CSV in, forecast CSV out; broken input named by line."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.unit.recalls_cli.recalls_cli_support import run, use_database

AFFECTED = 10_000
FINAL, TAU = 0.6, 60.0


def _corrected(day: int) -> int:
    return round(AFFECTED * FINAL * -math.expm1(-day / TAU))


def _progress_csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["recall_id", "day", "affected", "corrected"])
        for n in range(4):  # finished: reports to day 540, exact curves
            for day in range(30, 541, 30):
                out.writerow([f"DONE-{n}", day, AFFECTED, _corrected(day)])
        for day in (30, 60, 90):
            out.writerow(["OPEN-1", day, AFFECTED, _corrected(day)])
    return path


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sessionmaker[Session]:
    return use_database(tmp_path, monkeypatch)


def test_forecast_round_trip(db: sessionmaker[Session], tmp_path: Path) -> None:
    output = tmp_path / "forecast.csv"
    result = run(
        "recalls", "forecast", "--input", str(_progress_csv(tmp_path / "p.csv")), "-o", str(output)
    )
    assert result.exit_code == 0, result.output
    assert "OPEN-1" in result.output
    assert "finished (observed)" in result.output
    rows = {r["recall_id"]: r for r in csv.DictReader(output.open(encoding="utf-8"))}
    assert set(rows) == {"DONE-0", "DONE-1", "DONE-2", "DONE-3", "OPEN-1"}
    observed = _corrected(540) / AFFECTED
    assert float(rows["DONE-0"]["final_rate"]) == pytest.approx(observed, abs=1e-4)
    open_row = {k: float(v) for k, v in rows["OPEN-1"].items() if k != "recall_id"}
    assert open_row["final_rate"] == pytest.approx(observed, abs=0.02)
    assert open_row["low80"] <= observed <= open_row["high80"]


def test_forecast_names_bad_lines_and_writes_nothing(
    db: sessionmaker[Session], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "recall_id,day,affected,corrected\nR-1,30,100,50\nR-1,60,100,40\nR-2,30,100,150\n",
        encoding="utf-8",
    )
    output = tmp_path / "out.csv"
    result = run("recalls", "forecast", "--input", str(bad), "--output", str(output))
    assert result.exit_code == 1
    assert "line 3: cumulative corrected decreased from 50" in result.output
    assert "line 4: corrected 150 exceeds affected 100" in result.output
    assert not output.exists()

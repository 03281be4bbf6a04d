"""`recall risk …`: matrix cells against DESIGN.md §4, probability parsing, intervals."""

from __future__ import annotations

import pytest

from .support import Invoke


@pytest.mark.parametrize(
    ("severity", "probability", "band", "level"),
    [
        ("4", "1/50000", "> 1/100,000", "high (高风险)"),
        ("4", "1/10,000", "> 1/100,000", "high (高风险)"),  # a boundary goes to the lower band
        ("4", "1.2e-4", "> 1/10,000", "serious (严重风险)"),
        ("2", "0.001", "> 1/10,000", "medium (中风险)"),
        ("2", "0.2%", "> 1/1,000", "high (高风险)"),
        ("1", "0.6", "> 50%", "high (高风险)"),
        ("3", "1/1000000", "≤ 1/1,000,000", "low (低风险)"),
    ],
)
def test_matrix_cell(
    recall_cli: Invoke, severity: str, probability: str, band: str, level: str
) -> None:
    result = recall_cli("risk", "matrix", "--severity", severity, "--probability", probability)
    assert result.exit_code == 0, result.output
    assert f"probability band (概率档): {band} " in result.output
    assert f"risk level (风险等级): {level}" in result.output


def test_matrix_table_has_every_row_and_the_serious_cells(recall_cli: Invoke) -> None:
    result = recall_cli("risk", "matrix", "--table")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("│ ")]
    assert len(rows) == 8
    assert rows[0].split("│")[1].strip() == "> 50%"
    assert rows[-1].split("│")[1].strip() == "≤ 1/1,000,000"
    assert result.output.count("serious 严重") == 12  # 3 + 3 + 3 + 2 + 1 cells in DESIGN.md


@pytest.mark.parametrize(
    ("probability", "message"),
    [("abc", "cannot read probability 'abc'"), ("3/2", "outside [0, 1]"), ("1/0", "cannot read")],
)
def test_matrix_refuses_bad_probabilities(
    recall_cli: Invoke, probability: str, message: str
) -> None:
    result = recall_cli("risk", "matrix", "-s", "2", "-p", probability)
    assert result.exit_code == 1
    assert message in result.output


def test_probability_reports_interval_and_spanned_bands(recall_cli: Invoke) -> None:
    result = recall_cli("risk", "probability", "--incidents", "3", "--units", "20000", "-s", "3")
    assert result.exit_code == 0, result.output
    assert "3 / 20,000 = 0.00015 (1 in 6,667)" in result.output
    assert "95% interval (clopper_pearson): 3.09e-05" in result.output
    assert "bands spanned (区间覆盖): > 1/10,000, > 1/100,000  (not settled" in result.output
    assert "within the interval: high (高风险), medium (中风险)" in result.output


def test_probability_refuses_more_incidents_than_units(recall_cli: Invoke) -> None:
    result = recall_cli("risk", "probability", "-n", "5", "-u", "3")
    assert result.exit_code == 1
    assert "incidents 5 must be between 0 and units 3" in result.output

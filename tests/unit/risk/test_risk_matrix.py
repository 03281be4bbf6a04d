"""Every cell of the EU risk matrix (DESIGN.md §4, transcribed from Regulation (EU) 2024/3173)."""

from fractions import Fraction

import pytest

from recall.domain.risk.errors import InvalidInputError
from recall.domain.risk.matrix import (
    ProbabilityBand,
    RiskLevel,
    probability_band,
    risk_level,
    risk_level_for_probability,
)

L, M, H, S = RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH, RiskLevel.SERIOUS

# (a probability inside the band, expected levels for severity 1..4), typed from DESIGN.md §4
ROWS = [
    (0.7, (H, S, S, S)),
    (0.2, (M, S, S, S)),
    (0.02, (M, S, S, S)),
    (0.002, (L, H, S, S)),
    (0.0002, (L, M, H, S)),
    (0.00002, (L, L, M, H)),
    (0.000002, (L, L, L, M)),
    (0.0000002, (L, L, L, L)),
]
CELLS = [(p, sev, levels[sev - 1]) for p, levels in ROWS for sev in (1, 2, 3, 4)]


@pytest.mark.parametrize(("probability", "severity", "expected"), CELLS)
def test_every_cell(probability: float, severity: int, expected: RiskLevel) -> None:
    assert risk_level_for_probability(severity, probability) is expected


def test_there_are_32_cells() -> None:
    assert len(CELLS) == 32


@pytest.mark.parametrize(
    ("probability", "band"),
    [
        (0.5, ProbabilityBand.OVER_1_IN_10),  # exactly 50% is not "> 50%"
        (0.1, ProbabilityBand.OVER_1_IN_100),  # exactly 1/10 goes to the band below
        (Fraction(1, 10), ProbabilityBand.OVER_1_IN_100),
        (Fraction(1, 10) + Fraction(1, 10**9), ProbabilityBand.OVER_1_IN_10),
        (0.001, ProbabilityBand.OVER_1_IN_10K),
        (1e-6, ProbabilityBand.AT_MOST_1_IN_1M),
        (0.0, ProbabilityBand.AT_MOST_1_IN_1M),
        (1.0, ProbabilityBand.OVER_HALF),
    ],
)
def test_boundaries_belong_to_the_lower_band(probability: float, band: ProbabilityBand) -> None:
    assert probability_band(probability) is band


def test_float_three_in_thirty_is_exactly_one_tenth() -> None:
    assert probability_band(3 / 30) is ProbabilityBand.OVER_1_IN_100


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_probability_out_of_range_is_refused(bad: float) -> None:
    with pytest.raises(InvalidInputError):
        probability_band(bad)


@pytest.mark.parametrize("severity", [0, 5])
def test_severity_out_of_scale_is_refused(severity: int) -> None:
    with pytest.raises(InvalidInputError):
        risk_level(severity, ProbabilityBand.OVER_HALF)


def test_band_labels() -> None:
    assert ProbabilityBand.OVER_1_IN_1K.label == "> 1/1,000"
    assert ProbabilityBand.AT_MOST_1_IN_1M.label == "≤ 1/1,000,000"

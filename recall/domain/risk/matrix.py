"""The EU Safety Gate risk matrix (Regulation (EU) 2024/3173, carrying on RAG 2019/417).

Rows are bands of the probability that the injury scenario happens over the product's lifetime;
columns are severities 1–4. Every cell is spelled out in `_MATRIX` so it can be checked against
the published table line by line.

Boundary rule: a band labelled "> x" means strictly greater than x. A probability exactly equal to
a boundary belongs to the band BELOW it: exactly 1/10 is in "> 1/100", exactly 1/2 is in
"> 1/10", exactly 1/1,000,000 is in "≤ 1/1,000,000". This is the literal reading of the "> x"
labels and errs towards the lower risk only on a set of probability zero; exact arithmetic
(`fractions.Fraction`) is used so that 1 incident in 10 units is *exactly* 1/10.
"""

from enum import IntEnum
from fractions import Fraction

from recall.domain.risk.errors import InvalidInputError
from recall.domain.vocabulary import RiskLevel

__all__ = [
    "ProbabilityBand",
    "RiskLevel",  # re-exported: the level the matrix answers in
    "probability_band",
    "risk_level",
    "risk_level_for_probability",
]


class ProbabilityBand(IntEnum):
    """Row of the matrix; the value is the row index (0 = most probable)."""

    OVER_HALF = 0
    OVER_1_IN_10 = 1
    OVER_1_IN_100 = 2
    OVER_1_IN_1K = 3
    OVER_1_IN_10K = 4
    OVER_1_IN_100K = 5
    OVER_1_IN_1M = 6
    AT_MOST_1_IN_1M = 7

    @property
    def label(self) -> str:
        return _LABELS[self]


_LOWER_BOUNDS: tuple[tuple[ProbabilityBand, Fraction], ...] = (
    (ProbabilityBand.OVER_HALF, Fraction(1, 2)),
    (ProbabilityBand.OVER_1_IN_10, Fraction(1, 10)),
    (ProbabilityBand.OVER_1_IN_100, Fraction(1, 100)),
    (ProbabilityBand.OVER_1_IN_1K, Fraction(1, 1_000)),
    (ProbabilityBand.OVER_1_IN_10K, Fraction(1, 10_000)),
    (ProbabilityBand.OVER_1_IN_100K, Fraction(1, 100_000)),
    (ProbabilityBand.OVER_1_IN_1M, Fraction(1, 1_000_000)),
)

_LABELS = {
    ProbabilityBand.OVER_HALF: "> 50%",
    ProbabilityBand.OVER_1_IN_10: "> 1/10",
    ProbabilityBand.OVER_1_IN_100: "> 1/100",
    ProbabilityBand.OVER_1_IN_1K: "> 1/1,000",
    ProbabilityBand.OVER_1_IN_10K: "> 1/10,000",
    ProbabilityBand.OVER_1_IN_100K: "> 1/100,000",
    ProbabilityBand.OVER_1_IN_1M: "> 1/1,000,000",
    ProbabilityBand.AT_MOST_1_IN_1M: "≤ 1/1,000,000",
}

L, M, H, S = RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH, RiskLevel.SERIOUS

# Rows in band order; columns severity 1, 2, 3, 4 (DESIGN.md §4).
_MATRIX: tuple[tuple[RiskLevel, RiskLevel, RiskLevel, RiskLevel], ...] = (
    (H, S, S, S),  # > 50%
    (M, S, S, S),  # > 1/10
    (M, S, S, S),  # > 1/100
    (L, H, S, S),  # > 1/1,000
    (L, M, H, S),  # > 1/10,000
    (L, L, M, H),  # > 1/100,000
    (L, L, L, M),  # > 1/1,000,000
    (L, L, L, L),  # ≤ 1/1,000,000
)


def _exact(probability: float | Fraction) -> Fraction:
    """Exact value of a probability; floats are read as the nearest simple fraction.

    `Fraction(0.1)` is slightly above 1/10 because of binary floating point; limiting the
    denominator to 10**12 recovers 1/10, so a float boundary lands where the rule says.
    """
    value = probability if isinstance(probability, Fraction) else Fraction(probability)
    if not isinstance(probability, Fraction):
        value = value.limit_denominator(10**12)
    if not 0 <= value <= 1:
        raise InvalidInputError(f"probability {probability} is outside [0, 1]")
    return value


def probability_band(probability: float | Fraction) -> ProbabilityBand:
    """Matrix row for a lifetime probability (boundaries go to the lower band)."""
    value = _exact(probability)
    for band, lower in _LOWER_BOUNDS:
        if value > lower:
            return band
    return ProbabilityBand.AT_MOST_1_IN_1M


def risk_level(severity: int, band: ProbabilityBand) -> RiskLevel:
    """Matrix cell for a severity 1–4 and a probability band."""
    if severity not in (1, 2, 3, 4):
        raise InvalidInputError(f"severity {severity} is not on the 1–4 scale")
    return _MATRIX[band][severity - 1]


def risk_level_for_probability(severity: int, probability: float | Fraction) -> RiskLevel:
    return risk_level(severity, probability_band(probability))

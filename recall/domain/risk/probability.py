"""Probability of the injury scenario estimated from incidents per units in use.

The EU method asks for the probability over a product's lifetime; the data give `incidents`
among `units` in use. Treating each unit as a Bernoulli trial, the point estimate is x/n and the
uncertainty is a binomial confidence interval. Exact Clopper–Pearson is the default because it
never undercovers (a regulator would rather over- than understate uncertainty); Wilson is offered
for its shorter intervals. The bands the interval spans tell whether the matrix cell is settled
or could move with more data.
"""

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from math import sqrt

from scipy.stats import beta, norm

from recall.domain.risk.errors import InvalidInputError
from recall.domain.risk.matrix import ProbabilityBand, probability_band


class IntervalMethod(StrEnum):
    CLOPPER_PEARSON = "clopper_pearson"
    WILSON = "wilson"


@dataclass(frozen=True, slots=True)
class ProbabilityEstimate:
    incidents: int
    units: int
    point: float
    lower: float
    upper: float
    confidence: float
    method: IntervalMethod
    band: ProbabilityBand
    band_lower: ProbabilityBand  # band of the lower bound (least probable row)
    band_upper: ProbabilityBand  # band of the upper bound (most probable row)

    @property
    def bands_spanned(self) -> tuple[ProbabilityBand, ...]:
        """Every matrix row the interval touches, most probable first."""
        return tuple(ProbabilityBand(i) for i in range(self.band_upper, self.band_lower + 1))


def clopper_pearson(incidents: int, units: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact binomial interval from beta quantiles (Clopper & Pearson 1934)."""
    _check(incidents, units, confidence)
    tail = (1 - confidence) / 2
    lower = 0.0 if incidents == 0 else float(beta.ppf(tail, incidents, units - incidents + 1))
    if incidents == units:
        return lower, 1.0
    upper = float(beta.ppf(1 - tail, incidents + 1, units - incidents))
    return lower, upper


def wilson(incidents: int, units: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval (Wilson 1927)."""
    _check(incidents, units, confidence)
    z = float(norm.ppf(1 - (1 - confidence) / 2))
    p = incidents / units
    denom = 1 + z * z / units
    centre = (p + z * z / (2 * units)) / denom
    half = z * sqrt(p * (1 - p) / units + z * z / (4 * units * units)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def estimate_probability(
    incidents: int,
    units: int,
    confidence: float = 0.95,
    method: IntervalMethod = IntervalMethod.CLOPPER_PEARSON,
) -> ProbabilityEstimate:
    """Point estimate, interval and the matrix bands they fall in."""
    interval = clopper_pearson if method is IntervalMethod.CLOPPER_PEARSON else wilson
    lower, upper = interval(incidents, units, confidence)
    return ProbabilityEstimate(
        incidents=incidents,
        units=units,
        point=incidents / units,
        lower=lower,
        upper=upper,
        confidence=confidence,
        method=method,
        band=probability_band(Fraction(incidents, units)),
        band_lower=probability_band(lower),
        band_upper=probability_band(upper),
    )


def _check(incidents: int, units: int, confidence: float) -> None:
    if units <= 0:
        raise InvalidInputError(f"units in use must be positive, got {units}")
    if not 0 <= incidents <= units:
        raise InvalidInputError(f"incidents {incidents} must be between 0 and units {units}")
    if not 0 < confidence < 1:
        raise InvalidInputError(f"confidence {confidence} must be strictly between 0 and 1")

"""The spread of one figure over a benchmark's runs: the brief asks for the spread of at least
three runs, not the best, and every benchmark that repeats reports it the same way."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Spread", "spread"]


@dataclass(frozen=True, slots=True)
class Spread:
    """min / median / max of one figure over the runs."""

    low: float
    median: float
    high: float


def spread(values: Sequence[float]) -> Spread:
    """min / median / max; no runs gives NaNs (printed as such), not an error."""
    if not values:
        nan = float("nan")
        return Spread(nan, nan, nan)
    return Spread(min(values), statistics.median(values), max(values))

"""What every temporal detector returns, and the contract it keeps.

Contract (checked by the tests for every registered method): `detect(counts, t, params)` judges
period `t` using only `counts[0..t]` (prospective: changing `counts[t+1:]` cannot change the
answer). `threshold` is in count units — the upper bound: a count at period `t` above it
alarms (given the same history). `score` is the method's own statistic, larger meaning more
alarming; the alarm is raised when it passes the method's critical value (EARS: C > 3; p-value
methods: -log10 p >= -log10 alpha). The benchmark recalibrates every method by moving that
critical value. Periods without enough history give a "no decision": `alarm=False`,
`score=0.0`, `threshold=inf`, `expected` = mean of what exists.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

from recall.domain.risk.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class Detection:
    alarm: bool
    expected: float
    threshold: float
    score: float


class Frequency(StrEnum):
    WEEKLY = "weekly"
    DAILY = "daily"


P_contra = TypeVar("P_contra", contravariant=True)


class Detector(Protocol[P_contra]):
    """A prospective detector: judges period t from counts[0..t] only."""

    def __call__(self, counts: Sequence[int], t: int, params: P_contra, /) -> Detection: ...


def check_period(counts: Sequence[int], t: int) -> None:
    if not 0 <= t < len(counts):
        raise InvalidInputError(f"period {t} is outside the series (length {len(counts)})")


def no_decision(history: Sequence[int]) -> Detection:
    """Result for a period whose history is too short for the method."""
    expected = sum(history) / len(history) if history else 0.0
    return Detection(alarm=False, expected=expected, threshold=math.inf, score=0.0)

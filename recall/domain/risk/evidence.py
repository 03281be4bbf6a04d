"""The evidence about one product that the live score fuses, as plain values.

Why a module of its own: three parts of the system produce evidence at different cadences —
the temporal detector on every case (`recall.domain.risk.detectors.streamed`), the
category-wide disproportionality on a periodic job, purchase sampling on every lab result — and
the score (`recall.domain.risk.score`) must read them without knowing where they came from.
These are the shapes they meet in; nothing here computes.
"""

from __future__ import annotations

from dataclasses import dataclass

from recall.domain.risk.detectors.base import Detection


@dataclass(frozen=True, slots=True)
class TemporalEvidence:
    """The latest judgement of one product x hazard series by the streamed detector.

    `detector` names the rung of the cold-start ladder that judged it (`cold_start`,
    `live_nb`, `harmonic_nb`); `frequency` is `daily` or `weekly`; `period` is the ISO date of
    the day, or of the Monday of the week, judged; `observed` is the count judged.
    """

    hazard: str
    frequency: str
    detector: str
    period: str
    observed: int
    detection: Detection


@dataclass(frozen=True, slots=True)
class DisproportionalityEvidence:
    """One product x hazard pair against its category over a recent window (PRR, ROR, IC).

    `criteria_met` counts the criteria of `recall.domain.risk.disproportionality` met (Evans
    PRR rule, ROR lower bound > 1, IC025 > 0), 0–3; `a` is the pair's count and `expected` its
    count under independence.
    """

    hazard: str
    a: int
    expected: float
    prr: float
    chi2_yates: float
    ror_lower: float
    ic025: float
    criteria_met: int
    window_days: int

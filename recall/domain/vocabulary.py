"""Vocabularies every loop stage shares, defined once for the whole domain.

The wire contract (`schemas`) declares the same vocabularies for integrators and imports
nothing from here; `tests/unit/test_vocabulary.py` fails the moment the two drift apart.
"""

from __future__ import annotations

from enum import StrEnum


class RiskLevel(StrEnum):
    """EU Safety Gate risk levels (Delegated Regulation 2024/3173, DESIGN.md §4)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    SERIOUS = "serious"

    @property
    def rank(self) -> int:
        """0 (low) to 3 (serious): string values do not sort by severity, ranks do."""
        return _RISK_RANK[self]


_RISK_RANK = {RiskLevel.LOW: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2, RiskLevel.SERIOUS: 3}

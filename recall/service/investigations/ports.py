"""What the investigation stage needs from storage."""

from __future__ import annotations

from typing import Protocol


class InvestigationRepository(Protocol):
    """Investigations and the expert pool of one transaction (filled in by that stage)."""

"""What the intake stage needs from storage."""

from __future__ import annotations

from typing import Protocol


class IntakeRepository(Protocol):
    """Events, duplicates and dead letters of one transaction (filled in by the intake work)."""

"""What the recall stage needs from storage."""

from __future__ import annotations

from typing import Protocol


class RecallRepository(Protocol):
    """Recalls, their reports and incidents of one transaction (filled in by that stage)."""

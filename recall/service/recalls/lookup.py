"""Loading a recall for a command or a query, and timing the next step of its lifecycle."""

from __future__ import annotations

from datetime import datetime

from recall.domain.recalls import Recall
from recall.service.recalls.ports import LoadedRecall, RecallRepository


class RecallNotFoundError(LookupError):
    """No recall with this id in the system of record."""


def require(recalls: RecallRepository, recall_id: str) -> LoadedRecall:
    loaded = recalls.get(recall_id)
    if loaded is None:
        raise RecallNotFoundError(f"no recall {recall_id!r} (召回编号不存在)")
    return loaded


def after_last(recall: Recall, now: datetime) -> datetime:
    """`now`, or the last step's time if a clock behind it would put a step before it."""
    return max(now, recall.history[-1].when)

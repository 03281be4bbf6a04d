"""What the public feed reads: published notices, in pages or the latest few.

A recall is *published* once its notice was accepted by the intake: the recall register holds a
row only for such recalls, so every row is public — and only the notice's public fields, the
register's state and the firm's registered name ever leave through this port.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from recall.service.paging import Page, PageRequest

SORTS = ("start", "updated_at")


@dataclass(frozen=True, slots=True)
class PublishedNotice:
    """The public fields of one recall notice."""

    recall_id: str
    title: str
    brand: str
    model: str
    gtin: str | None
    batches: tuple[str, ...]
    category: str
    hazard: str
    risk_level: str
    remedies: tuple[str, ...]
    firm_name: str | None
    firm_credit_code: str
    region: str
    start: datetime
    state: str
    updated_at: datetime


class PublicNotices(Protocol):
    def notice_page(self, request: PageRequest) -> Page[PublishedNotice]:
        """Notices ordered by `request.sort` (one of `SORTS`), then recall id."""
        ...

    def notice(self, recall_id: str) -> PublishedNotice | None:
        """One notice, None when no such recall was published."""
        ...

    def last_change(self) -> datetime | None:
        """When any published notice last changed (None: nothing published yet)."""
        ...

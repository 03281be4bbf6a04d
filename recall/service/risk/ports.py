"""What the risk stage reads from the system of record.

The disproportionality report needs the whole category's injury counts over a window the
reader chooses, so it reads them from storage rather than from the stream. The store groups
the reports (only distinct combinations cross the wire); the service maps each combination to
its hazard with the domain's rule. Adapters implement the port
(`recall.adapters.db.event_counts.SqlInjuryCounts`; an in-memory fake in the unit tests).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class InjuryCodeCount:
    """How many injury reports share a category, product, mechanism and injury nature.

    The codes are as the reports stated them; None when a report left one out (it is then
    counted as skipped, never guessed).
    """

    category: str | None
    product_key: str
    mechanism: str | None
    nature: str | None
    reports: int


class InjuryCounts(Protocol):
    def injury_codes(
        self,
        *,
        since: datetime,
        category: str | None = None,
        jurisdiction_prefix: str | None = None,
    ) -> Iterable[InjuryCodeCount]:
        """Injury reports naming a product that occurred at or after `since`, grouped by
        (category, product, mechanism, nature); only `category` if given, only jurisdictions
        starting with `jurisdiction_prefix` if given (the caller derives it from a scope).

        Each combination appears once. The result may be consumed lazily, once.
        """
        ...

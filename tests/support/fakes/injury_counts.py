"""An in-memory `InjuryCounts`: injury reports kept one by one, grouped on request.

It also records every request, so a test can see the window, category and jurisdiction prefix
the service asked for (the SQL adapter is held to the same filters by the CLI's SQLite test).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from recall.service.risk.ports import InjuryCodeCount


@dataclass(frozen=True, slots=True)
class InjuryReportFact:
    product_key: str
    category: str | None
    mechanism: str | None
    nature: str | None
    jurisdiction: str
    occurred_at: datetime


@dataclass
class MemoryInjuryCounts:
    reports: list[InjuryReportFact] = field(default_factory=list)
    requests: list[tuple[datetime, str | None, str | None]] = field(default_factory=list)

    def add(self, fact: InjuryReportFact, times: int = 1) -> None:
        self.reports.extend([fact] * times)

    def injury_codes(
        self,
        *,
        since: datetime,
        category: str | None = None,
        jurisdiction_prefix: str | None = None,
    ) -> list[InjuryCodeCount]:
        self.requests.append((since, category, jurisdiction_prefix))
        groups = Counter(
            (r.category, r.product_key, r.mechanism, r.nature)
            for r in self.reports
            if r.occurred_at >= since
            and (category is None or r.category == category)
            and (jurisdiction_prefix is None or r.jurisdiction.startswith(jurisdiction_prefix))
        )
        return [InjuryCodeCount(*key, reports=n) for key, n in groups.items()]

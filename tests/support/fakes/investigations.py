"""An in-memory `InvestigationRepository` for the services' unit tests.

Plain data (dicts of frozen domain values), so `MemoryStorage` can deep-copy it per
transaction. It keeps the same promises as the SQL repository: the version check on save,
append-only evidence and audit, newest-first listings, the expert registry.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from recall.domain.experts import Expert
from recall.domain.investigations import Investigation, InvestigationState
from recall.service.investigations.ports import (
    ConcurrentUpdateError,
    InvestigationSummary,
    PanelRecord,
)

_OPEN = (InvestigationState.OPENED, InvestigationState.ASSIGNED)


class SaveFailures:
    """Errors still to raise; shared by every copy, since a raised one must stay consumed
    although the transaction that met it is rolled back."""

    def __init__(self) -> None:
        self.pending: list[BaseException] = []

    def __deepcopy__(self, memo: dict[int, object]) -> SaveFailures:
        return self


@dataclass
class MemoryInvestigationRepository:
    investigations: dict[str, Investigation] = field(default_factory=dict)
    trigger_sent_at: dict[str, datetime | None] = field(default_factory=dict)
    registry: dict[str, Expert] = field(default_factory=dict)
    saves: int = 0
    failures: SaveFailures = field(default_factory=SaveFailures)
    homes: dict[str, str] = field(default_factory=dict)
    panel_records: list[PanelRecord] = field(default_factory=list)

    def fail_next_save(self, *errors: BaseException) -> None:
        """The next saves raise these, in order: a connection lost mid-transaction."""
        self.failures.pending.extend(errors)

    @classmethod
    def with_experts(cls, experts: Iterable[Expert]) -> MemoryInvestigationRepository:
        return cls(registry={e.expert_id: e for e in experts})

    def get(self, investigation_id: str) -> Investigation | None:
        return self.investigations.get(investigation_id)

    def latest_for(self, product_key: str, hazard: str) -> Investigation | None:
        found = [
            inv
            for inv in self.investigations.values()
            if (inv.product_key, inv.hazard) == (product_key, hazard)
        ]
        return max(found, key=lambda inv: inv.seq, default=None)

    def save(
        self,
        investigation: Investigation,
        *,
        previous_version: int | None,
        trigger_sent_at: datetime | None = None,
    ) -> None:
        if self.failures.pending:
            raise self.failures.pending.pop(0)
        key = investigation.investigation_id
        stored = self.investigations.get(key)
        if previous_version is None:
            if stored is not None:
                raise ConcurrentUpdateError(key)
            self.trigger_sent_at[key] = trigger_sent_at
        elif stored is None or len(stored.audit) != previous_version:
            raise ConcurrentUpdateError(key)
        else:
            _check_append_only(stored, investigation)
        self.investigations[key] = investigation
        self.saves += 1

    def summaries(
        self,
        *,
        jurisdiction_prefix: str | None,
        states: Collection[InvestigationState],
        limit: int,
    ) -> list[InvestigationSummary]:
        chosen = [
            inv
            for inv in self.investigations.values()
            if (not states or inv.state in states)
            and (
                not jurisdiction_prefix or (inv.jurisdiction or "").startswith(jurisdiction_prefix)
            )
        ]
        chosen.sort(key=lambda inv: inv.audit[-1].at, reverse=True)
        return [_summary(inv) for inv in chosen[:limit]]

    def experts(self) -> list[Expert]:
        return [self.registry[k] for k in sorted(self.registry)]

    def open_panels(self) -> dict[str, tuple[str, ...]]:
        return {
            key: inv.expert_ids for key, inv in self.investigations.items() if inv.state in _OPEN
        }

    def manufacturer_home(self, credit_code: str) -> str | None:
        return self.homes.get(credit_code)

    def record_panel(self, record: PanelRecord) -> None:
        self.panel_records.append(record)

    def panels(self, investigation_id: str) -> list[PanelRecord]:
        return [r for r in self.panel_records if r.investigation_id == investigation_id]


def _check_append_only(stored: Investigation, new: Investigation) -> None:
    """What SQL enforces by inserting children only: stored history is never rewritten."""
    if (
        new.audit[: len(stored.audit)] != stored.audit
        or new.evidence[: len(stored.evidence)] != stored.evidence
    ):
        raise AssertionError(f"{stored.investigation_id}: stored history rewritten")


def _summary(inv: Investigation) -> InvestigationSummary:
    return InvestigationSummary(
        investigation_id=inv.investigation_id,
        product_key=inv.product_key,
        hazard=inv.hazard,
        state=inv.state,
        decision=inv.decision,
        jurisdiction=inv.jurisdiction,
        expert_ids=inv.expert_ids,
        updated_at=inv.audit[-1].at,
    )

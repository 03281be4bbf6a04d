"""An in-memory `RecallRepository` for the services' unit tests.

Plain data (dicts of frozen domain values), so `MemoryStorage` can deep-copy it per
transaction. It keeps the SQL repository's promises: the version check on save (history
length and state), append-only history, incidents noted once per recall, newest-first heads.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from recall.domain.recalls import (
    Incident,
    ProgressReport,
    Recall,
    RecallSpec,
    RecallState,
    RecallTransition,
    Verdict,
)
from recall.service.recalls.ports import (
    ConcurrentRecallUpdateError,
    LoadedRecall,
    NewRecall,
    ProductFacts,
    RecallHead,
    RecallIncident,
    StoredReport,
)
from schemas.recalls import EffectivenessFigures

ACTIVE = (RecallState.ANNOUNCED, RecallState.IN_PROGRESS, RecallState.LAGGING)
FINISHED = (RecallState.COMPLETED, RecallState.EVALUATED, RecallState.CLOSED)

Interference = Callable[["MemoryRecallRepository", str], None]


class Meddling:
    """What happens behind the service's back: errors for the next saves, and writes that
    land between a load and the save (another worker or person). Shared by every copy, since
    what happened once stays happened although the transaction that met it is rolled back."""

    def __init__(self) -> None:
        self.save_errors: list[BaseException] = []
        self.after_get: list[Interference] = []

    def __deepcopy__(self, memo: dict[int, object]) -> Meddling:
        return self


@dataclass
class StoredRecall:
    spec: RecallSpec
    history: tuple[RecallTransition, ...]
    verdict: Verdict | None
    jurisdiction: str
    hazard: str
    notice: dict[str, Any]
    notice_event_id: str
    updated_at: datetime
    sent_keys: frozenset[str] = frozenset()
    effectiveness: EffectivenessFigures | None = None

    @property
    def state(self) -> RecallState:
        return self.history[-1].to_state


@dataclass
class MemoryRecallRepository:
    recalls: dict[str, StoredRecall] = field(default_factory=dict)
    reports: dict[tuple[str, int], StoredReport] = field(default_factory=dict)
    noted: dict[tuple[str, str], RecallIncident] = field(default_factory=dict)
    accepted_incidents: list[Incident] = field(default_factory=list)  # the intake's events
    products: dict[str, ProductFacts] = field(default_factory=dict)
    firms: dict[str, str] = field(default_factory=dict)  # manufacturer code → station id
    saves: int = 0
    meddling: Meddling = field(default_factory=Meddling)

    def fail_next_save(self, *errors: BaseException) -> None:
        """The next saves raise these, in order: a connection lost mid-transaction."""
        self.meddling.save_errors.extend(errors)

    def after_next_get(self, interference: Interference) -> None:
        """Run `interference` right after the next `get`: a write that wins the race."""
        self.meddling.after_get.append(interference)

    # --- the aggregate -----------------------------------------------------------------------

    def get(self, recall_id: str) -> LoadedRecall | None:
        stored = self.recalls.get(recall_id)
        if stored is None:
            return None
        loaded = self._loaded(stored)
        if self.meddling.after_get:
            self.meddling.after_get.pop(0)(self, recall_id)
        return loaded

    def add(self, new: NewRecall) -> None:
        spec = new.recall.spec
        self.recalls[spec.recall_id] = StoredRecall(
            spec=spec,
            history=new.recall.history,
            verdict=None,
            jurisdiction=new.jurisdiction,
            hazard=new.hazard,
            notice=dict(new.notice),
            notice_event_id=new.notice_event_id,
            updated_at=new.created_at,
        )

    def save(
        self,
        loaded: LoadedRecall,
        *,
        at: datetime,
        effectiveness: EffectivenessFigures | None = None,
    ) -> None:
        if self.meddling.save_errors:
            raise self.meddling.save_errors.pop(0)
        recall = loaded.recall
        stored = self.recalls[recall.recall_id]
        loaded_state = recall.history[loaded.version - 1].to_state
        if len(stored.history) != loaded.version or stored.state is not loaded_state:
            raise ConcurrentRecallUpdateError(f"recall {recall.recall_id} changed meanwhile")
        stored.history = recall.history
        stored.verdict = recall.verdict or stored.verdict
        stored.updated_at = at
        if effectiveness is not None:
            stored.effectiveness = effectiveness
        self.saves += 1

    def mark_sent(self, recall_id: str, sent_keys: Collection[str]) -> None:
        self.recalls[recall_id].sent_keys = frozenset(sent_keys)

    def active(self) -> list[LoadedRecall]:
        return [self._loaded(s) for _, s in sorted(self.recalls.items()) if s.state in ACTIVE]

    def finished(self, category: str, *, exclude: str) -> list[LoadedRecall]:
        return [
            self._loaded(s)
            for recall_id, s in sorted(self.recalls.items())
            if s.spec.category == category and s.state in FINISHED and recall_id != exclude
        ]

    def heads(
        self, *, jurisdiction_prefix: str | None, states: Sequence[str], limit: int
    ) -> list[RecallHead]:
        found = [
            s
            for s in self.recalls.values()
            if s.jurisdiction.startswith(jurisdiction_prefix or "")
            and (not states or s.state in states)
        ]
        found.sort(key=lambda s: s.updated_at, reverse=True)
        return [_head(s) for s in found[:limit]]

    # --- intake: notices, reports, incidents -------------------------------------------------

    def notice_event_id(self, recall_id: str) -> str | None:
        stored = self.recalls.get(recall_id)
        return stored.notice_event_id if stored else None

    def spec(self, recall_id: str) -> RecallSpec | None:
        stored = self.recalls.get(recall_id)
        return stored.spec if stored else None

    def report_event_id(self, recall_id: str, sequence: int) -> str | None:
        stored = self.reports.get((recall_id, sequence))
        return stored.event_id if stored else None

    def latest_report(self, recall_id: str) -> ProgressReport | None:
        reports = self._reports(recall_id)
        return reports[-1].report if reports else None

    def add_report(self, stored: StoredReport) -> None:
        key = (stored.report.recall_id, stored.report.sequence)
        if key in self.reports:
            raise ValueError(f"report {key} already stored")  # the SQL primary key refuses it
        self.reports[key] = stored

    def specs_for_products(self, product_keys: Collection[str]) -> list[RecallSpec]:
        return [
            s.spec for _, s in sorted(self.recalls.items()) if s.spec.product_key in product_keys
        ]

    def stored_incidents(self, product_key: str) -> list[Incident]:
        return [i for i in self.accepted_incidents if i.product_key == product_key]

    def add_incidents(self, incidents: Sequence[RecallIncident]) -> None:
        for noted in incidents:
            self.noted.setdefault((noted.recall_id, noted.incident.incident_id), noted)

    def incidents(self, recall_id: str) -> list[RecallIncident]:
        found = [n for (rid, _), n in self.noted.items() if rid == recall_id]
        return sorted(found, key=lambda n: (n.incident.occurred_at, n.incident.incident_id))

    # --- registry lookups --------------------------------------------------------------------

    def product(self, product_key: str) -> ProductFacts | None:
        return self.products.get(product_key)

    def firm_of(self, manufacturer_code: str) -> str | None:
        return self.firms.get(manufacturer_code)

    # --- helpers -----------------------------------------------------------------------------

    def _reports(self, recall_id: str) -> list[StoredReport]:
        found = [r for (rid, _), r in self.reports.items() if rid == recall_id]
        return sorted(found, key=lambda r: r.report.sequence)

    def _loaded(self, stored: StoredRecall) -> LoadedRecall:
        reports = self._reports(stored.spec.recall_id)
        return LoadedRecall(
            recall=Recall.restore(stored.spec, list(stored.history), stored.verdict),
            reports=[r.report for r in reports],
            refused=any(r.refused for r in reports),
            jurisdiction=stored.jurisdiction,
            hazard=stored.hazard,
            sent_keys=stored.sent_keys,
            effectiveness=stored.effectiveness,
            updated_at=stored.updated_at,
            version=len(stored.history),
        )


def _head(stored: StoredRecall) -> RecallHead:
    return RecallHead(
        recall_id=stored.spec.recall_id,
        kind=stored.spec.kind.value,
        state=stored.state,
        verdict=stored.verdict.value if stored.verdict else None,
        jurisdiction=stored.jurisdiction,
        category=stored.spec.category,
        target_rate=stored.spec.target_rate,
        effectiveness=stored.effectiveness,
        updated_at=stored.updated_at,
    )

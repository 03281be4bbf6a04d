"""What the recall stage needs from storage: the `RecallRepository` and the values it trades in.

The repository speaks the domain's language (`Recall`, `ProgressReport`, `Incident`) and the
contract's (`EffectivenessFigures`); rows stay in the adapter
(`recall.adapters.db.recall_store`). A recall's version is the length of its stored history,
as an investigation's is its audit length: `save` refuses to overwrite a recall whose history
grew since it was loaded (`ConcurrentRecallUpdateError`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from recall.domain.recalls import Incident, ProgressReport, Recall, RecallSpec, RecallState
from schemas.recalls import EffectivenessFigures


class ConcurrentRecallUpdateError(RuntimeError):
    """Someone else changed the recall since it was loaded; reload and decide again."""


@dataclass(slots=True)
class LoadedRecall:
    """A recall as stored: the aggregate (with its verdict), its reports and bookkeeping.

    `version` is the number of stored transitions when loaded; the service moves `recall`
    through its lifecycle and hands the whole back to `RecallRepository.save`.
    """

    recall: Recall
    reports: list[ProgressReport]
    refused: bool  # a report said the firm declines to continue
    jurisdiction: str
    hazard: str
    sent_keys: frozenset[str]  # overdue notices and referrals already announced
    effectiveness: EffectivenessFigures | None
    updated_at: datetime
    version: int

    @property
    def recall_id(self) -> str:
        return self.recall.recall_id

    @property
    def spec(self) -> RecallSpec:
        return self.recall.spec


@dataclass(frozen=True, slots=True)
class NewRecall:
    """A recall to register: its creation step is `recall.history[0]`.

    `notice` is the notice document as received (or as the regulator's order wrote it); the
    register keeps it so the recall can always be shown as it was announced.
    """

    recall: Recall
    jurisdiction: str
    hazard: str
    notice: Mapping[str, Any]
    notice_event_id: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredReport:
    report: ProgressReport
    event_id: str
    refused: bool


@dataclass(frozen=True, slots=True)
class RecallIncident:
    """An injury or failed sample involving a recalled product, as noted for that recall."""

    recall_id: str
    incident: Incident
    after_start: bool


@dataclass(frozen=True, slots=True)
class RecallHead:
    """One line of the register: enough to list recalls without rebuilding them."""

    recall_id: str
    kind: str
    state: RecallState
    verdict: str | None
    jurisdiction: str
    category: str
    target_rate: float
    effectiveness: EffectivenessFigures | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ProductFacts:
    """What the registry knows of a product, for a regulator's order."""

    kind: str
    brand: str
    model: str
    units_in_use: int | None


class RecallRepository(Protocol):
    """Recalls, their reports and incidents within one unit of work."""

    # --- the aggregate -----------------------------------------------------------------------

    def get(self, recall_id: str) -> LoadedRecall | None: ...

    def add(self, new: NewRecall) -> None:
        """Register a new recall with its creation step."""

    def save(
        self,
        loaded: LoadedRecall,
        *,
        at: datetime,
        effectiveness: EffectivenessFigures | None = None,
    ) -> None:
        """Append the steps taken since loading; write state, verdict, `at` and figures.

        Raises `ConcurrentRecallUpdateError` if the stored history is no longer `version` long.
        """

    def mark_sent(self, recall_id: str, sent_keys: Collection[str]) -> None:
        """Record which overdue notices and referrals were announced (they only ever grow)."""

    def active(self) -> list[LoadedRecall]:
        """Recalls that expect progress reports: announced, in progress or lagging."""

    def finished(self, category: str, *, exclude: str) -> list[LoadedRecall]:
        """Completed, evaluated or closed recalls of a category, but `exclude`."""

    def heads(
        self, *, jurisdiction_prefix: str | None, states: Sequence[str], limit: int
    ) -> list[RecallHead]:
        """Most recently updated first, within a jurisdiction prefix and states (all if empty)."""

    # --- intake: notices, reports, incidents -------------------------------------------------

    def notice_event_id(self, recall_id: str) -> str | None:
        """The event that announced the recall; None when there is no such recall."""

    def spec(self, recall_id: str) -> RecallSpec | None: ...

    def report_event_id(self, recall_id: str, sequence: int) -> str | None: ...

    def latest_report(self, recall_id: str) -> ProgressReport | None: ...

    def add_report(self, stored: StoredReport) -> None: ...

    def specs_for_products(self, product_keys: Collection[str]) -> list[RecallSpec]: ...

    def stored_incidents(self, product_key: str) -> list[Incident]:
        """Injuries and failed samples of a product already accepted at intake."""

    def add_incidents(self, incidents: Sequence[RecallIncident]) -> None:
        """Note incidents; one already noted for the same recall is ignored."""

    def incidents(self, recall_id: str) -> list[RecallIncident]: ...

    # --- registry lookups for an ordered recall ----------------------------------------------

    def product(self, product_key: str) -> ProductFacts | None: ...

    def firm_of(self, manufacturer_code: str) -> str | None:
        """The station id of the firm registered for a manufacturer, if any."""

"""The projection use case: records of `risk.scores`, `risk.signals` and `alerts` into SQL.

The projector agent and `recall readmodel rebuild` both call `project`, so a rebuild writes
exactly what the worker would have. Idempotent: replaying a record changes nothing, so the
rebuild may run beside a running worker and a redelivered batch is harmless.

A score carries no region; the read model scopes it by the *manufacturer's* jurisdiction (the
regulator where the firm is registered is the one that supervises its recalls), falling back
to the jurisdiction of the product's latest signal when the product is not in the registry
(`ReadModel.product_facts`). The category comes the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from recall.service.readmodel.ports import ReadModel, ScoreAt, ScoreRow
from schemas.risk import Alert, SignalRaised

__all__ = ["ProjectionOutcome", "newest_per_product", "project"]

R = TypeVar("R", SignalRaised, Alert)


@dataclass(frozen=True, slots=True)
class ProjectionOutcome:
    """Records read, records that changed a table, and those skipped (older or known)."""

    read: int = 0
    projected: int = 0

    @property
    def skipped(self) -> int:
        return self.read - self.projected

    def __add__(self, other: ProjectionOutcome) -> ProjectionOutcome:
        return ProjectionOutcome(self.read + other.read, self.projected + other.projected)


def project(
    read_model: ReadModel,
    *,
    scores: Sequence[ScoreAt] = (),
    signals: Sequence[SignalRaised] = (),
    alerts: Sequence[Alert] = (),
) -> ProjectionOutcome:
    """Write one batch in one transaction; a score only if newer than the stored one."""
    newest = newest_per_product(scores)
    facts = read_model.product_facts({s.score.product_key for s in newest}) if newest else {}
    rows = []
    for record in newest:
        known = facts.get(record.score.product_key)
        rows.append(
            ScoreRow(record, known.region if known else None, known.category if known else None)
        )
    written = read_model.write(rows, _unique(signals, "signal_id"), _unique(alerts, "alert_id"))
    read = len(scores) + len(signals) + len(alerts)
    return ProjectionOutcome(read, written.scores + written.signals + written.alerts)


def newest_per_product(scores: Sequence[ScoreAt]) -> list[ScoreAt]:
    """The newest record of each product in a batch (by time, then position), in first-seen
    order: one statement may not update a row twice, and only the newest would stay."""
    newest: dict[str, ScoreAt] = {}
    for record in scores:
        key = record.score.product_key
        if key not in newest or record.version > newest[key].version:
            newest[key] = record
    return list(newest.values())


def _unique(records: Sequence[R], id_field: str) -> list[R]:
    """The first record of each id: a repeat within a batch changes nothing either."""
    seen: dict[str, R] = {}
    for record in records:
        seen.setdefault(getattr(record, id_field), record)
    return list(seen.values())

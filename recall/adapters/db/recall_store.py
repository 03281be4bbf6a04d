"""Repository for recalls: rebuild the aggregate from rows, save it with a version check.

A recall's history is append-only, so saving appends the new transition rows and updates the
head row. The update is guarded by the version the recall was loaded at — the number of
stored transitions, and the state it left the recall in — so the agent's effectiveness
update and a regulator's `evaluate` or `close` can never overwrite each other: the second
writer gets `ConcurrentRecallUpdateError` (and the transition rows' primary key stops two
writers of the same step even where the guard's read is not serialised).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from recall.adapters.db.models import (
    Event,
    PostRecallIncidentRow,
    Product,
    RecallProgressRow,
    RecallRow,
    RecallTransitionRow,
    Station,
)
from recall.adapters.db.recall_rows import (
    head_of,
    incident_of,
    rebuild,
    recall_row,
    report_of,
    spec_of,
)
from recall.adapters.db.upsert import insert_ignoring_conflicts
from recall.domain.recalls import (
    Incident,
    IncidentKind,
    ProgressReport,
    RecallSpec,
    RecallState,
    RecallTransition,
)
from recall.service.recalls.mapping import aware, levels_to_json
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
INCIDENT_EVENTS = ("injury_report", "sampling_result")


class SqlRecallRepository:
    """`recall.service.recalls.ports.RecallRepository` over one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # --- the aggregate -----------------------------------------------------------------------

    def get(self, recall_id: str) -> LoadedRecall | None:
        row = self.session.get(RecallRow, recall_id)
        return rebuild(self.session, row) if row is not None else None

    def add(self, new: NewRecall) -> None:
        spec = new.recall.spec
        self.session.add(recall_row(new))
        self.session.flush()
        self._append_transitions(spec.recall_id, new.recall.history, since=0)

    def save(
        self,
        loaded: LoadedRecall,
        *,
        at: datetime,
        effectiveness: EffectivenessFigures | None = None,
    ) -> None:
        recall = loaded.recall
        values: dict[str, Any] = {"state": recall.state.value, "updated_at": at}
        if recall.verdict is not None:
            values["verdict"] = recall.verdict.value
        if effectiveness is not None:
            values["last_effectiveness"] = effectiveness.model_dump(mode="json")
        stored = (
            select(func.count())
            .select_from(RecallTransitionRow)
            .where(RecallTransitionRow.recall_id == recall.recall_id)
            .scalar_subquery()
        )
        result = self.session.execute(
            update(RecallRow)
            .where(
                RecallRow.recall_id == recall.recall_id,
                RecallRow.state == recall.history[loaded.version - 1].to_state.value,
                stored == loaded.version,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentRecallUpdateError(f"recall {recall.recall_id} changed meanwhile")
        self._forget(recall.recall_id)
        self._append_transitions(recall.recall_id, recall.history, since=loaded.version)

    def mark_sent(self, recall_id: str, sent_keys: Collection[str]) -> None:
        self.session.execute(
            update(RecallRow)
            .where(RecallRow.recall_id == recall_id)
            .values(sent_keys=sorted(sent_keys))
            .execution_options(synchronize_session=False)
        )
        self._forget(recall_id)

    def active(self) -> list[LoadedRecall]:
        query = select(RecallRow).where(RecallRow.state.in_([s.value for s in ACTIVE]))
        return self._loaded(query)

    def finished(self, category: str, *, exclude: str) -> list[LoadedRecall]:
        query = select(RecallRow).where(
            RecallRow.category == category,
            RecallRow.state.in_([s.value for s in FINISHED]),
            RecallRow.recall_id != exclude,
        )
        return self._loaded(query)

    def heads(
        self, *, jurisdiction_prefix: str | None, states: Sequence[str], limit: int
    ) -> list[RecallHead]:
        query = select(RecallRow).order_by(RecallRow.updated_at.desc()).limit(limit)
        if jurisdiction_prefix:
            query = query.where(RecallRow.jurisdiction.startswith(jurisdiction_prefix))
        if states:
            query = query.where(RecallRow.state.in_(list(states)))
        return [head_of(row) for row in self.session.scalars(query)]

    # --- intake: notices, reports, incidents -------------------------------------------------

    def notice_event_id(self, recall_id: str) -> str | None:
        return self.session.scalar(
            select(RecallRow.notice_event_id).where(RecallRow.recall_id == recall_id)
        )

    def spec(self, recall_id: str) -> RecallSpec | None:
        row = self.session.get(RecallRow, recall_id)
        return spec_of(row) if row is not None else None

    def report_event_id(self, recall_id: str, sequence: int) -> str | None:
        row = self.session.get(RecallProgressRow, (recall_id, sequence))
        return row.event_id if row is not None else None

    def latest_report(self, recall_id: str) -> ProgressReport | None:
        row = self.session.scalars(
            select(RecallProgressRow)
            .where(RecallProgressRow.recall_id == recall_id)
            .order_by(RecallProgressRow.sequence.desc())
            .limit(1)
        ).first()
        return report_of(row) if row is not None else None

    def add_report(self, stored: StoredReport) -> None:
        report = stored.report
        self.session.add(
            RecallProgressRow(
                recall_id=report.recall_id,
                sequence=report.sequence,
                event_id=stored.event_id,
                period_start=report.period_start,
                period_end=report.period_end,
                submitted_at=report.submitted_at,
                levels=levels_to_json(report.levels),
                refused=stored.refused,
            )
        )
        self.session.flush()

    def specs_for_products(self, product_keys: Collection[str]) -> list[RecallSpec]:
        query = select(RecallRow).where(RecallRow.product_key.in_(list(product_keys)))
        return [spec_of(row) for row in self.session.scalars(query.order_by(RecallRow.recall_id))]

    def stored_incidents(self, product_key: str) -> list[Incident]:
        rows = self.session.scalars(
            select(Event).where(Event.product_key == product_key, Event.type.in_(INCIDENT_EVENTS))
        )
        return [incident for row in rows if (incident := incident_of(row)) is not None]

    def add_incidents(self, incidents: Sequence[RecallIncident]) -> None:
        rows = [
            {
                "recall_id": noted.recall_id,
                "event_id": noted.incident.incident_id,
                "kind": noted.incident.kind.value,
                "occurred_at": noted.incident.occurred_at,
                "batch": noted.incident.batch,
                "after_start": noted.after_start,
            }
            for noted in incidents
        ]
        if rows:
            table = PostRecallIncidentRow.__table__
            self.session.execute(insert_ignoring_conflicts(self.session, table), rows)

    def incidents(self, recall_id: str) -> list[RecallIncident]:
        product_key = self.session.scalar(
            select(RecallRow.product_key).where(RecallRow.recall_id == recall_id)
        )
        rows = self.session.scalars(
            select(PostRecallIncidentRow)
            .where(PostRecallIncidentRow.recall_id == recall_id)
            .order_by(PostRecallIncidentRow.occurred_at, PostRecallIncidentRow.event_id)
        )
        return [
            RecallIncident(
                recall_id,
                Incident(
                    r.event_id,
                    IncidentKind(r.kind),
                    aware(r.occurred_at),
                    product_key or "",
                    r.batch,
                ),
                r.after_start,
            )
            for r in rows
        ]

    # --- registry lookups --------------------------------------------------------------------

    def product(self, product_key: str) -> ProductFacts | None:
        row = self.session.get(Product, product_key)
        if row is None:
            return None
        return ProductFacts(row.kind, row.brand, row.model, row.units_in_use)

    def firm_of(self, manufacturer_code: str) -> str | None:
        return self.session.scalars(
            select(Station.station_id)
            .where(Station.kind == "firm", Station.manufacturer_code == manufacturer_code)
            .order_by(Station.station_id)
        ).first()

    # --- rows ----------------------------------------------------------------------------------

    def _loaded(self, query: Select[RecallRow]) -> list[LoadedRecall]:
        rows = self.session.scalars(query.order_by(RecallRow.recall_id))
        return [rebuild(self.session, row) for row in rows]

    def _forget(self, recall_id: str) -> None:
        """Drop a head row the session holds after updating it in SQL (no stale reads)."""
        cached = self.session.identity_map.get(identity_key(RecallRow, recall_id))
        if cached is not None:
            self.session.expire(cached)

    def _append_transitions(
        self, recall_id: str, history: Sequence[RecallTransition], *, since: int
    ) -> None:
        for position, step in enumerate(history[since:], start=since):
            self.session.add(
                RecallTransitionRow(
                    recall_id=recall_id,
                    position=position,
                    from_state=step.from_state.value if step.from_state else None,
                    to_state=step.to_state.value,
                    who=step.who,
                    at=step.when,
                    why=step.why,
                )
            )
        try:
            self.session.flush()
        except IntegrityError as error:  # another writer stored the same step first
            raise ConcurrentRecallUpdateError(f"recall {recall_id} changed meanwhile") from error

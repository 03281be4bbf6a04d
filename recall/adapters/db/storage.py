"""The SQL implementation of `recall.service.ports.Storage`: one session per unit of work."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property

from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.case_store import SqlCaseRepository
from recall.adapters.db.errors import is_transient
from recall.adapters.db.intake_store import SqlIntakeRepository
from recall.adapters.db.investigation_store import SqlInvestigationRepository
from recall.adapters.db.models import OutboxRow
from recall.adapters.db.recall_store import SqlRecallRepository
from recall.adapters.db.tier_store import SqlTierRepository
from recall.adapters.db.upsert import insert_ignoring_conflicts
from recall.service.ports import OutboxRecord


class SqlOutbox:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, records: Sequence[OutboxRecord]) -> None:
        rows = [
            {
                "record_id": r.record_id,
                "topic": r.topic,
                "key": r.key,
                "value": r.value,
                "created_at": r.created_at,
                "published_at": None,
            }
            for r in records
        ]
        if rows:
            self._session.execute(insert_ignoring_conflicts(self._session, OutboxRow), rows)


class SqlUnitOfWork:
    """Repositories over one session; each is built on first use."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @cached_property
    def outbox(self) -> SqlOutbox:
        return SqlOutbox(self.session)

    @cached_property
    def recalls(self) -> SqlRecallRepository:
        return SqlRecallRepository(self.session)

    @cached_property
    def investigations(self) -> SqlInvestigationRepository:
        return SqlInvestigationRepository(self.session)

    @cached_property
    def intake(self) -> SqlIntakeRepository:
        return SqlIntakeRepository(self.session)

    @cached_property
    def cases(self) -> SqlCaseRepository:
        return SqlCaseRepository(self.session)

    @cached_property
    def tiers(self) -> SqlTierRepository:
        return SqlTierRepository(self.session)


class SqlStorage:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    @contextmanager
    def transaction(self) -> Iterator[SqlUnitOfWork]:
        with self.sessions.begin() as session:
            yield SqlUnitOfWork(session)

    def is_transient(self, error: BaseException) -> bool:
        return is_transient(error)

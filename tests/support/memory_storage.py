"""An in-memory `recall.service.ports.Storage` for the services' unit tests.

A transaction works on deep copies of the repositories and swaps them in on a normal exit, so
a block that raises leaves nothing behind — the same all-or-nothing the SQL storage gives.
`fail_next` makes the next transactions raise a chosen error on entry (a database outage, a
permanent refusal), so retry and isolation paths are exercised without a database.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from recall.service.ports import OutboxRecord
from tests.support.fakes.cases import MemoryCaseRepository


class TransientStorageError(RuntimeError):
    """Stands for an outage: `is_transient` says yes."""


@dataclass
class MemoryOutbox:
    records: dict[str, OutboxRecord] = field(default_factory=dict)

    def add(self, records: Sequence[OutboxRecord]) -> None:
        for record in records:
            self.records.setdefault(record.record_id, record)


@dataclass
class MemoryUnitOfWork:
    intake: Any
    investigations: Any
    recalls: Any
    outbox: MemoryOutbox
    tiers: Any = None
    cases: Any = None


class MemoryStorage:
    def __init__(self, **repositories: Any) -> None:
        self.state = MemoryUnitOfWork(
            intake=repositories.get("intake"),
            investigations=repositories.get("investigations"),
            recalls=repositories.get("recalls"),
            outbox=repositories.get("outbox") or MemoryOutbox(),
            tiers=repositories.get("tiers"),
            cases=repositories.get("cases") or MemoryCaseRepository(),
        )
        self._failures: list[BaseException] = []
        self.commits = 0

    def fail_next(self, *errors: BaseException) -> None:
        self._failures.extend(errors)

    @contextmanager
    def transaction(self) -> Iterator[MemoryUnitOfWork]:
        if self._failures:
            raise self._failures.pop(0)
        working = copy.deepcopy(self.state)
        yield working
        self.state = working
        self.commits += 1

    def is_transient(self, error: BaseException) -> bool:
        return isinstance(error, TransientStorageError)

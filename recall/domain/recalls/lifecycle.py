"""The Recall aggregate: its states, the moves allowed between them, and the audit trail.

States::

    announced → in_progress ⇄ lagging
                in_progress | lagging → completed → evaluated → closed

Every move is a method that returns a `RecallTransition` (who, when, why, from, to) and appends
it to the history, because a regulator must be able to show who decided each step and on what
grounds. A move not in `ALLOWED_MOVES` raises `IllegalRecallTransition` naming the current state
and the moves that would be legal. A lagging recall may be completed directly: the firm may stop
at a low rate, and it is the evaluation, not the lifecycle, that judges the outcome.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from recall.domain.recalls.errors import IllegalRecallTransition, InvalidRecallError
from recall.domain.recalls.model import RecallKind, RecallSpec, Verdict, require_aware

#: The investigation state (DESIGN §2) from which an ordered recall may be created.
RECALL_REQUESTED = "recall_requested"


class RecallState(StrEnum):
    ANNOUNCED = "announced"
    IN_PROGRESS = "in_progress"
    LAGGING = "lagging"
    COMPLETED = "completed"
    EVALUATED = "evaluated"
    CLOSED = "closed"


_S = RecallState
ALLOWED_MOVES: Mapping[RecallState, frozenset[RecallState]] = MappingProxyType(
    {
        _S.ANNOUNCED: frozenset({_S.IN_PROGRESS}),
        _S.IN_PROGRESS: frozenset({_S.LAGGING, _S.COMPLETED}),
        _S.LAGGING: frozenset({_S.IN_PROGRESS, _S.COMPLETED}),
        _S.COMPLETED: frozenset({_S.EVALUATED}),
        _S.EVALUATED: frozenset({_S.CLOSED}),
        _S.CLOSED: frozenset(),
    }
)


@dataclass(frozen=True, slots=True)
class RecallTransition:
    """One audited step. `from_state` is None for the creation record."""

    recall_id: str
    from_state: RecallState | None
    to_state: RecallState
    who: str
    when: dt.datetime
    why: str


def _record(
    recall_id: str,
    from_state: RecallState | None,
    *,
    to_state: RecallState,
    who: str,
    when: dt.datetime,
    why: str,
) -> RecallTransition:
    require_aware(when, "when")
    if not who.strip():
        raise InvalidRecallError(f"recall {recall_id}: a transition needs who (the acting person)")
    if not why.strip():
        raise InvalidRecallError(f"recall {recall_id}: a transition needs why (the grounds)")
    return RecallTransition(recall_id, from_state, to_state, who, when, why)


class Recall:
    """A recall's lifecycle. Create with `Recall.voluntary` or `Recall.ordered`."""

    __slots__ = ("_history", "_state", "_verdict", "spec")

    def __init__(self, spec: RecallSpec, created: RecallTransition) -> None:
        self.spec = spec
        self._state = created.to_state
        self._history: list[RecallTransition] = [created]
        self._verdict: Verdict | None = None

    @classmethod
    def restore(
        cls, spec: RecallSpec, history: list[RecallTransition], verdict: Verdict | None = None
    ) -> Recall:
        """Rebuild from stored transitions, replaying each move so an illegal path is refused."""
        if not history or history[0].from_state is not None:
            raise InvalidRecallError(f"recall {spec.recall_id}: history must start with creation")
        recall = cls(spec, history[0])
        for step in history[1:]:
            if step.from_state is not recall._state:
                raise InvalidRecallError(
                    f"recall {spec.recall_id}: stored step {step.from_state} → {step.to_state} "
                    f"does not follow state {recall._state}"
                )
            recall._move(step.to_state, step.who, step.when, step.why)
        recall._verdict = verdict
        return recall

    @classmethod
    def voluntary(cls, spec: RecallSpec, *, who: str, when: dt.datetime, why: str) -> Recall:
        """A firm's own recall (主动召回), announced."""
        if spec.kind is not RecallKind.VOLUNTARY:
            raise InvalidRecallError(
                f"recall {spec.recall_id}: spec kind is {spec.kind}, not voluntary"
            )
        return cls(
            spec, _record(spec.recall_id, None, to_state=_S.ANNOUNCED, who=who, when=when, why=why)
        )

    @classmethod
    def ordered(
        cls,
        spec: RecallSpec,
        *,
        investigation_id: str,
        investigation_state: str,
        who: str,
        when: dt.datetime,
        why: str,
    ) -> Recall:
        """A regulator-ordered recall (责令召回), only from an investigation in recall_requested."""
        if investigation_state != RECALL_REQUESTED:
            raise IllegalRecallTransition(
                f"investigation {investigation_id} is in state {investigation_state!r}; "
                f"an ordered recall can only be created from {RECALL_REQUESTED!r}"
            )
        if spec.kind is not RecallKind.ORDERED:
            raise InvalidRecallError(
                f"recall {spec.recall_id}: spec kind is {spec.kind}, not ordered"
            )
        if spec.investigation_id != investigation_id:
            raise InvalidRecallError(
                f"recall {spec.recall_id}: spec names investigation {spec.investigation_id!r}, "
                f"not {investigation_id!r}"
            )
        return cls(
            spec, _record(spec.recall_id, None, to_state=_S.ANNOUNCED, who=who, when=when, why=why)
        )

    @property
    def recall_id(self) -> str:
        return self.spec.recall_id

    @property
    def state(self) -> RecallState:
        return self._state

    @property
    def history(self) -> tuple[RecallTransition, ...]:
        return tuple(self._history)

    @property
    def verdict(self) -> Verdict | None:
        """The evaluation verdict, set by `evaluate`."""
        return self._verdict

    def allowed_moves(self) -> frozenset[RecallState]:
        return ALLOWED_MOVES[self._state]

    def start(self, *, who: str, when: dt.datetime, why: str) -> RecallTransition:
        """Notices are out and remedies are being delivered."""
        return self._move(_S.IN_PROGRESS, who, when, why, only_from=_S.ANNOUNCED)

    def mark_lagging(self, *, who: str, when: dt.datetime, why: str) -> RecallTransition:
        """Progress is behind what the target needs (see forecast.detect_lagging)."""
        return self._move(_S.LAGGING, who, when, why)

    def resume(self, *, who: str, when: dt.datetime, why: str) -> RecallTransition:
        """A lagging recall is back on track."""
        return self._move(_S.IN_PROGRESS, who, when, why, only_from=_S.LAGGING)

    def complete(self, *, who: str, when: dt.datetime, why: str) -> RecallTransition:
        """The firm has finished its corrective actions (from in_progress or lagging)."""
        return self._move(_S.COMPLETED, who, when, why)

    def evaluate(
        self, verdict: Verdict, *, who: str, when: dt.datetime, why: str
    ) -> RecallTransition:
        """Record the effectiveness verdict (see effectiveness.evaluate_recall)."""
        transition = self._move(_S.EVALUATED, who, when, f"{verdict}: {why}")
        self._verdict = verdict
        return transition

    def close(self, *, who: str, when: dt.datetime, why: str) -> RecallTransition:
        """The regulator files the closure report; nothing may change afterwards."""
        return self._move(_S.CLOSED, who, when, why)

    def _move(
        self,
        target: RecallState,
        who: str,
        when: dt.datetime,
        why: str,
        *,
        only_from: RecallState | None = None,
    ) -> RecallTransition:
        allowed = ALLOWED_MOVES[self._state]
        if target not in allowed or (only_from is not None and self._state is not only_from):
            moves = ", ".join(sorted(allowed)) or "none (terminal state)"
            raise IllegalRecallTransition(
                f"recall {self.recall_id} is {self._state!s}; cannot move to {target!s}. "
                f"Allowed moves from {self._state!s}: {moves}"
            )
        transition = _record(
            self.recall_id, self._state, to_state=target, who=who, when=when, why=why
        )
        last = self._history[-1].when
        if when < last:
            raise InvalidRecallError(
                f"recall {self.recall_id}: transition at {when.isoformat()} is earlier than "
                f"the previous one at {last.isoformat()}"
            )
        self._history.append(transition)
        self._state = target
        return transition

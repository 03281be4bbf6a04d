"""What a regulator decides about a recall: evaluate it once completed, close it once filed.

Each runs in one transaction: the transition, the state and the verdict are written together
or not at all, and a recall changed meanwhile (the agent moved it) is refused, not overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from recall.domain.recalls import Evaluation, FdaCheck, RecallTransition, fda_check_level
from recall.service.ports import Storage
from recall.service.recalls import figures
from recall.service.recalls.lookup import after_last, require


@dataclass(frozen=True, slots=True)
class EvaluationOutcome:
    evaluation: Evaluation
    fda: FdaCheck
    transition: RecallTransition


def evaluate(storage: Storage, recall_id: str, *, actor: str, now: datetime) -> EvaluationOutcome:
    """completed → evaluated with the verdict of `evaluate_recall`.

    History: the final raw rates of finished recalls of the same category; post-recall
    incidents that show the remedy is not working make the verdict `ineffective`.
    """
    with storage.transaction() as tx:
        loaded = require(tx.recalls, recall_id)
        evaluation = figures.evaluation(tx.recalls, loaded, now)
        fda = fda_check_level(loaded.spec)
        why = "; ".join((*evaluation.reasons, f"FDA check level {fda.level} ({fda.reason})"))
        recall = loaded.recall
        transition = recall.evaluate(
            evaluation.verdict, who=actor, when=after_last(recall, now), why=why
        )
        tx.recalls.save(loaded, at=now)
    return EvaluationOutcome(evaluation, fda, transition)


def close(
    storage: Storage, recall_id: str, *, actor: str, reason: str, now: datetime
) -> RecallTransition:
    """evaluated → closed: the regulator files the closure report."""
    with storage.transaction() as tx:
        loaded = require(tx.recalls, recall_id)
        recall = loaded.recall
        transition = recall.close(who=actor, when=after_last(recall, now), why=reason)
        tx.recalls.save(loaded, at=now)
    return transition

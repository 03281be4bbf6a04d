"""Where new evidence goes: the one-open-investigation-per-(product, hazard) policy.

The investigation agent keeps, per (product_key, hazard), the *latest* investigation and asks
`route_evidence` what to do with each new piece of evidence. The answer is a pure function of
(latest, evidence), so replaying the same input after a crash gives the same answer and, with
deterministic ids, the same effect.

Reopening rule (decided here, documented in docs/investigations.md): a ``no_defect`` decision is
never edited. When *new serious* evidence arrives afterwards, a new investigation with ``seq + 1``
is opened and points back to the old one (`Investigation.previous_id`). "New" means an evidence id
the latest investigation has not seen **and** an occurrence strictly after its conclusion; the
second condition makes replays of evidence that an earlier investigation already weighed harmless.
"Serious" means a risk level at or above `reopen_at` (default: serious). Anything weaker is
ignored by the agent; a regulator can still open ``seq + 1`` by hand with `next_seq`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from recall.domain.investigations.aggregate import Investigation
from recall.domain.investigations.identity import investigation_id_for
from recall.domain.investigations.model import (
    Decision,
    Evidence,
    IllegalInvestigationTransition,
    InvestigationInputError,
)
from recall.domain.vocabulary import RiskLevel


class Route(StrEnum):
    """What the agent should do with a piece of evidence."""

    OPEN = "open"  # open investigation `seq` with this evidence
    ATTACH = "attach"  # attach to the open investigation
    DUPLICATE = "duplicate"  # already recorded: do nothing (at-least-once replay)
    IGNORE = "ignore"  # closed investigation and the evidence does not justify a new one


@dataclass(frozen=True, slots=True)
class EvidenceRoute:
    """The decision plus the target id and seq, and a reason to log."""

    route: Route
    investigation_id: str
    seq: int
    reason: str


def next_seq(latest: Investigation | None) -> int:
    """Sequence number for a new investigation; refuses while one is still open."""
    if latest is None:
        return 1
    if latest.is_open:
        raise IllegalInvestigationTransition(
            latest.investigation_id,
            str(latest.state),
            "open",
            tuple(latest.allowed_actions()),
            "one open investigation per product and hazard; attach evidence to it instead",
        )
    return latest.seq + 1


def _is_serious(evidence: Evidence, reopen_at: RiskLevel) -> bool:
    level = evidence.risk_level
    return level is not None and level.rank >= reopen_at.rank


def route_evidence(
    latest: Investigation | None,
    evidence: Evidence,
    *,
    product_key: str,
    hazard: str,
    reopen_at: RiskLevel = RiskLevel.SERIOUS,
) -> EvidenceRoute:
    """Decide whether `evidence` opens, joins, repeats or leaves alone an investigation."""
    if latest is None:
        first = investigation_id_for(product_key, hazard, 1)
        return EvidenceRoute(Route.OPEN, first, 1, "no investigation yet for product and hazard")
    if (latest.product_key, latest.hazard) != (product_key, hazard):
        raise InvestigationInputError(
            f"latest investigation is about {latest.product_key}/{latest.hazard}, "
            f"not {product_key}/{hazard}"
        )
    here = (latest.investigation_id, latest.seq)
    if latest.has_evidence(evidence.evidence_id):
        return EvidenceRoute(Route.DUPLICATE, *here, "evidence already recorded")
    if latest.is_open:
        return EvidenceRoute(Route.ATTACH, *here, f"investigation is {latest.state}")
    return _route_after_conclusion(latest, evidence, reopen_at)


def _route_after_conclusion(
    latest: Investigation, evidence: Evidence, reopen_at: RiskLevel
) -> EvidenceRoute:
    here = (latest.investigation_id, latest.seq)
    if latest.decision is Decision.DEFECT_CONFIRMED:
        return EvidenceRoute(
            Route.IGNORE, *here, "defect already confirmed; post-decision evidence is the recall's"
        )
    concluded_at = latest.concluded_at
    if not _is_serious(evidence, reopen_at):
        return EvidenceRoute(
            Route.IGNORE, *here, f"no_defect stands: evidence risk below {reopen_at}"
        )
    if concluded_at is not None and evidence.occurred_at <= concluded_at:
        return EvidenceRoute(
            Route.IGNORE, *here, "no_defect stands: evidence predates the conclusion"
        )
    seq = latest.seq + 1
    new_id = investigation_id_for(latest.product_key, latest.hazard, seq)
    return EvidenceRoute(Route.OPEN, new_id, seq, f"new {reopen_at}-level evidence after no_defect")

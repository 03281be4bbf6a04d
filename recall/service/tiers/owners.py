"""Give signals and investigations their owner when they arrive, and move them up on new facts.

Runs inside the investigation agent's transaction (`handle_signals`), so a signal, the
investigation it opens or joins, their owners and the audited moves commit together or not at
all. Idempotent: a replayed signal finds its owner already set and the product's regions already
known, so `reassess` proposes nothing and no second move is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from recall.domain import jurisdiction
from recall.domain.investigations import Investigation, RiskLevel, manufacturer_of
from recall.domain.tiers import SubjectKind, TierFacts, TierRules, assign, reassess
from recall.service.tiers.ports import TierMove, TierRepository

FATAL_METHODS = frozenset({"fatal_case"})
"""Signal methods that stand for a death (the severity rule's ``fatal``)."""


def signal_owner(
    tiers: TierRepository,
    *,
    signal_id: str,
    product_key: str,
    region: str,
    risk_level: RiskLevel | None,
    method: str,
    rules: TierRules,
    at: datetime,
    actor: str,
) -> TierMove | None:
    """Assign a new signal's owner (once); None when it already has one or has no region.

    A signal without a usable region (the contract allows an empty one) cannot be placed: it
    keeps no owner rather than failing the batch that opens its investigation.
    """
    if not _is_region(region) or tiers.owner_of(SubjectKind.SIGNAL, signal_id) is not None:
        return None
    tiers.add_regions(product_key, [region])
    facts = TierFacts(
        region=region,
        risk_level=risk_level,
        fatal=method in FATAL_METHODS,
        regions=tiers.regions(product_key),
        firm_home=_firm_home(tiers, product_key),
    )
    decided = assign(facts, rules)
    move = TierMove(
        SubjectKind.SIGNAL,
        signal_id,
        None,
        decided.owner,
        decided.rule,
        decided.reason,
        at,
        actor,
        region,
    )
    return move if tiers.record(move) else None


def investigation_owner(
    tiers: TierRepository,
    investigation: Investigation,
    *,
    rules: TierRules,
    at: datetime,
    actor: str,
) -> TierMove | None:
    """Assign an open investigation's owner, or move it up when its facts outgrew the owner.

    The facts are the investigation's: where it was opened (its jurisdiction), its gravest
    evidence, every region where the product's evidence arose, the firm's home.
    """
    if investigation.jurisdiction is None or not investigation.is_open:
        return None
    facts = investigation_facts(tiers, investigation)
    kind, subject = SubjectKind.INVESTIGATION, investigation.investigation_id
    current = tiers.owner_of(kind, subject)
    if current is None:
        decided = assign(facts, rules)
        move = TierMove(
            kind,
            subject,
            None,
            decided.owner,
            decided.rule,
            decided.reason,
            at,
            actor,
            facts.region,
        )
    else:
        up = reassess(current.owner, facts, rules)
        if up is None:
            return None
        move = TierMove(
            kind, subject, current.owner, up.owner, up.rule, up.reason, at, actor, facts.region
        )
    return move if tiers.record(move) else None


def investigation_facts(tiers: TierRepository, investigation: Investigation) -> TierFacts:
    region = investigation.jurisdiction
    if region is None:
        raise ValueError(f"investigation {investigation.investigation_id} has no jurisdiction")
    levels = [e.risk_level for e in investigation.evidence if e.risk_level is not None]
    return TierFacts(
        region=region,
        risk_level=max(levels, key=lambda level: level.rank) if levels else None,
        fatal=any(e.method in FATAL_METHODS for e in investigation.evidence),
        regions=tiers.regions(investigation.product_key) | {region},
        firm_home=_firm_home(tiers, investigation.product_key),
    )


def place_all(
    tiers: TierRepository,
    investigations: Iterable[Investigation],
    *,
    rules: TierRules,
    at: datetime,
    actor: str,
) -> list[TierMove]:
    """`investigation_owner` for each; the moves written."""
    moves = [
        investigation_owner(tiers, inv, rules=rules, at=at, actor=actor) for inv in investigations
    ]
    return [m for m in moves if m is not None]


def _firm_home(tiers: TierRepository, product_key: str) -> str | None:
    code = manufacturer_of(product_key)
    return tiers.firm_home(code) if code else None


def _is_region(code: str) -> bool:
    try:
        jurisdiction.validate(code)
    except jurisdiction.JurisdictionError:
        return False
    return True

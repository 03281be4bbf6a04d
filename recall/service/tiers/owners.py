"""Give signals and investigations their owner when they arrive, and move them up on new facts.

Runs inside the investigation agent's transaction (`handle_signals`), so a signal, the
investigation it opens or joins, their owners and the audited moves commit together or not at
all. Idempotent: a replayed signal finds its owner already set and the product's regions already
known, so `reassess` proposes nothing and no second move is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from recall.domain import jurisdiction
from recall.domain.investigations import Investigation, RiskLevel, manufacturer_of
from recall.domain.tiers import SubjectKind, TierFacts, TierRules, assign, reassess
from recall.service.tiers.ports import TierMove, TierRepository

FATAL_METHODS = frozenset({"fatal_case"})
"""Signal methods that stand for a death (the severity rule's ``fatal``)."""


@dataclass(frozen=True, slots=True)
class SignalFacts:
    """What placing a signal reads of it."""

    signal_id: str
    product_key: str
    region: str
    risk_level: RiskLevel | None
    method: str


def place_signals(
    tiers: TierRepository,
    signals: Sequence[SignalFacts],
    *,
    rules: TierRules,
    at: datetime,
    actor: str,
) -> list[TierMove]:
    """Assign each new signal its owner (once), a batch at a time; the moves written.

    The same owners as placing the signals one by one, in order: a signal's facts hold the
    regions stored for its product plus those of the signals before it in the batch (never a
    later one's), and a signal that already has an owner — a replay, or its second copy in the
    batch — is skipped and adds no region. What changes is the statements: the owners, the
    products' regions and the firms' homes are read once for the batch, and the new regions
    and moves written once (~4 statements a batch instead of ~7 a signal, at ~1 ms each in the
    worker, docs/benchmarks.md).

    A signal without a usable region (the contract allows an empty one) cannot be placed: it
    keeps no owner rather than failing the batch that opens its investigation.
    """
    placeable = [s for s in signals if _is_region(s.region)]
    if not placeable:
        return []
    done = set(tiers.owners(SubjectKind.SIGNAL, {s.signal_id for s in placeable}))
    products = {s.product_key for s in placeable}
    regions = {p: set(r) for p, r in tiers.product_regions(products).items()}
    homes = _firm_homes(tiers, products)
    new_regions: set[tuple[str, str]] = set()
    moves: list[TierMove] = []
    for signal in placeable:
        if signal.signal_id in done:
            continue
        done.add(signal.signal_id)
        known = regions.setdefault(signal.product_key, set())
        known.add(signal.region)
        new_regions.add((signal.product_key, signal.region))
        facts = TierFacts(
            region=signal.region,
            risk_level=signal.risk_level,
            fatal=signal.method in FATAL_METHODS,
            regions=frozenset(known),
            firm_home=homes.get(signal.product_key),
        )
        decided = assign(facts, rules)
        moves.append(
            TierMove(
                SubjectKind.SIGNAL,
                signal.signal_id,
                None,
                decided.owner,
                decided.rule,
                decided.reason,
                at,
                actor,
                signal.region,
            )
        )
    tiers.add_product_regions(sorted(new_regions))
    return tiers.record_first_owners(moves)


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
    return next(iter(place_all(tiers, [investigation], rules=rules, at=at, actor=actor)), None)


def place_all(
    tiers: TierRepository,
    investigations: Iterable[Investigation],
    *,
    rules: TierRules,
    at: datetime,
    actor: str,
) -> list[TierMove]:
    """`investigation_owner` for each, with the facts read once for all; the moves written."""
    placeable = [i for i in investigations if i.jurisdiction is not None and i.is_open]
    if not placeable:
        return []
    products = {i.product_key for i in placeable}
    regions = tiers.product_regions(products)
    homes = _firm_homes(tiers, products)
    owners = tiers.owners(SubjectKind.INVESTIGATION, [i.investigation_id for i in placeable])
    moves = []
    for investigation in placeable:
        facts = _facts(
            investigation,
            regions.get(investigation.product_key, frozenset()),
            homes.get(investigation.product_key),
        )
        move = _investigation_move(
            investigation, owners.get(investigation.investigation_id), facts, rules, at, actor
        )
        if move is not None:
            moves.append(move)
    return tiers.record_all(moves)


def _facts(investigation: Investigation, regions: frozenset[str], home: str | None) -> TierFacts:
    region = investigation.jurisdiction
    if region is None:
        raise ValueError(f"investigation {investigation.investigation_id} has no jurisdiction")
    levels = [e.risk_level for e in investigation.evidence if e.risk_level is not None]
    return TierFacts(
        region=region,
        risk_level=max(levels, key=lambda level: level.rank) if levels else None,
        fatal=any(e.method in FATAL_METHODS for e in investigation.evidence),
        regions=regions | {region},
        firm_home=home,
    )


def _investigation_move(
    investigation: Investigation,
    current: str | None,
    facts: TierFacts,
    rules: TierRules,
    at: datetime,
    actor: str,
) -> TierMove | None:
    """The first assignment (no owner yet) or a move up; None when the owner still fits."""
    kind, subject = SubjectKind.INVESTIGATION, investigation.investigation_id
    if current is None:
        decided = assign(facts, rules)
        return TierMove(
            kind, subject, None, decided.owner, decided.rule, decided.reason, at, actor,
            facts.region,
        )  # fmt: skip
    up = reassess(current, facts, rules)
    if up is None:
        return None
    return TierMove(kind, subject, current, up.owner, up.rule, up.reason, at, actor, facts.region)


def _firm_homes(tiers: TierRepository, product_keys: Iterable[str]) -> dict[str, str]:
    """Each product's manufacturer's home jurisdiction, where the registry knows the firm."""
    codes = {key: code for key in product_keys if (code := manufacturer_of(key))}
    homes = tiers.firm_homes(set(codes.values()))
    return {key: homes[code] for key, code in codes.items() if code in homes}


def _is_region(code: str) -> bool:
    try:
        jurisdiction.validate(code)
    except jurisdiction.JurisdictionError:
        return False
    return True

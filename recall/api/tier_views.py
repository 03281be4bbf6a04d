"""The API's view of supervision tiers: an owner, its tier and its audited moves (docs/tiers.md).

Shared by the investigations and signals routes, so both show an owner the same way.
"""

from __future__ import annotations

from recall.domain import jurisdiction
from recall.service.tiers.queries import OwnershipView
from schemas import api


def ownership_body(owned: OwnershipView) -> api.Ownership:
    return api.Ownership(
        kind=owned.kind.value,
        subject_id=owned.subject_id,
        owner=owned.owner,
        tier=tier_of(owned.owner),
        moves=tier_moves(owned),
    )


def tier_moves(owned: OwnershipView) -> list[api.TierMove]:
    return [
        api.TierMove(
            kind=m.kind.value,
            subject_id=m.subject_id,
            from_owner=m.from_owner,
            to_owner=m.to_owner,
            tier=m.tier.value,
            rule=m.rule.value,
            reason=m.reason,
            at=m.at,
            actor=m.actor,
        )
        for m in owned.moves
    ]


def tier_of(owner: str | None) -> str | None:
    """county, city or province (None: no owner yet)."""
    return jurisdiction.level(owner).value if owner else None

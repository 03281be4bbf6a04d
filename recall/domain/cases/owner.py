"""Who owns a referral case: the enforcement administration at the right supervision tier.

The rule (documented in docs/cases.md, unit-tested in tests/unit/test_cases_domain.py):

1. **Place** — the firm's home jurisdiction (its registered place in the `manufacturers`
   registry): administrative enforcement is territorial (属地管辖), the firm's own
   administration can inspect it and fine it. A firm the registry does not know falls back to
   the recall's jurisdiction, so every case has an owner.
2. **Tier** — the county of that place by default (基层执法): most missed reports are a
   local firm's paperwork.
3. **City for the weighty ones** — an ordered recall (责令召回: the firm defied a regulator's
   order) or a recall of serious risk (EU Safety Gate `serious`) goes at least to the city
   (`jurisdiction.parent` of a county place): these need the tier that can coordinate the
   counties the product reached and whose decisions carry more weight. For a district of a
   municipality `parent` skips the placeholder city, so the owner is the municipality itself.
4. A place already at city or province tier stays where it is: there is no lower tier to hand
   down to, and the rule never moves a case *down*.

Escalation (an overdue case) moves one tier up with `jurisdiction.parent(owner)`; see
`ReferralCase.escalate_if_overdue`.
"""

from __future__ import annotations

from dataclasses import dataclass

from recall.domain import jurisdiction
from recall.domain.jurisdiction import Level

DEFAULT_CASE_DAYS = 30
"""Days an owner has to reach an outcome before the case escalates one tier up."""


@dataclass(frozen=True, slots=True)
class OwnerChoice:
    """The owner (a GB/T 2260 code), its tier, and the sentence the regulator sees."""

    owner: str
    tier: Level
    why: str


def owner_for(
    *, firm_home: str | None, recall_jurisdiction: str, ordered: bool, serious: bool
) -> OwnerChoice:
    """The owning administration of a new case, by the rule in this module's docstring."""
    place = jurisdiction.validate(firm_home) if firm_home else recall_jurisdiction
    jurisdiction.validate(place)
    source = "firm's home" if firm_home else "recall's jurisdiction (firm not in the registry)"
    weighty = [w for w, on in (("ordered recall", ordered), ("serious risk", serious)) if on]
    tier = jurisdiction.level(place)
    if weighty and tier is Level.COUNTY:
        up = jurisdiction.parent(place)
        assert up is not None  # a county always has a parent
        return OwnerChoice(
            up,
            jurisdiction.level(up),
            f"{' and '.join(weighty)}: one tier above the {source} {place}",
        )
    reason = " and ".join(weighty) if weighty else "default tier"
    return OwnerChoice(place, tier, f"{reason}: the {source} {place} ({tier.value} tier)")

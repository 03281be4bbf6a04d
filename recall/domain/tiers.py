"""Supervision tiers (分级监管): which administration owns a signal or an investigation, and why.

Why this module exists: supervision is three-tier — province, city, county (DESIGN.md §1) — and
each tier sees its own area, but seeing is not owning. Something must say which administration
*answers* for a signal or an investigation, move it one tier up when it outgrows or outwaits its
owner, and say why every time. The rules are data (`TierRules`, loaded and validated by
`recall.service.tiers.rules` from a JSON file); this module only evaluates them, purely: no
clock (time is passed in), no storage, so the same facts always give the same owner and a
replay can never move anything twice.

Vocabulary (shared with referral cases): the **owner** is a GB/T 2260 code, its **tier** is
`jurisdiction.level(owner)`, and **escalating** is moving to `jurisdiction.parent(owner)`.

How an owner is chosen (each rule proposes a candidate; docs/tiers.md has the table):

- ``default``   — the administration where the evidence arose (the signal's region).
- ``severity``  — a fatal case or a risk level named in the rules lifts the owner to at least
                  that tier *above the evidence region* (a death goes at least to the city).
- ``regions``   — the product has touched ≥ N counties of the evidence region's city → that
                  city; ≥ M cities → the province (one administration must see the whole spread).
- ``firm_home`` — the firm's home administration supervises its own firm's products (属地监管):
                  its home area at the configured tier. When the firm's home and the evidence
                  lie in different areas, the owner is the lowest administration covering both.

Every candidate but the firm's home lies on the evidence region's chain (the region and its
ancestors), so the highest of them covers the others; the firm's home is then joined by cover.
A firm from another province proposes nothing (this province cannot supervise it; the reason says
so, so the owner knows to notify that province).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from recall.domain import jurisdiction
from recall.domain.errors import DomainError
from recall.domain.jurisdiction import Level
from recall.domain.vocabulary import RiskLevel

__all__ = [
    "TIER_LABELS",
    "Assignment",
    "Deadlines",
    "Escalation",
    "Rule",
    "SubjectKind",
    "TierError",
    "TierFacts",
    "TierRules",
    "area_at",
    "assign",
    "escalations",
    "reassess",
    "regions_of",
    "tier_rank",
]


class TierError(DomainError, ValueError):
    """A tier rule or fact is unusable; the message names the field and the rule."""


class SubjectKind(StrEnum):
    """What an owner owns."""

    SIGNAL = "signal"
    INVESTIGATION = "investigation"


class Rule(StrEnum):
    """Why an owner was chosen or changed; stored with every move."""

    DEFAULT = "default"
    SEVERITY = "severity"
    REGIONS = "regions"
    FIRM_HOME = "firm_home"
    DEADLINE = "deadline"


TIER_LABELS: Mapping[Level, str] = {
    Level.COUNTY: "县级 / county",
    Level.CITY: "市级 / city",
    Level.PROVINCE: "省级 / province",
}
"""Bilingual tier names, for reasons a regulator reads."""

_RANK = {Level.COUNTY: 0, Level.CITY: 1, Level.PROVINCE: 2}


def tier_rank(tier: Level) -> int:
    """0 county, 1 city, 2 province: tiers compare by rank, not by their string values."""
    return _RANK[tier]


@dataclass(frozen=True, slots=True)
class Deadlines:
    """Days an investigation may wait at one tier in each open state before it escalates.

    ``opened``: to get a panel assigned; ``assigned``: to reach a conclusion. None: no deadline.
    """

    opened: int | None = None
    assigned: int | None = None

    def days_for(self, state: str) -> int | None:
        return {"opened": self.opened, "assigned": self.assigned}.get(state)


@dataclass(frozen=True, slots=True)
class TierRules:
    """The rules as data; see docs/tiers.md for the shipped defaults and why."""

    severity: Mapping[RiskLevel, Level] = field(default_factory=dict)
    fatal: Level | None = Level.CITY
    counties_for_city: int = 2
    cities_for_province: int = 2
    firm_home: Level | None = Level.COUNTY
    deadlines: Mapping[Level, Deadlines] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.counties_for_city < 2 or self.cities_for_province < 2:
            raise TierError("counties_for_city and cities_for_province must be at least 2")
        for tier, limits in self.deadlines.items():
            for days in (limits.opened, limits.assigned):
                if days is not None and days < 1:
                    raise TierError(f"deadline at {tier} must be at least one day, got {days}")


@dataclass(frozen=True, slots=True)
class TierFacts:
    """What the rules look at.

    ``region``: where the evidence arose (the signal's jurisdiction); ``regions``: every region
    where evidence about the product arose so far (including ``region``); ``firm_home``: the
    manufacturer's home jurisdiction from the registry (None: unknown firm).
    """

    region: str
    risk_level: RiskLevel | None = None
    fatal: bool = False
    regions: frozenset[str] = frozenset()
    firm_home: str | None = None

    def __post_init__(self) -> None:
        jurisdiction.validate(self.region)
        for code in self.regions:
            jurisdiction.validate(code)
        if self.firm_home is not None:
            jurisdiction.validate(self.firm_home)


@dataclass(frozen=True, slots=True)
class Assignment:
    """An owner and why: the deciding rule and a bilingual reason naming it."""

    owner: str
    rule: Rule
    reason: str

    @property
    def tier(self) -> Level:
        return jurisdiction.level(self.owner)


@dataclass(frozen=True, slots=True)
class Escalation:
    """One move one tier up because a deadline passed; ``at`` is the deadline itself."""

    from_owner: str
    to_owner: str
    at: datetime
    reason: str
    rule: Rule = Rule.DEADLINE


def area_at(code: str, tier: Level) -> str:
    """The administration over `code` at `tier` or, where none exists, the next one up.

    `code` itself when it is already at or above `tier`. A municipality's district has no city
    government (placeholder 110100), so its "city" is the municipality itself.
    """
    for area in (code, *jurisdiction.ancestors(code)):
        if tier_rank(jurisdiction.level(area)) >= tier_rank(tier):
            return area
    return code[:2] + "0000"


def _cover(a: str, b: str) -> str:
    """The lowest administration whose area holds both `a` and `b` (same province)."""
    for area in (a, *jurisdiction.ancestors(a)):
        if jurisdiction.covers(area, b):
            return area
    return a[:2] + "0000"


def _label(code: str) -> str:
    return f"{TIER_LABELS[jurisdiction.level(code)]} {code}"


@dataclass(frozen=True, slots=True)
class _Candidate:
    owner: str
    rule: Rule
    reason: str


def _chain_candidates(facts: TierFacts, rules: TierRules) -> list[_Candidate]:
    region = facts.region
    found = [
        _Candidate(
            region,
            Rule.DEFAULT,
            f"证据发生地管辖 / default: evidence arose in {region}",
        )
    ]
    if facts.fatal and rules.fatal is not None:
        found.append(
            _Candidate(
                area_at(region, rules.fatal),
                Rule.SEVERITY,
                f"严重程度：死亡病例 / severity: a fatal case goes at least to the "
                f"{rules.fatal.value}",
            )
        )
    level = facts.risk_level
    if level is not None and level in rules.severity:
        tier = rules.severity[level]
        found.append(
            _Candidate(
                area_at(region, tier),
                Rule.SEVERITY,
                f"严重程度：{level.value} 风险 / severity: {level.value} risk goes at least to "
                f"the {tier.value}",
            )
        )
    found += _regions_candidates(facts, rules)
    return found


def _regions_candidates(facts: TierFacts, rules: TierRules) -> list[_Candidate]:
    region = facts.region
    touched = facts.regions | {region}
    cities = sorted({area_at(code, Level.CITY) for code in touched})
    if len(cities) >= rules.cities_for_province:
        return [
            _Candidate(
                area_at(region, Level.PROVINCE),
                Rule.REGIONS,
                f"跨市：涉及 {len(cities)} 个市 / regions: cases in {len(cities)} cities "
                f"({', '.join(cities)}) ≥ {rules.cities_for_province} → province",
            )
        ]
    city = area_at(region, Level.CITY)
    counties = sorted(
        {c for c in touched if jurisdiction.covers(city, c) and c != city and _below(c, city)}
    )
    if len(counties) >= rules.counties_for_city:
        return [
            _Candidate(
                city,
                Rule.REGIONS,
                f"跨县：涉及 {len(counties)} 个县区 / regions: cases in {len(counties)} counties "
                f"({', '.join(counties)}) ≥ {rules.counties_for_city} → {city}",
            )
        ]
    return []


def _below(code: str, area: str) -> bool:
    return tier_rank(jurisdiction.level(code)) < tier_rank(jurisdiction.level(area))


_PRIORITY = {Rule.SEVERITY: 0, Rule.REGIONS: 1, Rule.DEFAULT: 2}


def assign(facts: TierFacts, rules: TierRules) -> Assignment:
    """The owner the rules give these facts, the deciding rule, and a reason naming it.

    Ties at the same tier go to severity, then regions, then the default, so the reason names
    the strongest ground. The reason also lists every other rule that applied.
    """
    chain = _chain_candidates(facts, rules)
    best = min(chain, key=lambda c: (-tier_rank(jurisdiction.level(c.owner)), _PRIORITY[c.rule]))
    chosen = _Candidate(best.owner, best.rule, best.reason)
    notes: list[str] = []
    home = facts.firm_home
    if home is not None and rules.firm_home is not None:
        if home[:2] != facts.region[:2]:
            notes.append(
                f"企业住所地在省外 {home}，需通报 / firm's home {home} lies in another province: "
                "notify it"
            )
        else:
            firm_area = area_at(home, rules.firm_home)
            chosen = _join_firm_home(chosen, firm_area)
    others = [c.reason for c in chain if c.reason != chosen.reason and c.rule is not Rule.DEFAULT]
    reason = "; ".join([chosen.reason, *others, *notes])
    return Assignment(chosen.owner, chosen.rule, f"{_label(chosen.owner)} ← {reason}")


def _join_firm_home(chosen: _Candidate, firm_area: str) -> _Candidate:
    if jurisdiction.covers(chosen.owner, firm_area):
        return chosen
    if jurisdiction.covers(firm_area, chosen.owner):
        return _Candidate(
            firm_area,
            Rule.FIRM_HOME,
            f"企业住所地监管 / firm's home: the firm's home administration {firm_area} "
            "supervises its own firm's products",
        )
    both = _cover(chosen.owner, firm_area)
    return _Candidate(
        both,
        Rule.FIRM_HOME,
        f"企业住所地 {firm_area} 与 {chosen.owner} 不同 / firm's home {firm_area} and "
        f"{chosen.owner} differ: {both} covers both",
    )


def reassess(current: str, facts: TierFacts, rules: TierRules) -> Assignment | None:
    """A move up when new facts (a signal from another city, a death) outgrow `current`.

    Owners only move up by the rules: None when the rules' owner is `current` or lies below
    it (a regulator who took a case up keeps it).
    """
    proposed = assign(facts, rules)
    if proposed.owner == current or jurisdiction.covers(current, proposed.owner):
        return None
    if not jurisdiction.covers(proposed.owner, current):
        proposed = Assignment(
            _cover(proposed.owner, current),
            proposed.rule,
            f"{proposed.reason}; 覆盖原主管 {current} / also covers the current owner {current}",
        )
    return proposed


def escalations(
    owner: str,
    state: str,
    waiting_since: datetime,
    now: datetime,
    rules: TierRules,
) -> tuple[Escalation, ...]:
    """Every move one tier up that deadlines have made due by `now`, in order.

    `waiting_since` is when the investigation's wait at `owner` in `state` began (the later of
    entering the state and arriving at the owner). A deadline passed at `d` moves the owner at
    exactly `d`, and the new owner's wait starts there, so the result depends only on the facts
    and `now`, never on when the timer happened to run: a late tick catches up with the same
    moves, an early one makes none (the deadline is *at* ``since + days``: due when now ≥ it).
    """
    _aware(waiting_since, "waiting_since")
    _aware(now, "now")
    moves: list[Escalation] = []
    since = waiting_since
    while True:
        up = jurisdiction.parent(owner)
        limits = rules.deadlines.get(jurisdiction.level(owner))
        days = limits.days_for(state) if limits else None
        if up is None or days is None:
            break
        due = since + timedelta(days=days)
        if now < due:
            break
        verb = {"opened": "未指派专家 / not assigned", "assigned": "未结论 / not concluded"}
        reason = (
            f"{_label(up)} ← 超期上移 / deadline: {verb.get(state, state)} within {days} days at "
            f"{_label(owner)} (waiting since {since.isoformat()}, due {due.isoformat()})"
        )
        moves.append(Escalation(owner, up, due, reason))
        owner, since = up, due
    return tuple(moves)


def earliest_escalation(owner: str, owned_since: datetime, rules: TierRules) -> datetime | None:
    """The first moment any deadline could move an investigation `owner` holds since then.

    The escalation timer checks every open investigation each tick, and reading one in full
    (its audit, its evidence) is the costly part: this bound lets it read only those that could
    be due. The wait at `owner` starts no earlier than `owned_since` (`escalations` counts from
    the later of that and entering the state), so no move comes before `owned_since` plus the
    shortest deadline at the owner's tier, whatever the state. None: never (no tier above, or
    no deadline at this one).
    """
    _aware(owned_since, "owned_since")
    limits = rules.deadlines.get(jurisdiction.level(owner))
    if jurisdiction.parent(owner) is None or limits is None:
        return None
    days = [d for d in (limits.opened, limits.assigned) if d is not None]
    return owned_since + timedelta(days=min(days)) if days else None


def _aware(at: datetime, name: str) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise TierError(f"{name} must be a timezone-aware datetime, got {at!r}")


def regions_of(codes: Iterable[str]) -> frozenset[str]:
    """Validated, de-duplicated region codes (the `regions` fact)."""
    return frozenset(jurisdiction.validate(code) for code in codes)

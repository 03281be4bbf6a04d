"""Expert registry records and the panel-assignment policy for defect investigations.

Why a policy and not a query: who may judge a product is a rule with legal weight. An expert linked
to the investigated firm must never sit on the panel (conflict of interest), and when nobody
qualifies the system must *say so and why* instead of quietly assigning a weaker panel. So the
policy returns its reasons for every expert it excluded, and `NoEligibleExpert` carries them.

Ranking among eligible experts: same jurisdiction first (local experts know the market and can
reach the site), then lowest current load (spread the work), then expert id (a deterministic
tie-break: two workers replaying the same input choose the same panel).

Impartiality (异地专家): when the investigated firm is *local* — its home jurisdiction lies
within `Impartiality.min_distance` of the investigation's area — the province's practice is the
opposite: experts from outside the area judge, so nobody who lives off the local market sits
on it. Then out-of-area experts come first (nearest of them first: same province before
another province, so travel stays reasonable), and local experts only fill the seats left,
farthest first, with the panel saying so (`Panel.fallback`). Conflict of interest is applied
before any ranking and is never relaxed by the fallback.

Exception tree::

    DomainError
    └── ExpertError
        ├── ExpertInputError      a registry record or request breaks a rule
        └── NoEligibleExpert   fewer eligible experts than the panel needs (has .exclusions)
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum

from recall.domain import jurisdiction as jur
from recall.domain.errors import DomainError
from recall.domain.investigations.model import PRODUCT_CATEGORIES

__all__ = [
    "DEFAULT_PANEL_SIZE",
    "Candidate",
    "Exclusion",
    "ExclusionReason",
    "Expert",
    "ExpertError",
    "ExpertInputError",
    "Impartiality",
    "NoEligibleExpert",
    "Panel",
    "firm_home",
    "select_panel",
]

DEFAULT_PANEL_SIZE = 2
_DISTANCE_LABEL = {0: "same jurisdiction", 1: "same city", 2: "same province", 3: "elsewhere"}


class ExpertError(DomainError):
    """Base of refusals raised by the expert registry and assignment policy."""


class ExpertInputError(ExpertError, ValueError):
    """A registry record or an assignment request breaks a rule."""


class ExclusionReason(StrEnum):
    """Why an expert cannot sit on a panel."""

    INACTIVE = "inactive"
    CATEGORY_MISMATCH = "category_mismatch"
    CONFLICT_OF_INTEREST = "conflict_of_interest"


@dataclass(frozen=True, slots=True)
class Expert:
    """One expert in the registry; `load` is the number of open investigations assigned."""

    expert_id: str
    name: str
    categories: frozenset[str]
    jurisdiction: str
    linked_firms: frozenset[str] = frozenset()
    active: bool = True
    load: int = 0

    def __post_init__(self) -> None:
        if not self.expert_id.strip() or not self.name.strip():
            raise ExpertInputError("expert_id and name must be non-empty")
        unknown = set(self.categories) - PRODUCT_CATEGORIES
        if not self.categories or unknown:
            raise ExpertInputError(f"expert {self.expert_id}: bad categories {sorted(unknown)}")
        jur.validate(self.jurisdiction)
        if isinstance(self.load, bool) or not isinstance(self.load, int) or self.load < 0:
            raise ExpertInputError(f"expert {self.expert_id}: load must be an int >= 0")

    def is_linked_to(self, firms: Collection[str]) -> bool:
        """True when the expert has a tie to any of `firms` (USCC compared case-insensitively)."""
        mine = {f.strip().upper() for f in self.linked_firms}
        return any(f.strip().upper() in mine for f in firms)


@dataclass(frozen=True, slots=True)
class Exclusion:
    """An expert the policy refused, with every reason that applies."""

    expert_id: str
    reasons: tuple[ExclusionReason, ...]

    def explain(self) -> str:
        return f"{self.expert_id}: excluded ({', '.join(self.reasons)})"


@dataclass(frozen=True, slots=True)
class Impartiality:
    """The out-of-area rule (异地专家), from the settings (`RECALL_EXPERTS_OUT_OF_AREA`,
    `RECALL_EXPERTS_MIN_DISTANCE`).

    `min_distance` is a `jurisdiction.distance`: 1 another county, 2 another city (default:
    the province's practice), 3 another province. A firm is local when its home is closer than
    that to the investigation's area; an expert is out of area when at least that far.
    """

    enabled: bool = True
    min_distance: int = 2

    def __post_init__(self) -> None:
        if isinstance(self.min_distance, bool) or self.min_distance not in (1, 2, 3):
            raise ExpertInputError(
                f"min_distance must be 1 (other county), 2 (other city) or 3 (other province),"
                f" got {self.min_distance!r}"
            )

    def applies(self, area: str | None, home: str | None) -> bool:
        """True when the rule is on and the firm's `home` is local to the case's `area`."""
        if not self.enabled or area is None or home is None:
            return False
        return jur.distance(area, home) < self.min_distance


def firm_home(credit_code: str | None, registered: str | None = None) -> str | None:
    """The firm's home jurisdiction: the registry's when known, else read from the USCC.

    Characters 3–8 of a unified social credit code (GB 32100-2015) are the administrative
    division code of the registering authority, so an unregistered firm still has a home.
    None when neither gives a well-formed code.
    """
    for code in (registered, (credit_code or "")[2:8]):
        if code:
            try:
                return jur.validate(code)
            except jur.JurisdictionError:
                continue
    return None


@dataclass(frozen=True, slots=True)
class Candidate:
    """An eligible expert and the facts it was ranked on.

    `out_of_area` is None when the impartiality rule did not apply to the case.
    """

    expert_id: str
    distance: int | None
    load: int
    out_of_area: bool | None = None

    @property
    def sort_key(self) -> tuple[int, int, int, str]:
        gap = 0 if self.distance is None else self.distance
        if self.out_of_area is None:
            return (0, gap, self.load, self.expert_id)
        # Out of area first, nearest of them first; local ones after, farthest first.
        return (
            (0, gap, self.load, self.expert_id)
            if self.out_of_area
            else (1, -gap, self.load, self.expert_id)
        )

    def explain(self) -> str:
        where = "no jurisdiction given" if self.distance is None else _DISTANCE_LABEL[self.distance]
        side = ""
        if self.out_of_area is not None:
            side = ", out of area (异地)" if self.out_of_area else ", local (本地)"
        return f"{self.expert_id}: eligible, {where}{side}, load {self.load}"


@dataclass(frozen=True, slots=True)
class Panel:
    """The chosen experts, the eligible ones passed over, and the excluded ones with reasons."""

    chosen: tuple[Candidate, ...]
    passed_over: tuple[Candidate, ...]
    exclusions: tuple[Exclusion, ...]
    rule: str = "local_first"
    fallback: str | None = None

    @property
    def expert_ids(self) -> tuple[str, ...]:
        """What `Investigation.assign` takes."""
        return tuple(c.expert_id for c in self.chosen)

    def explain(self) -> list[str]:
        """One line per expert considered: chosen, passed over, excluded."""
        return (
            [f"rule {self.rule}"]
            + ([f"fallback: {self.fallback}"] if self.fallback else [])
            + [f"chosen {c.explain()}" for c in self.chosen]
            + [f"passed over {c.explain()}" for c in self.passed_over]
            + [e.explain() for e in self.exclusions]
        )


class NoEligibleExpert(ExpertError):  # noqa: N818 - name fixed by issue 3
    """Fewer eligible experts than the panel size; `.exclusions` says why each one was refused."""

    def __init__(
        self,
        category: str,
        size: int,
        eligible: tuple[Candidate, ...],
        exclusions: tuple[Exclusion, ...],
    ) -> None:
        self.category = category
        self.size = size
        self.eligible = eligible
        self.exclusions = exclusions
        why = "; ".join(e.explain() for e in exclusions) or "the expert pool is empty"
        super().__init__(
            f"no eligible panel of {size} for category {category}: {len(eligible)} eligible; {why}"
        )


def _exclusion_reasons(
    expert: Expert, category: str, firms: Collection[str]
) -> tuple[ExclusionReason, ...]:
    reasons: list[ExclusionReason] = []
    if not expert.active:
        reasons.append(ExclusionReason.INACTIVE)
    if category not in expert.categories:
        reasons.append(ExclusionReason.CATEGORY_MISMATCH)
    if expert.is_linked_to(firms):
        reasons.append(ExclusionReason.CONFLICT_OF_INTEREST)
    return tuple(reasons)


def _check_request(category: str, size: int, where: str | None) -> None:
    if category not in PRODUCT_CATEGORIES:
        raise ExpertInputError(f"category {category!r} is not a category code")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ExpertInputError(f"panel size must be an int >= 1, got {size!r}")
    if where is not None:
        jur.validate(where)


def select_panel(
    pool: Iterable[Expert],
    *,
    category: str,
    investigated_firms: Collection[str] = (),
    jurisdiction: str | None = None,
    size: int = DEFAULT_PANEL_SIZE,
    home: str | None = None,
    impartiality: Impartiality | None = None,
) -> Panel:
    """Choose `size` experts for an investigation of a `category` product.

    `investigated_firms` are the USCCs of the manufacturer (and any other firm under
    investigation); pass ``[inv.manufacturer_id]`` when it is known. `home` is the
    manufacturer's home jurisdiction (`firm_home`); with `impartiality` on and a local firm,
    out-of-area experts are preferred (module docstring). Raises `NoEligibleExpert` rather
    than returning a short panel.
    """
    _check_request(category, size, jurisdiction)
    if home is not None:
        jur.validate(home)
    rule = impartiality if impartiality and impartiality.applies(jurisdiction, home) else None
    experts = sorted(pool, key=lambda e: e.expert_id)
    if len({e.expert_id for e in experts}) != len(experts):
        raise ExpertInputError("expert pool has duplicate expert ids")
    eligible: list[Candidate] = []
    exclusions: list[Exclusion] = []
    for expert in experts:
        reasons = _exclusion_reasons(expert, category, investigated_firms)
        if reasons:
            exclusions.append(Exclusion(expert.expert_id, reasons))
            continue
        gap = None if jurisdiction is None else jur.distance(jurisdiction, expert.jurisdiction)
        away = None if rule is None else (gap is not None and gap >= rule.min_distance)
        eligible.append(Candidate(expert.expert_id, gap, expert.load, away))
    eligible.sort(key=lambda c: c.sort_key)
    if len(eligible) < size:
        raise NoEligibleExpert(category, size, tuple(eligible), tuple(exclusions))
    chosen = tuple(eligible[:size])
    if rule is None:
        return Panel(chosen, tuple(eligible[size:]), tuple(exclusions))
    local = [c.expert_id for c in chosen if not c.out_of_area]
    fallback = None
    if local:
        fallback = (
            f"only {size - len(local)} eligible out-of-area expert(s) for a panel of {size}:"
            f" local expert(s) {', '.join(local)} fill the remaining seat(s)"
        )
    return Panel(chosen, tuple(eligible[size:]), tuple(exclusions), "out_of_area", fallback)

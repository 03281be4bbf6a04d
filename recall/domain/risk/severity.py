"""Case severity on the EU Safety Gate scale (Regulation (EU) 2024/3173, after RAG 2019/417).

1 = first aid only; 2 = emergency visit, recovery within about 6 months; 3 = hospitalisation or
functional loss over 6 months; 4 = fatal or over about 10% permanent disability.

Why rules and not a model: a regulator must be able to read *why* a case got its level, and the
EU guidance is itself a table of injury types. Each rule that raises the level adds one sentence
to `reasons`; the final level is the maximum of every rule that fired (a case is as severe as its
worst established consequence).
"""

from dataclasses import dataclass

from recall.domain.risk.codes import (
    BodyPart,
    Disposition,
    Hazard,
    InjuryNature,
    Mechanism,
    parse_code,
)

MIN_LEVEL, MAX_LEVEL = 1, 4


@dataclass(frozen=True, slots=True)
class InjuryFacts:
    """What an injury report establishes about one case (shared code strings)."""

    disposition: str
    injury_nature: str
    body_part: str
    age_years: int | None
    mechanism: str


@dataclass(frozen=True, slots=True)
class SamplingFacts:
    """One purchase-sampling verdict: the hazard the clause guards against and who uses it."""

    hazard: str
    clause: str
    failed: bool
    vulnerable_users: bool


@dataclass(frozen=True, slots=True)
class SeverityAssessment:
    level: int
    reasons: tuple[str, ...]


_DISPOSITION_FLOOR: dict[Disposition, tuple[int, str]] = {
    Disposition.TREATED_RELEASED: (1, "treated and released"),
    Disposition.OBSERVED: (2, "kept under observation in emergency care"),
    Disposition.HOSPITALISED: (3, "hospitalised"),
    Disposition.TRANSFERRED: (3, "transferred to another hospital for further care"),
    Disposition.DIED: (4, "the person died"),
}

# Typical consequence of each injury nature in the EU injury table, before body part and
# disposition refine it.
_NATURE_BASE: dict[InjuryNature, int] = {
    InjuryNature.CONTUSION_ABRASION: 1,
    InjuryNature.SPRAIN_STRAIN: 1,
    InjuryNature.LACERATION: 2,
    InjuryNature.FRACTURE: 2,
    InjuryNature.DISLOCATION: 2,
    InjuryNature.BURN_SCALD: 2,
    InjuryNature.ELECTRIC_SHOCK: 2,
    InjuryNature.POISONING: 2,
    InjuryNature.FOREIGN_BODY: 2,
    InjuryNature.CONCUSSION: 2,
    InjuryNature.CHOKING_SUFFOCATION: 3,
    InjuryNature.INTERNAL_ORGAN: 3,
    InjuryNature.CRUSH: 3,
    InjuryNature.DROWNING: 4,
    InjuryNature.AMPUTATION: 3,
    InjuryNature.OTHER: 1,
}

_ALL_PARTS = frozenset(BodyPart)
_LIMB_ENDS = frozenset({BodyPart.HAND, BodyPart.FOOT})
_CENTRAL = frozenset({BodyPart.HEAD, BodyPart.NECK, BodyPart.TRUNK, BodyPart.MULTIPLE})
_EYE_DAMAGE = frozenset(
    {
        InjuryNature.LACERATION,
        InjuryNature.BURN_SCALD,
        InjuryNature.FOREIGN_BODY,
        InjuryNature.POISONING,
    }
)

# Refinements of the EU injury table that depend on where the injury is; first match wins.
_BODY_PART_RULES: tuple[tuple[frozenset[InjuryNature], frozenset[BodyPart], int, str], ...] = (
    (
        frozenset({InjuryNature.FRACTURE}),
        frozenset({BodyPart.NECK, BodyPart.HEAD}),
        4,
        "fracture of skull or neck: risk of permanent disability",
    ),
    (
        frozenset({InjuryNature.FRACTURE}),
        frozenset({BodyPart.LOWER_LIMB, BodyPart.TRUNK}),
        3,
        "fracture of leg, hip or spine: functional loss beyond 6 months",
    ),
    (
        frozenset({InjuryNature.AMPUTATION}),
        _ALL_PARTS - _LIMB_ENDS,
        4,
        "amputation of a limb: permanent disability over 10%",
    ),
    (
        frozenset({InjuryNature.AMPUTATION}),
        _LIMB_ENDS,
        3,
        "amputation of fingers or toes: permanent functional loss",
    ),
    (
        frozenset({InjuryNature.CRUSH}),
        _CENTRAL,
        4,
        "crush injury of head, neck or trunk: potentially fatal",
    ),
    (
        _EYE_DAMAGE,
        frozenset({BodyPart.EYE}),
        3,
        "penetrating, burn or chemical injury of the eye: possible loss of sight",
    ),
)


def _body_part_rule(nature: InjuryNature, part: BodyPart) -> tuple[int, str] | None:
    for natures, parts, level, text in _BODY_PART_RULES:
        if nature in natures and part in parts:
            return level, text
    return None


def _age_rule(nature: InjuryNature, age: int | None) -> tuple[int, str] | None:
    """Infants and the very old suffer worse outcomes from the same event."""
    if age is None:
        return None
    if age < 3 and nature in (
        InjuryNature.CHOKING_SUFFOCATION,
        InjuryNature.POISONING,
        InjuryNature.FOREIGN_BODY,
        InjuryNature.BURN_SCALD,
        InjuryNature.ELECTRIC_SHOCK,
    ):
        return 3, f"child aged {age}: airway, poisoning, burn or shock injuries are graver"
    if age >= 80 and nature is InjuryNature.FRACTURE:
        return 3, f"person aged {age}: fractures in the very old rarely heal within 6 months"
    return None


def assess_injury(facts: InjuryFacts) -> SeverityAssessment:
    """Severity 1–4 of one injured person, with the rules that set it."""
    disposition = parse_code(Disposition, facts.disposition)
    nature = parse_code(InjuryNature, facts.injury_nature)
    part = parse_code(BodyPart, facts.body_part)
    parse_code(Mechanism, facts.mechanism)
    floor, text = _DISPOSITION_FLOOR[disposition]
    rules: list[tuple[int, str]] = [
        (floor, f"disposition: {text}"),
        (_NATURE_BASE[nature], f"injury nature: {nature.value.replace('_', ' ')}"),
    ]
    for rule in (_body_part_rule(nature, part), _age_rule(nature, facts.age_years)):
        if rule is not None:
            rules.append(rule)
    return _combine(rules)


def _combine(rules: list[tuple[int, str]]) -> SeverityAssessment:
    level = max(level for level, _ in rules)
    reasons = tuple(f"severity {lvl}: {why}" for lvl, why in rules if lvl == level)
    others = tuple(f"(also {lvl}: {why})" for lvl, why in rules if lvl != level)
    return SeverityAssessment(level=level, reasons=reasons + others)


# Worst credible injury scenario per hazard (EU guidance, typical scenarios), for any user and
# for vulnerable users (children, the elderly) who cannot recognise or escape the hazard.
_HAZARD_SCENARIO: dict[Hazard, tuple[int, int, str]] = {
    Hazard.ELECTRIC_SHOCK: (4, 4, "contact with live parts can cause fatal electrocution"),
    Hazard.FIRE: (4, 4, "ignition can cause fatal burns or smoke inhalation"),
    Hazard.SUFFOCATION: (4, 4, "airway obstruction by the product can be fatal"),
    Hazard.STRANGULATION: (4, 4, "cords or openings can cause fatal strangulation"),
    Hazard.DROWNING: (4, 4, "failure can lead to drowning"),
    Hazard.CHOKING: (3, 4, "small parts can be swallowed and block the airway"),
    Hazard.CHEMICAL: (3, 4, "hazardous substances can cause poisoning or lasting harm"),
    Hazard.ENTRAPMENT: (3, 4, "fingers, limbs or the head can be trapped"),
    Hazard.DAMAGE_TO_SIGHT: (3, 3, "eye injury can cause lasting loss of sight"),
    Hazard.DAMAGE_TO_HEARING: (3, 3, "loud impulses can cause permanent hearing loss"),
    Hazard.BURNS: (2, 3, "hot surfaces or liquids can cause burns"),
    Hazard.CUTS: (2, 2, "sharp edges or points can cause lacerations"),
    Hazard.MECHANICAL: (2, 3, "instability or breakage can cause falls and fractures"),
    Hazard.MICROBIOLOGICAL: (2, 3, "contamination can cause infection"),
    Hazard.OTHER: (1, 2, "no specific injury scenario is established"),
}


def assess_sampling(facts: SamplingFacts) -> SeverityAssessment:
    """Severity of the injury scenario a failed test clause makes possible.

    A passed clause establishes no scenario, so it is level 1 with a reason that says so.
    """
    hazard = parse_code(Hazard, facts.hazard)
    if not facts.failed:
        return SeverityAssessment(1, (f"clause {facts.clause} passed: no injury scenario",))
    general, vulnerable, scenario = _HAZARD_SCENARIO[hazard]
    level = vulnerable if facts.vulnerable_users else general
    users = "vulnerable users (children)" if facts.vulnerable_users else "general users"
    reason = f"severity {level}: clause {facts.clause} failed, {hazard.value}: {scenario}; {users}"
    return SeverityAssessment(level, (reason,))


_MECHANISM_HAZARD: dict[Mechanism, Hazard] = {
    Mechanism.FALL: Hazard.MECHANICAL,
    Mechanism.CUT_PIERCE: Hazard.CUTS,
    Mechanism.STRUCK_BY: Hazard.MECHANICAL,
    Mechanism.CAUGHT_IN: Hazard.ENTRAPMENT,
    Mechanism.FIRE_FLAME: Hazard.FIRE,
    Mechanism.HOT_OBJECT: Hazard.BURNS,
    Mechanism.ELECTRIC: Hazard.ELECTRIC_SHOCK,
    Mechanism.CHEMICAL: Hazard.CHEMICAL,
    Mechanism.CHOKING: Hazard.CHOKING,
    Mechanism.SUFFOCATION: Hazard.SUFFOCATION,
    Mechanism.STRANGULATION: Hazard.STRANGULATION,
    Mechanism.ENTRAPMENT: Hazard.ENTRAPMENT,
    Mechanism.TIP_OVER: Hazard.MECHANICAL,
    Mechanism.EXPLOSION: Hazard.FIRE,
    Mechanism.DROWNING: Hazard.DROWNING,
}

_NATURE_HAZARD: dict[InjuryNature, Hazard] = {
    InjuryNature.BURN_SCALD: Hazard.BURNS,
    InjuryNature.ELECTRIC_SHOCK: Hazard.ELECTRIC_SHOCK,
    InjuryNature.POISONING: Hazard.CHEMICAL,
    InjuryNature.FOREIGN_BODY: Hazard.CHOKING,
    InjuryNature.CHOKING_SUFFOCATION: Hazard.CHOKING,
    InjuryNature.DROWNING: Hazard.DROWNING,
    InjuryNature.LACERATION: Hazard.CUTS,
    InjuryNature.AMPUTATION: Hazard.CUTS,
    InjuryNature.FRACTURE: Hazard.MECHANICAL,
    InjuryNature.CRUSH: Hazard.MECHANICAL,
}


def hazard_for_mechanism(mechanism: str, injury_nature: str) -> str:
    """Shared hazard code for an injury: the mechanism decides, the injury nature breaks ties.

    The nature decides when the mechanism is 'other' (nothing better is known) or 'ingestion'
    (swallowing a button battery is chemical, swallowing a small part is choking).
    """
    mech = parse_code(Mechanism, mechanism)
    nature = parse_code(InjuryNature, injury_nature)
    if mech is Mechanism.INGESTION:
        return (Hazard.CHEMICAL if nature is InjuryNature.POISONING else Hazard.CHOKING).value
    if mech is Mechanism.OTHER:
        return _NATURE_HAZARD.get(nature, Hazard.OTHER).value
    return _MECHANISM_HAZARD[mech].value

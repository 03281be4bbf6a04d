"""The tier rules file: JSON, validated by a pydantic model, turned into the domain's `TierRules`.

Why a file: which tier owns what is a policy a province sets and revises (DESIGN.md §1), not
code. The shipped default (`default_rules.json`, next to this module) is documented in
docs/tiers.md; `Settings.tier_rules_path` (``RECALL_TIER_RULES_PATH``) points at a replacement.
A file that does not obey the model is refused at start-up with pydantic's message naming the
field, never half-applied.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from recall.domain.jurisdiction import Level
from recall.domain.tiers import Deadlines, TierRules
from recall.domain.vocabulary import RiskLevel

DEFAULT_RULES_PATH = Path(__file__).with_name("default_rules.json")


class TierRulesError(ValueError):
    """The rules file is missing or invalid; the message names the file and the problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeadlinesFile(_Strict):
    opened: int | None = Field(default=None, ge=1, description="days to get a panel assigned")
    assigned: int | None = Field(default=None, ge=1, description="days to reach a conclusion")


class RegionsFile(_Strict):
    counties_for_city: int = Field(default=2, ge=2)
    cities_for_province: int = Field(default=2, ge=2)


class TierRulesFile(_Strict):
    """The file's shape (see default_rules.json)."""

    about: str = ""
    severity: dict[RiskLevel, Level] = Field(
        default_factory=dict, description="risk level → the lowest tier that may own it"
    )
    fatal: Level | None = Field(default=Level.CITY, description="lowest tier for a fatal case")
    regions: RegionsFile = RegionsFile()
    firm_home: Level | None = Field(
        default=Level.COUNTY,
        description="tier of the firm's home administration that supervises its products "
        "(null: the firm's home plays no part)",
    )
    deadlines: dict[Level, DeadlinesFile] = Field(default_factory=dict)

    def to_domain(self) -> TierRules:
        return TierRules(
            severity=dict(self.severity),
            fatal=self.fatal,
            counties_for_city=self.regions.counties_for_city,
            cities_for_province=self.regions.cities_for_province,
            firm_home=self.firm_home,
            deadlines={
                tier: Deadlines(opened=d.opened, assigned=d.assigned)
                for tier, d in self.deadlines.items()
            },
        )


def load_rules(path: Path | None = None) -> TierRules:
    """The rules in `path` (the shipped default when None); `TierRulesError` if unusable."""
    source = path or DEFAULT_RULES_PATH
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        raise TierRulesError(
            f"cannot read tier rules {source}: {error}; fix RECALL_TIER_RULES_PATH"
        ) from error
    try:
        return TierRulesFile.model_validate_json(text).to_domain()
    except (ValidationError, ValueError) as error:
        raise TierRulesError(f"tier rules {source} are invalid: {error}") from error


@cache
def default_rules() -> TierRules:
    """The shipped rules, read once."""
    return load_rules(None)

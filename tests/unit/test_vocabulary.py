"""The domain owns its vocabularies; the wire contract declares the same ones for integrators.

`schemas` imports nothing from `recall` (integrators vendor it alone), so the two definitions
are tied here instead: a value added, renamed or dropped on one side fails this test until the
other side follows. The discovery test makes sure a new vocabulary cannot escape the list.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from enum import Enum, StrEnum
from types import ModuleType

import pytest

import recall.domain
import schemas
from recall.domain.cases.model import CaseOutcome, CaseState
from recall.domain.investigations.model import Action, InvestigationState
from recall.domain.leads import LeadSource
from recall.domain.recalls.lifecycle import RecallState
from recall.domain.recalls.model import NoticeChannel, RecallKind, Remedy, SupplyLevel, Verdict
from recall.domain.registry import LabStatus, StandardStatus
from recall.domain.risk import codes
from recall.domain.vocabulary import RiskLevel
from schemas import cases, common, injury, leads, recalls, registry, risk

PAIRS: list[tuple[type[Enum], type[Enum]]] = [
    (RiskLevel, common.RiskLevel),
    (codes.Hazard, common.Hazard),
    (codes.Disposition, injury.Disposition),
    (codes.BodyPart, injury.BodyPart),
    (codes.InjuryNature, injury.InjuryNature),
    (codes.Mechanism, injury.Mechanism),
    (RecallKind, recalls.RecallKind),
    (SupplyLevel, recalls.SupplyLevel),
    (Remedy, recalls.Remedy),
    (NoticeChannel, recalls.NoticeChannel),
    (Verdict, recalls.EffectivenessVerdict),
    (RecallState, recalls.RecallState),
    (InvestigationState, risk.InvestigationState),
    (Action, risk.InvestigationAction),
    (CaseState, cases.CaseState),
    (CaseOutcome, cases.CaseOutcome),
    (LeadSource, leads.LeadSourceName),
    (LabStatus, registry.LabStatus),
    (StandardStatus, registry.StandardStatus),
]
DISTINCT: set[tuple[type[Enum], type[Enum]]] = {
    # A case's outcomes are three of its states: related by design, two vocabularies.
    (CaseState, cases.CaseOutcome),
    (CaseOutcome, cases.CaseState),
}
"""Pairs that share most values on purpose but are not the same vocabulary."""


def _values(enum: type[Enum]) -> list[str]:
    return [str(member.value) for member in enum]


@pytest.mark.parametrize(("domain", "wire"), PAIRS, ids=lambda e: e.__qualname__)
def test_domain_and_contract_vocabularies_match(domain: type[Enum], wire: type[Enum]) -> None:
    assert _values(domain) == _values(wire)  # same values, same order (orders are meaningful)


def _enums(package: ModuleType) -> list[type[Enum]]:
    found: dict[str, type[Enum]] = {}
    path = package.__path__
    prefix = package.__name__ + "."
    for info in pkgutil.walk_packages(path, prefix):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, StrEnum) and obj is not StrEnum and obj.__module__ == info.name:
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return list(found.values())


def test_every_shared_vocabulary_is_tied() -> None:
    """A contract enum sharing most of its values with a domain enum must be in PAIRS."""
    tied = {(d, w) for d, w in PAIRS} | DISTINCT
    untied = []
    for wire in _enums(schemas):
        for domain in _enums(recall.domain):
            shared = set(_values(wire)) & set(_values(domain))
            mostly = len(shared) * 2 > max(len(_values(wire)), len(_values(domain)))
            if mostly and (domain, wire) not in tied:
                untied.append(f"{domain.__qualname__} ~ {wire.__module__}.{wire.__qualname__}")
    assert untied == []


def test_a_drifted_vocabulary_is_caught() -> None:
    """The comparison can fail: a contract enum with one more value does not match."""
    members = [*((m.name, m.value) for m in common.Hazard), ("NEW", "new")]
    # mypy reads the functional API's members from literals only; these are built on purpose.
    drifted = StrEnum("Hazard", members)  # type: ignore[misc]
    assert _values(codes.Hazard) != _values(drifted)

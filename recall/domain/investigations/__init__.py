"""Defect investigation: open, assign experts, conclude, request a recall.

Public surface (import from here, not from the private modules)::

    Investigation.open(...) -> Investigation     .attach_evidence / .assign / .conclude /
                                                  .request_recall  -> Investigation
    investigation_id_for(product_key, hazard, seq) -> str   deterministic UUIDv5
    route_evidence(latest, evidence, product_key=, hazard=) -> EvidenceRoute
    next_seq(latest) -> int

Exception tree: DomainError > InvestigationError > {InvestigationInputError,
IllegalInvestigationTransition}.
"""

from recall.domain.investigations.aggregate import Investigation
from recall.domain.investigations.identity import (
    INVESTIGATION_NAMESPACE,
    investigation_id_for,
    manufacturer_of,
)
from recall.domain.investigations.model import (
    HAZARDS,
    PRODUCT_CATEGORIES,
    Action,
    AuditEntry,
    Conclusion,
    Decision,
    Evidence,
    EvidenceKind,
    IllegalInvestigationTransition,
    InvestigationError,
    InvestigationInputError,
    InvestigationState,
)
from recall.domain.investigations.routing import EvidenceRoute, Route, next_seq, route_evidence
from recall.domain.vocabulary import RiskLevel

__all__ = [
    "HAZARDS",
    "INVESTIGATION_NAMESPACE",
    "PRODUCT_CATEGORIES",
    "Action",
    "AuditEntry",
    "Conclusion",
    "Decision",
    "Evidence",
    "EvidenceKind",
    "EvidenceRoute",
    "IllegalInvestigationTransition",
    "Investigation",
    "InvestigationError",
    "InvestigationInputError",
    "InvestigationState",
    "RiskLevel",
    "Route",
    "investigation_id_for",
    "manufacturer_of",
    "next_seq",
    "route_evidence",
]

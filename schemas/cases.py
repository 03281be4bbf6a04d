"""Referral cases (移送执法案件) on the wire: the credit event and the API's documents.

`FirmCreditRecorded` is the record of topic `firms.credit` (信用监管): the outcome of one
enforcement case against one firm, emitted once per case when it reaches its outcome, keyed by
the firm's credit code so one firm's record stays in order on one partition. The credit-record
table (`firm_credit_records`) keeps the same facts, readable per firm
(`GET /firms/{code}/credit`, `recall cases credit CODE`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from schemas.common import FreeText, JurisdictionCode, Label, Strict, WireDatetime

Reason = Annotated[FreeText, StringConstraints(min_length=1)]


class CaseState(StrEnum):
    OPENED = "opened"  # 已立案
    ASSIGNED = "assigned"  # 调查中
    RECTIFIED = "rectified"  # 已整改
    PENALISED = "penalised"  # 已处罚
    CLOSED_WITHOUT_ACTION = "closed_without_action"  # 不予处罚 / 撤案


class CaseOutcome(StrEnum):
    RECTIFIED = "rectified"
    PENALISED = "penalised"
    CLOSED_WITHOUT_ACTION = "closed_without_action"


MAX_FINE_YUAN = 10**12
"""A trillion yuan: above any fine ever imposed, and inside the column (BIGINT) and JSON's exact
integers; a larger number is a typing slip, refused rather than a database error."""


class Penalty(Strict):
    decision_no: Label = Field(description="处罚决定书文号 (one line)")
    fine_yuan: int = Field(ge=0, le=MAX_FINE_YUAN, description="罚款 in yuan; 0 when none")
    measures: Annotated[FreeText, StringConstraints(max_length=500)] = Field(
        default="", description="other measures, free text"
    )


class FirmCreditRecorded(Strict):
    """One enforcement outcome for the firm's credit record (topic `firms.credit`)."""

    record_id: str = Field(description="stable id `credit:<case id>`: one per case outcome")
    firm: str = Field(min_length=1, description="the firm's unified social credit code")
    case_id: str
    recall_id: str
    grounds: str = Field(description="missed_progress_reports or refused_recall")
    outcome: CaseOutcome
    penalty: Penalty | None = Field(description="set when the outcome is penalised")
    reason: str = Field(description="why this outcome, as the deciding regulator wrote it")
    owner: JurisdictionCode = Field(description="the enforcement administration (GB/T 2260)")
    decided_by: str = Field(description="the account that recorded the outcome")
    at: WireDatetime


# --- API documents and requests -------------------------------------------------------------


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CaseAuditEntry(Document):
    action: str
    actor: str
    at: AwareDatetime
    reason: str
    from_state: CaseState | None
    to_state: CaseState
    owner: str


class CaseSummary(Document):
    case_id: str
    firm: str
    recall_id: str
    grounds: str
    state: CaseState
    owner: str
    tier: str
    deadline: AwareDatetime
    opened_at: AwareDatetime
    updated_at: AwareDatetime


class CaseDetail(CaseSummary):
    referral_key: str
    evidence: list[str]
    assignee: str | None
    outcome_reason: str | None
    penalty: Penalty | None
    escalations: int
    audit: list[CaseAuditEntry]
    allowed_actions: list[str]


class CaseList(Document):
    items: list[CaseSummary]


class CreditRecord(Document):
    record_id: str
    firm: str
    case_id: str
    recall_id: str
    outcome: CaseOutcome
    penalty: Penalty | None
    reason: str
    owner: str
    at: AwareDatetime


class CreditRecordList(Document):
    firm: str
    items: list[CreditRecord]


class AssignCaseRequest(Strict):
    assignee: Label = Field(description="officer or team handling it (one line)")
    reason: Reason


class CaseReasonRequest(Strict):
    reason: Reason


class PenaliseRequest(Strict):
    reason: Reason
    penalty: Penalty

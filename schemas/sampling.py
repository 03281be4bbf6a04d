"""Purchase-sampling result: one product test by an accredited lab.

In one province these tests found ~85% of all defect leads, so a failed safety clause must be
precise about which standard, clause and hazard failed.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from schemas.common import (
    CreditCode,
    Hazard,
    Identifier,
    Label,
    ProductRef,
    ShortText,
    Strict,
    WireBool,
    WireDatetime,
)

StandardRef = Annotated[
    str,
    StringConstraints(
        min_length=2, max_length=40, pattern=r"^[A-Z]{1,4}(/[A-Z])? ?[0-9][0-9.]*(-[0-9]{4})?$"
    ),
]
ClauseRef = Annotated[
    str, StringConstraints(min_length=1, max_length=20, pattern=r"^[0-9A-Za-z.()]+$")
]


class ChannelKind(StrEnum):
    STORE = "store"
    ONLINE = "online"


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"


class SamplingChannel(Strict):
    kind: ChannelKind
    platform: Label | None = Field(default=None, description="Online platform, for kind=online")
    shop: Label

    @model_validator(mode="after")
    def _online_needs_platform(self) -> SamplingChannel:
        if self.kind is ChannelKind.ONLINE and not self.platform:
            raise ValueError("an online sample must name its platform")
        return self


class ClauseResult(Strict):
    """The verdict on one tested item of one clause of the standard."""

    clause: ClauseRef
    item: Label
    verdict: Verdict
    measured: ShortText | None = None
    limit: ShortText | None = None


class SamplingProduct(ProductRef):
    """Labs always know the manufacturer: the credit code is required here."""

    manufacturer_code: CreditCode


class SamplingResult(Strict):
    """The payload of a `sampling_result` event."""

    sample_id: Identifier
    sampled_at: WireDatetime
    channel: SamplingChannel
    product: SamplingProduct
    standard: StandardRef = Field(description="e.g. 'GB 6675.2-2014'")
    items: tuple[ClauseResult, ...] = Field(min_length=1, max_length=500)
    overall: Verdict
    hazards: tuple[Hazard, ...] = Field(default=(), max_length=15)
    vulnerable_users: WireBool = Field(
        default=False, description="Children, elderly or disabled users"
    )
    lab_id: Identifier

    @model_validator(mode="after")
    def _verdicts_agree(self) -> SamplingResult:
        failed = any(item.verdict is Verdict.FAIL for item in self.items)
        if failed != (self.overall is Verdict.FAIL):
            raise ValueError("overall verdict must be 'fail' exactly when some test item failed")
        if failed and not self.hazards:
            raise ValueError("a failed sample must name at least one hazard")
        return self

    @property
    def failed_clauses(self) -> tuple[str, ...]:
        return tuple(item.clause for item in self.items if item.verdict is Verdict.FAIL)

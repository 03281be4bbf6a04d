"""The wire form of a triaged lead (信息处置): what a regulator records from a newsroom report or
a consumer complaint (12315), through `POST /leads` or `recall leads record`.

One model for both doors (DESIGN.md §6: one validation path): the CLI builds the same
`LeadReport` the API parses, so a complaint the API refuses is refused on the shell too, with
the same message. The product is a `ProductRef`, so a lead's product key is the one the
station events of that product carry.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from schemas.common import (
    FreeText,
    Hazard,
    JurisdictionCode,
    ProductRef,
    Reference,
    StoredDatetime,
    Strict,
)


class LeadSourceName(StrEnum):
    MEDIA = "media"
    COMPLAINT = "complaint"


class LeadReport(Strict):
    """A lead to triage; `(source, reference)` names it, so recording it twice stores it once."""

    source: LeadSourceName = Field(description="media (媒体报道) or complaint (消费者投诉, 12315)")
    reference: Reference = Field(
        description="The channel's own reference: the 12315 ticket number, the article id"
    )
    jurisdiction: JurisdictionCode = Field(description="Where the lead arose (GB/T 2260)")
    product: ProductRef
    hazard: Hazard
    summary: FreeText = Field(min_length=1, max_length=2000)
    received_at: StoredDatetime = Field(description="When the channel received it")

"""Registries that judge: product kind, standard, lab and manufacturer checks at intake.

Pure rules over registry facts (a snapshot the caller loads), so the stream intake, the API
and the tests make the same decision, and every refusal names its reason (a value of
`schemas.RejectReason`) and what the reporter should do next. Times are passed in.

Why each rule (docs/registry.md):
- A product kind outside the 10-category / 77-kind taxonomy, or stated under another category,
  starts a risk history nobody can file or compare.
- A sampling result is evidence only if it was tested against a standard in force on the
  sampling date, by a lab accredited on that date for that product category. A result against
  a withdrawn standard (废止) cannot support a recall.
- Manufacturer references are resolved, not demanded: a hospital cannot know whether a firm is
  registered in this province, and a lab samples what is on sale, made anywhere. Only a recall
  notice must name a registered firm: a recall is a legal act against a firm, routed by its home
  jurisdiction, so the firm must be on file first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum

from recall.domain.taxonomy import category_of

CHINA = timezone(timedelta(hours=8))
"""Standards and accreditations are dated in China time: a sample at 23:30 UTC on 31 July is
taken on 1 August there."""


class RegistryRefusal(StrEnum):
    """Values match `schemas.RejectReason` so adapters pass them through unchanged."""

    UNKNOWN_PRODUCT_KIND = "unknown_product_kind"
    KIND_NOT_IN_CATEGORY = "kind_not_in_category"
    UNKNOWN_STANDARD = "unknown_standard"
    STANDARD_WITHDRAWN = "standard_withdrawn"
    STANDARD_NOT_IN_FORCE = "standard_not_in_force"
    UNKNOWN_LAB = "unknown_lab"
    LAB_NOT_ACCREDITED = "lab_not_accredited"
    LAB_OUT_OF_SCOPE = "lab_out_of_scope"
    LAB_NOT_REPORTER = "lab_not_reporter"
    UNKNOWN_MANUFACTURER = "unknown_manufacturer"


class StandardStatus(StrEnum):
    IN_FORCE = "in_force"  # 现行
    SUPERSEDED = "superseded"  # 被代替
    WITHDRAWN = "withdrawn"  # 废止


class LabStatus(StrEnum):
    ACCREDITED = "accredited"  # 有效
    SUSPENDED = "suspended"  # 暂停
    REVOKED = "revoked"  # 撤销


@dataclass(frozen=True, slots=True)
class StandardFacts:
    code: str
    status: StandardStatus = StandardStatus.IN_FORCE
    superseded_by: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    """The first day it no longer applies (废止日期), or None while it has no end."""


@dataclass(frozen=True, slots=True)
class LabFacts:
    lab_id: str
    status: LabStatus
    accredited_until: date | None
    scope: frozenset[str]
    """Product categories the accreditation covers (CNAS scope)."""


@dataclass(frozen=True, slots=True)
class RegistrySnapshot:
    """What intake consults, loaded whole and replaced whole (never read per record)."""

    standards: Mapping[str, StandardFacts] = field(default_factory=dict)
    labs: Mapping[str, LabFacts] = field(default_factory=dict)
    manufacturers: Mapping[str, str] = field(default_factory=dict)
    """credit code -> home jurisdiction (`manufacturers.jurisdiction`, the authoritative copy)."""


@dataclass(frozen=True, slots=True)
class RegistryProblem:
    refusal: RegistryRefusal
    field: str
    detail: str


def check_product(
    category: str, kind: str, where: str = "payload.product"
) -> RegistryProblem | None:
    """The kind is in the taxonomy and belongs to the stated category."""
    actual = category_of(kind)
    if actual is None:
        return RegistryProblem(
            RegistryRefusal.UNKNOWN_PRODUCT_KIND,
            f"{where}.kind",
            f"product kind {kind!r} is not in the product taxonomy (产品目录); use one of the"
            " 77 kind codes (`recall registry sample` lists them under product_kinds)",
        )
    if actual != category:
        return RegistryProblem(
            RegistryRefusal.KIND_NOT_IN_CATEGORY,
            f"{where}.category",
            f"product kind {kind!r} belongs to category {actual!r}, not {category!r};"
            f" send category {actual!r}",
        )
    return None


def china_date(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def check_standard(
    standard: StandardFacts | None, code: str, sampled_at: datetime
) -> RegistryProblem | None:
    """The standard is registered and was in force on the sampling date (China time).

    A superseded or withdrawn standard still judges samples taken before its end date
    (`valid_until`): the lab tested against what applied then.
    """
    where = "payload.standard"
    if standard is None:
        return RegistryProblem(
            RegistryRefusal.UNKNOWN_STANDARD,
            where,
            f"standard {code!r} is not in the standards registry (标准库); check the code and"
            " year against the certificate, or ask the regulator to register it, then resend",
        )
    day = china_date(sampled_at)
    ended = standard.valid_until is not None and day >= standard.valid_until
    if standard.status is not StandardStatus.IN_FORCE and (standard.valid_until is None or ended):
        since = f" since {standard.valid_until.isoformat()}" if standard.valid_until else ""
        replaced = (
            f"; it was replaced by {standard.superseded_by}: retest against"
            f" {standard.superseded_by} and send the new result"
            if standard.superseded_by
            else "; retest against the standard now in force and send the new result"
        )
        return RegistryProblem(
            RegistryRefusal.STANDARD_WITHDRAWN,
            where,
            f"standard {code!r} is withdrawn (已废止){since}{replaced}",
        )
    if (standard.valid_from is not None and day < standard.valid_from) or ended:
        window = (
            f"{standard.valid_from.isoformat() if standard.valid_from else '…'} to"
            f" {standard.valid_until.isoformat() if standard.valid_until else '…'}"
        )
        return RegistryProblem(
            RegistryRefusal.STANDARD_NOT_IN_FORCE,
            where,
            f"standard {code!r} was not in force on the sampling date {day.isoformat()}"
            f" (in force {window}); check payload.sampled_at, or test against the standard"
            " that applied on that date",
        )
    return None


def check_lab(
    lab: LabFacts | None,
    lab_id: str,
    *,
    category: str,
    sampled_at: datetime,
    reporter_id: str,
    reporter_kind: str,
) -> RegistryProblem | None:
    """The lab is registered, accredited on the sampling date for the product's category, and,
    when a lab station reports, it is that lab: a lab speaks only for its own results
    (a lab's station id is its lab id). Enforcement stations may file any registered lab's
    result: they commission the tests."""
    where = "payload.lab_id"
    if reporter_kind == "lab" and lab_id != reporter_id:
        return RegistryProblem(
            RegistryRefusal.LAB_NOT_REPORTER,
            where,
            f"lab station {reporter_id!r} may only report its own results (lab_id"
            f" {reporter_id!r}), not lab {lab_id!r}'s; that lab must send them itself",
        )
    if lab is None:
        return RegistryProblem(
            RegistryRefusal.UNKNOWN_LAB,
            where,
            f"lab {lab_id!r} is not in the lab registry (检验检测机构库); ask the regulator to"
            " register it with its accreditation, then resend",
        )
    day = china_date(sampled_at)
    if lab.status is not LabStatus.ACCREDITED:
        return RegistryProblem(
            RegistryRefusal.LAB_NOT_ACCREDITED,
            where,
            f"lab {lab_id!r}'s accreditation is {lab.status.value} (资质{_STATUS_ZH[lab.status]});"
            " results from it are not evidence until it is reinstated",
        )
    if lab.accredited_until is not None and day > lab.accredited_until:
        return RegistryProblem(
            RegistryRefusal.LAB_NOT_ACCREDITED,
            where,
            f"lab {lab_id!r}'s accreditation expired on {lab.accredited_until.isoformat()},"
            f" before the sampling date {day.isoformat()} (资质过期); renew it and have the"
            " registry updated, then resend",
        )
    if category not in lab.scope:
        return RegistryProblem(
            RegistryRefusal.LAB_OUT_OF_SCOPE,
            where,
            f"lab {lab_id!r} is not accredited for {category!r} products (超出认可范围;"
            f" scope: {', '.join(sorted(lab.scope)) or 'none'}); have an accredited lab test it",
        )
    return None


_STATUS_ZH = {LabStatus.ACCREDITED: "有效", LabStatus.SUSPENDED: "暂停", LabStatus.REVOKED: "撤销"}


def check_recall_firm(
    manufacturers: Mapping[str, str], manufacturer_code: str | None
) -> RegistryProblem | None:
    """A recall notice names a registered firm (its home jurisdiction routes the recall)."""
    if manufacturer_code is not None and manufacturer_code in manufacturers:
        return None
    return RegistryProblem(
        RegistryRefusal.UNKNOWN_MANUFACTURER,
        "payload.product.manufacturer_code",
        f"manufacturer {manufacturer_code!r} is not in the manufacturer registry (企业库); a"
        " recall needs the firm on file with its home jurisdiction: register it"
        " (`recall registry change manufacturers …`), then resend",
    )

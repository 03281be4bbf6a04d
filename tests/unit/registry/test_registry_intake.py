"""`process_record` with a registry snapshot: each registry check ends in its dead letter."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import orjson
import pytest

from recall.domain.registry import (
    LabFacts,
    LabStatus,
    RegistrySnapshot,
    StandardFacts,
    StandardStatus,
)
from recall.service.intake.admission import Accepted, Rejected, process_record
from schemas import RejectReason
from schemas.records import DeadLetter
from tests.unit.schemas.builders import (
    LAB,
    USCC,
    injury_event,
    injury_payload,
    product,
    recall_notice_event,
    recall_notice_payload,
    sampling_event,
    sampling_payload,
)
from tests.unit.service.intake.intake_builders import NOW, RULES, raw

SNAPSHOT = RegistrySnapshot(
    standards={
        "GB 4706.19-2008": StandardFacts("GB 4706.19-2008", valid_from=date(2009, 12, 1)),
        "GB 4706.1-1998": StandardFacts(
            "GB 4706.1-1998",
            StandardStatus.SUPERSEDED,
            "GB 4706.1-2005",
            date(1999, 1, 1),
            date(2005, 8, 1),
        ),
        "GB 9999-2025": StandardFacts("GB 9999-2025", valid_from=date(2025, 6, 1)),
    },
    labs={
        LAB: LabFacts(LAB, LabStatus.ACCREDITED, date(2027, 12, 31), frozenset({"appliances"})),
        "lab-other": LabFacts("lab-other", LabStatus.ACCREDITED, None, frozenset({"appliances"})),
    },
    manufacturers={USCC: "140100"},
)
JUDGING = replace(RULES, registry=SNAPSHOT)


def _letter(event: dict[str, Any], reason: RejectReason) -> dict[str, Any]:
    outcome = process_record(raw(event), JUDGING, NOW)
    assert isinstance(outcome, Rejected), outcome
    assert outcome.reason is reason, orjson.loads(outcome.dead_letter)
    DeadLetter.model_validate_json(outcome.dead_letter)
    letter: dict[str, Any] = orjson.loads(outcome.dead_letter)
    assert letter["reason"] == reason.value
    return letter


def test_a_sampling_result_that_passes_every_registry_check_is_accepted() -> None:
    assert isinstance(process_record(raw(sampling_event()), JUDGING, NOW), Accepted)


def test_an_injury_report_from_an_unregistered_firm_is_accepted() -> None:
    """A hospital cannot know which firms the province registered: the report is kept."""
    event = injury_event(injury_payload(product=product(manufacturer_code="91310000132200821H")))
    assert isinstance(process_record(raw(event), JUDGING, NOW), Accepted)


@pytest.mark.parametrize(
    "event",
    [
        injury_event(injury_payload(product=product(kind="no_such_kind"))),
        sampling_event(sampling_payload(product=product(kind="no_such_kind"))),
        recall_notice_event(recall_notice_payload(product=product(kind="no_such_kind"))),
    ],
    ids=["injury_report", "sampling_result", "recall_notice"],
)
def test_an_unknown_product_kind_is_dead_lettered_for_every_event_with_a_product(
    event: dict[str, Any],
) -> None:
    letter = _letter(event, RejectReason.UNKNOWN_PRODUCT_KIND)
    assert letter["errors"][0]["field"] == "payload.product.kind"


def test_the_kind_check_runs_even_without_a_registry_snapshot() -> None:
    event = injury_event(injury_payload(product=product(kind="no_such_kind")))
    outcome = process_record(raw(event), RULES, NOW)
    assert isinstance(outcome, Rejected)
    assert outcome.reason is RejectReason.UNKNOWN_PRODUCT_KIND


def test_a_kind_stated_under_another_category_is_dead_lettered() -> None:
    event = injury_event(injury_payload(product=product(category="children")))
    letter = _letter(event, RejectReason.KIND_NOT_IN_CATEGORY)
    assert "belongs to category 'appliances'" in letter["errors"][0]["message"]


@pytest.mark.parametrize(
    ("overrides", "reason", "says"),
    [
        ({"standard": "GB 1234-2020"}, RejectReason.UNKNOWN_STANDARD, "not in the standards"),
        ({"standard": "GB 4706.1-1998"}, RejectReason.STANDARD_WITHDRAWN, "GB 4706.1-2005"),
        ({"standard": "GB 9999-2025"}, RejectReason.STANDARD_NOT_IN_FORCE, "not in force"),
        ({"lab_id": "lab-other"}, RejectReason.LAB_NOT_REPORTER, "only report its own"),
        (
            {"product": product(category="children", kind="stroller")},
            RejectReason.LAB_OUT_OF_SCOPE,
            "not accredited for 'children'",
        ),
    ],
)
def test_sampling_result_registry_refusals(
    overrides: dict[str, Any], reason: RejectReason, says: str
) -> None:
    letter = _letter(sampling_event(sampling_payload(**overrides)), reason)
    assert says in letter["errors"][0]["message"]


def test_a_sampling_result_from_an_unregistered_lab_is_dead_lettered() -> None:
    rules = replace(JUDGING, registry=replace(SNAPSHOT, labs={}))
    outcome = process_record(raw(sampling_event()), rules, NOW)
    assert isinstance(outcome, Rejected)
    assert outcome.reason is RejectReason.UNKNOWN_LAB


def test_a_sampling_result_from_a_suspended_lab_is_dead_lettered() -> None:
    suspended = LabFacts(LAB, LabStatus.SUSPENDED, None, frozenset({"appliances"}))
    rules = replace(JUDGING, registry=replace(SNAPSHOT, labs={LAB: suspended}))
    outcome = process_record(raw(sampling_event()), rules, NOW)
    assert isinstance(outcome, Rejected)
    assert outcome.reason is RejectReason.LAB_NOT_ACCREDITED


def test_a_recall_notice_for_an_unregistered_firm_is_dead_lettered() -> None:
    other = product(manufacturer_code="91310000132200821H")
    letter = _letter(
        recall_notice_event(recall_notice_payload(product=other)),
        RejectReason.UNKNOWN_MANUFACTURER,
    )
    assert letter["errors"][0]["field"] == "payload.product.manufacturer_code"


def test_a_recall_notice_for_a_registered_firm_passes_the_registry() -> None:
    assert isinstance(process_record(raw(recall_notice_event()), JUDGING, NOW), Accepted)

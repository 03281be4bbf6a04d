"""The registry checks of `recall.domain.registry`: each refusal, its reason and its message."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from recall.domain.registry import (
    LabFacts,
    LabStatus,
    RegistryProblem,
    RegistryRefusal,
    StandardFacts,
    StandardStatus,
    check_lab,
    check_product,
    check_recall_firm,
    check_standard,
)
from recall.domain.taxonomy import CATEGORY_OF, TAXONOMY, category_of, kinds_of
from schemas import RejectReason

SAMPLED = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def test_every_refusal_is_a_reject_reason() -> None:
    assert {r.value for r in RegistryRefusal} <= {r.value for r in RejectReason}


def test_the_taxonomy_has_10_categories_and_77_kinds_each_in_one_category() -> None:
    assert len(TAXONOMY) == 10
    assert len(CATEGORY_OF) == 77
    assert category_of("stroller") == "children"
    assert category_of("no_such_kind") is None
    assert "power_bank" in kinds_of("electronics")


def test_a_kind_in_its_category_passes() -> None:
    assert check_product("electronics", "power_bank") is None


def test_an_unknown_kind_is_refused_with_what_to_do() -> None:
    problem = check_product("electronics", "no_such_kind")
    assert problem is not None
    assert problem.refusal is RegistryRefusal.UNKNOWN_PRODUCT_KIND
    assert problem.field == "payload.product.kind"
    assert "'no_such_kind'" in problem.detail and "77 kind codes" in problem.detail


def test_a_kind_under_another_category_is_refused_naming_the_right_one() -> None:
    problem = check_product("children", "power_bank")
    assert problem is not None
    assert problem.refusal is RegistryRefusal.KIND_NOT_IN_CATEGORY
    assert problem.field == "payload.product.category"
    assert "send category 'electronics'" in problem.detail


IN_FORCE = StandardFacts("GB 1-2020", valid_from=date(2021, 1, 1))


def test_a_standard_in_force_on_the_sampling_date_passes() -> None:
    assert check_standard(IN_FORCE, "GB 1-2020", SAMPLED) is None


def test_an_unknown_standard_is_refused() -> None:
    problem = check_standard(None, "GB 9-2020", SAMPLED)
    assert problem is not None
    assert problem.refusal is RegistryRefusal.UNKNOWN_STANDARD
    assert problem.field == "payload.standard"
    assert "not in the standards registry" in problem.detail


def test_a_superseded_standard_is_refused_naming_its_replacement() -> None:
    old = StandardFacts(
        "GB 6675-2003", StandardStatus.SUPERSEDED, "GB 6675.1-2014", date(2003, 10, 1),
        date(2016, 1, 1),
    )  # fmt: skip
    problem = check_standard(old, "GB 6675-2003", SAMPLED)
    assert problem is not None
    assert problem.refusal is RegistryRefusal.STANDARD_WITHDRAWN
    assert "withdrawn" in problem.detail and "since 2016-01-01" in problem.detail
    assert "replaced by GB 6675.1-2014" in problem.detail
    assert "retest against GB 6675.1-2014" in problem.detail


def test_a_withdrawn_standard_without_replacement_says_so() -> None:
    gone = StandardFacts("GB 2-2010", StandardStatus.WITHDRAWN)
    problem = check_standard(gone, "GB 2-2010", SAMPLED)
    assert problem is not None
    assert problem.refusal is RegistryRefusal.STANDARD_WITHDRAWN
    assert "withdrawn" in problem.detail and "standard now in force" in problem.detail


def test_a_withdrawn_standard_still_judges_samples_taken_before_its_end() -> None:
    ends = StandardFacts("GB 2-2010", StandardStatus.WITHDRAWN, valid_until=date(2026, 3, 11))
    assert check_standard(ends, "GB 2-2010", SAMPLED) is None
    ended = StandardFacts("GB 2-2010", StandardStatus.WITHDRAWN, valid_until=date(2026, 3, 10))
    assert check_standard(ended, "GB 2-2010", SAMPLED) is not None


def test_the_sampling_date_is_taken_in_china_time() -> None:
    # 2026-03-09 17:00 UTC is 2026-03-10 01:00 in China: the standard applies from the 10th.
    starts = StandardFacts("GB 3-2025", valid_from=date(2026, 3, 10))
    assert check_standard(starts, "GB 3-2025", datetime(2026, 3, 9, 17, tzinfo=UTC)) is None
    assert check_standard(starts, "GB 3-2025", datetime(2026, 3, 9, 15, tzinfo=UTC)) is not None


@pytest.mark.parametrize(
    "standard",
    [
        StandardFacts("GB 3-2025", valid_from=date(2026, 6, 1)),  # not yet
        StandardFacts("GB 3-2025", valid_until=date(2026, 1, 1)),  # no longer
    ],
)
def test_a_standard_not_in_force_on_the_sampling_date_is_refused(standard: StandardFacts) -> None:
    problem = check_standard(standard, "GB 3-2025", SAMPLED)
    assert problem is not None
    assert problem.refusal is RegistryRefusal.STANDARD_NOT_IN_FORCE
    assert "not in force on the sampling date 2026-03-10" in problem.detail


LAB = LabFacts("LAB-1", LabStatus.ACCREDITED, date(2027, 12, 31), frozenset({"children"}))


def _lab(lab: LabFacts | None, lab_id: str = "LAB-1", **kw: str) -> RegistryProblem | None:
    args = {"category": "children", "reporter_id": "LAB-1", "reporter_kind": "lab"} | kw
    return check_lab(lab, lab_id, sampled_at=SAMPLED, **args)


def test_an_accredited_lab_in_scope_reporting_its_own_result_passes() -> None:
    assert _lab(LAB) is None


def test_an_enforcement_station_may_file_any_registered_labs_result() -> None:
    assert _lab(LAB, reporter_id="ENF-1", reporter_kind="enforcement") is None


@pytest.mark.parametrize(
    ("lab", "lab_id", "overrides", "refusal", "says"),
    [
        (LAB, "LAB-2", {}, RegistryRefusal.LAB_NOT_REPORTER, "may only report its own results"),
        (None, "LAB-1", {}, RegistryRefusal.UNKNOWN_LAB, "not in the lab registry"),
        (
            LabFacts("LAB-1", LabStatus.SUSPENDED, None, frozenset({"children"})),
            "LAB-1", {}, RegistryRefusal.LAB_NOT_ACCREDITED, "suspended",
        ),
        (
            LabFacts("LAB-1", LabStatus.ACCREDITED, date(2026, 3, 9), frozenset({"children"})),
            "LAB-1", {}, RegistryRefusal.LAB_NOT_ACCREDITED, "expired on 2026-03-09",
        ),
        (LAB, "LAB-1", {"category": "vehicles"}, RegistryRefusal.LAB_OUT_OF_SCOPE, "'vehicles'"),
    ],
)  # fmt: skip
def test_lab_refusals(
    lab: LabFacts | None,
    lab_id: str,
    overrides: dict[str, str],
    refusal: RegistryRefusal,
    says: str,
) -> None:
    problem = _lab(lab, lab_id, **overrides)
    assert problem is not None
    assert problem.refusal is refusal
    assert says in problem.detail
    assert problem.field == "payload.lab_id"


def test_a_recall_needs_a_registered_firm() -> None:
    firms = {"91140105MA0L000001": "140105"}
    assert check_recall_firm(firms, "91140105MA0L000001") is None
    problem = check_recall_firm(firms, "91110000MA0L000009")
    assert problem is not None
    assert problem.refusal is RegistryRefusal.UNKNOWN_MANUFACTURER
    assert "register it" in problem.detail

"""Purchase-sampling results: verdict consistency, hazards, channel and product rules."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from schemas import SamplingResult
from schemas.common import Hazard
from tests.unit.schemas.builders import (
    USCC,
    clause,
    failed_clause,
    failed_sampling_payload,
    product,
    sampling_payload,
)


def _parse(payload: dict[str, Any]) -> SamplingResult:
    return SamplingResult.model_validate(payload)


def _refusal(payload: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        _parse(payload)
    return str(caught.value)


def test_passing_sample_is_accepted() -> None:
    result = _parse(sampling_payload())
    assert result.overall == "pass"
    assert result.failed_clauses == ()


def test_failing_sample_names_its_failed_clauses() -> None:
    result = _parse(failed_sampling_payload())
    assert result.failed_clauses == ("19.1",)
    assert result.hazards == (Hazard.FIRE,)


@pytest.mark.parametrize(
    ("verdicts", "overall", "ok"),
    [
        (("pass",), "pass", True),
        (("pass", "pass"), "pass", True),
        (("fail",), "fail", True),
        (("pass", "fail"), "fail", True),
        (("fail", "fail"), "fail", True),
        (("pass",), "fail", False),
        (("pass", "pass"), "fail", False),
        (("fail",), "pass", False),
        (("pass", "fail"), "pass", False),
    ],
)
def test_overall_fails_exactly_when_an_item_failed(
    verdicts: tuple[str, ...], overall: str, ok: bool
) -> None:
    items = [clause(clause=f"{i + 1}.1", verdict=v) for i, v in enumerate(verdicts)]
    payload = sampling_payload(items=items, overall=overall, hazards=["fire"])
    if ok:
        assert _parse(payload).overall == overall
    else:
        assert "exactly when some test item failed" in _refusal(payload)


def test_failed_sample_without_hazards_is_refused() -> None:
    assert "at least one hazard" in _refusal(failed_sampling_payload(hazards=[]))


def test_passing_sample_may_still_name_hazards() -> None:
    assert _parse(sampling_payload(hazards=["cuts"])).hazards == (Hazard.CUTS,)


def test_unknown_hazard_is_refused() -> None:
    assert "hazards.0" in _refusal(failed_sampling_payload(hazards=["radiation"]))


def test_at_most_15_hazards() -> None:
    assert len(_parse(failed_sampling_payload(hazards=["fire"] * 15)).hazards) == 15
    assert "hazards" in _refusal(failed_sampling_payload(hazards=["fire"] * 16))


@pytest.mark.parametrize(("count", "ok"), [(0, False), (1, True), (500, True), (501, False)])
def test_items_are_bounded(count: int, ok: bool) -> None:
    payload = sampling_payload(items=[clause(clause=f"{i}") for i in range(count)])
    if ok:
        assert len(_parse(payload).items) == count
    else:
        assert "items" in _refusal(payload)


def test_online_sample_must_name_its_platform() -> None:
    channel = {"kind": "online", "shop": "Acme flagship"}
    assert "must name its platform" in _refusal(sampling_payload(channel=channel))
    named = _parse(sampling_payload(channel={**channel, "platform": "Tmall"}))
    assert named.channel.platform == "Tmall"


def test_store_sample_needs_no_platform() -> None:
    assert _parse(sampling_payload()).channel.platform is None


@pytest.mark.parametrize("channel", [{"kind": "market", "shop": "x"}, {"kind": "store"}])
def test_channel_shape(channel: dict[str, str]) -> None:
    assert "channel" in _refusal(sampling_payload(channel=channel))


def test_sampling_product_requires_the_manufacturer_code() -> None:
    no_code = product()
    del no_code["manufacturer_code"]
    assert "product.manufacturer_code" in _refusal(sampling_payload(product=no_code))
    assert "product.manufacturer_code" in _refusal(
        sampling_payload(product=product(manufacturer_code=None))
    )


def test_sampling_product_credit_code_is_checked_and_upper_cased() -> None:
    assert (
        _parse(
            sampling_payload(product=product(manufacturer_code=USCC.lower()))
        ).product.manufacturer_code
        == USCC
    )
    assert "check character" in _refusal(
        sampling_payload(product=product(manufacturer_code=USCC[:-1] + "0"))
    )


@pytest.mark.parametrize(
    "standard", ["GB 4706.19-2008", "GB/T 2828.1-2012", "GB 6675.2-2014", "QB 1234", "GB6675"]
)
def test_standard_references_accepted(standard: str) -> None:
    assert _parse(sampling_payload(standard=standard)).standard == standard


@pytest.mark.parametrize(
    "standard", ["", "gb 6675", "GB", "GB 6675-14", "GB 6675.2–2014", "ABCDE 1", "GB/TT 1"]
)
def test_malformed_standard_references_refused(standard: str) -> None:
    assert "standard" in _refusal(sampling_payload(standard=standard))


@pytest.mark.parametrize("ref", ["8.1", "A.2(b)", "19", "5.1.2.3"])
def test_clause_references_accepted(ref: str) -> None:
    assert _parse(sampling_payload(items=[clause(clause=ref)])).items[0].clause == ref


@pytest.mark.parametrize("ref", ["", "8 1", "8.1-a", "x" * 21, "条款8"])
def test_malformed_clause_references_refused(ref: str) -> None:
    assert "items.0.clause" in _refusal(sampling_payload(items=[clause(clause=ref)]))


def test_clause_verdict_is_coded() -> None:
    assert "items.0.verdict" in _refusal(sampling_payload(items=[clause(verdict="ok")]))


def test_measured_and_limit_are_scanned_for_identifiers() -> None:
    bad = failed_clause(measured="联系 13800138000")
    assert "must not identify patients" in _refusal(failed_sampling_payload(items=[bad]))


@pytest.mark.parametrize(
    "field",
    ["sample_id", "sampled_at", "channel", "product", "standard", "items", "overall", "lab_id"],
)
def test_required_sampling_fields(field: str) -> None:
    payload = sampling_payload()
    del payload[field]
    assert field in _refusal(payload)

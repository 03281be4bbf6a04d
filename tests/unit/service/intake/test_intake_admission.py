"""`admit()`: who may report what, where — the full truth table and the order of refusals."""

from __future__ import annotations

import pytest

from recall.domain.intake import AdmissionRefused, Refusal, Reporter, admit
from schemas import RejectReason, StationKind

KINDS = tuple(kind.value for kind in StationKind)
WITNESSES = frozenset(KINDS) - {"firm"}
PERMITTED: dict[str, frozenset[str]] = {
    "injury_report": WITNESSES,
    "station_heartbeat": frozenset(KINDS),
    "sampling_result": frozenset({"lab", "enforcement"}),
    "recall_notice": frozenset({"firm", "enforcement"}),
    "recall_progress_report": frozenset({"firm"}),
    "complaint": frozenset(),  # an event type nobody is registered for
}


def _reporter(
    kind: str = "hospital", jurisdiction: str = "140105", *, enabled: bool = True
) -> Reporter:
    return Reporter("r-1", kind, jurisdiction, enabled)


def _admit(
    reporter: Reporter | None, event_type: str = "injury_report", jurisdiction: str = "140105"
) -> AdmissionRefused | None:
    return admit(reporter, reporter_id="r-1", event_type=event_type, jurisdiction=jurisdiction)


@pytest.mark.parametrize("event_type", sorted(PERMITTED))
@pytest.mark.parametrize("kind", KINDS)
def test_kind_by_event_type_truth_table(kind: str, event_type: str) -> None:
    refused = _admit(_reporter(kind), event_type)
    if kind in PERMITTED[event_type]:
        assert refused is None
    else:
        assert refused is not None
        assert refused.refusal is Refusal.NOT_PERMITTED
        assert kind in refused.detail
        assert event_type in refused.detail


@pytest.mark.parametrize(
    ("scope", "target", "allowed"),
    [
        ("140105", "140105", True),  # a county: itself
        ("140105", "140106", False),  # not its neighbour
        ("140105", "140100", False),  # not its city
        ("140105", "140000", False),  # not its province
        ("140100", "140100", True),  # a city: itself
        ("140100", "140105", True),  # its counties
        ("140100", "140212", False),  # not another city's county
        ("140100", "140200", False),
        ("140000", "140000", True),  # a province: everything inside
        ("140000", "140212", True),
        ("140000", "110101", False),
        ("110000", "110101", True),  # municipality
    ],
)
def test_jurisdiction_truth_table(scope: str, target: str, allowed: bool) -> None:
    refused = _admit(_reporter("hospital", scope), jurisdiction=target)
    if allowed:
        assert refused is None
    else:
        assert refused is not None
        assert refused.refusal is Refusal.WRONG_JURISDICTION
        assert scope in refused.detail
        assert target in refused.detail


@pytest.mark.parametrize(
    ("reporter", "event_type", "jurisdiction", "expected"),
    [
        (None, "sampling_result", "110101", Refusal.UNKNOWN_REPORTER),
        (_reporter(enabled=False), "sampling_result", "110101", Refusal.DISABLED_REPORTER),
        (_reporter(enabled=False), "injury_report", "140105", Refusal.DISABLED_REPORTER),
        (_reporter(), "sampling_result", "110101", Refusal.WRONG_JURISDICTION),
        (_reporter(), "sampling_result", "140105", Refusal.NOT_PERMITTED),
        (_reporter(), "injury_report", "140105", None),
    ],
)
def test_refusals_are_checked_in_order(
    reporter: Reporter | None, event_type: str, jurisdiction: str, expected: Refusal | None
) -> None:
    refused = _admit(reporter, event_type, jurisdiction)
    assert (refused.refusal if refused else None) is expected


def test_unknown_reporter_message_says_how_to_register() -> None:
    refused = admit(None, reporter_id="ghost-1", event_type="injury_report", jurisdiction="140105")
    assert refused is not None
    assert "ghost-1" in refused.detail
    assert "recall registry load" in refused.detail


def test_disabled_message_names_the_reporter() -> None:
    refused = admit(
        _reporter(enabled=False),
        reporter_id="r-1",
        event_type="injury_report",
        jurisdiction="140105",
    )
    assert refused is not None
    assert "'r-1'" in refused.detail


def test_unknown_kind_is_not_permitted_anything() -> None:
    for event_type in PERMITTED:
        refused = _admit(_reporter("pharmacy"), event_type)
        assert refused is not None
        assert refused.refusal is Refusal.NOT_PERMITTED


def test_refusal_values_pass_through_as_reject_reasons() -> None:
    for refusal in Refusal:
        assert RejectReason(refusal.value).value == refusal.value

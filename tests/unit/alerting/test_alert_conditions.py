"""The condition/moment rules Alertmanager forwarding rests on (recall/domain/alert_conditions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from recall.domain.alert_conditions import (
    FIRING,
    RESOLVED,
    SEMANTICS,
    Incoming,
    Semantics,
    apply,
    condition_key,
    is_active,
    region_labels,
    semantics_of,
    send_ends_at,
)
from schemas.risk import AlertKind

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
TTL = timedelta(hours=6)


def _alert(kind: str, status: str, minutes: int, alert_id: str = "a") -> Incoming:
    return Incoming(alert_id, kind, "R-1", status, T0 + timedelta(minutes=minutes))


def test_every_alert_kind_is_decided() -> None:
    assert set(SEMANTICS) == {kind.value for kind in AlertKind}
    assert semantics_of("something_new") is Semantics.MOMENT  # never fires for ever


def test_a_condition_fires_until_resolved_and_keeps_its_start() -> None:
    first = apply(None, _alert("recall_lagging", FIRING, 0, "a1"), moment_ttl=TTL)
    assert first is not None and first.ends_at is None and first.starts_at == T0
    again = apply(first, _alert("recall_lagging", FIRING, 10, "a2"), moment_ttl=TTL)
    assert again is not None and again.starts_at == T0 and again.alert_id == "a2"
    ended = apply(again, _alert("recall_lagging", RESOLVED, 20, "a3"), moment_ttl=TTL)
    assert ended is not None and ended.status == RESOLVED
    assert ended.starts_at == T0 and ended.ends_at == T0 + timedelta(minutes=20)
    assert not is_active(ended, T0 + timedelta(minutes=21))
    refired = apply(ended, _alert("recall_lagging", FIRING, 30, "a4"), moment_ttl=TTL)
    assert refired is not None and refired.starts_at == T0 + timedelta(minutes=30)


def test_order_of_arrival_does_not_matter() -> None:
    firing, resolving = _alert("station_silent", FIRING, 0), _alert("station_silent", RESOLVED, 5)
    resolved_first = apply(None, resolving, moment_ttl=TTL)
    assert resolved_first is not None
    assert apply(resolved_first, firing, moment_ttl=TTL) is None  # older: changes nothing
    in_order = apply(apply(None, firing, moment_ttl=TTL), resolving, moment_ttl=TTL)
    assert in_order is not None and in_order.status == RESOLVED == resolved_first.status


def test_a_repeat_changes_nothing_and_resolved_wins_a_tie() -> None:
    firing = apply(None, _alert("recall_lagging", FIRING, 0), moment_ttl=TTL)
    assert firing is not None
    assert apply(firing, _alert("recall_lagging", FIRING, 0), moment_ttl=TTL) is None
    tie = apply(firing, _alert("recall_lagging", RESOLVED, 0, "b"), moment_ttl=TTL)
    assert tie is not None and tie.status == RESOLVED


def test_moments_are_one_per_alert_and_end_by_themselves() -> None:
    opened = apply(None, _alert("investigation_opened", FIRING, 0, "x"), moment_ttl=TTL)
    assert opened is not None and opened.ends_at == T0 + TTL
    assert condition_key("investigation_opened", "R-1", "x") != condition_key(
        "investigation_opened", "R-1", "y"
    )
    assert condition_key("recall_lagging", "R-1", "x") == condition_key(
        "recall_lagging", "R-1", "y"
    )
    assert is_active(opened, T0 + TTL - timedelta(seconds=1))
    assert not is_active(opened, T0 + TTL)
    assert send_ends_at(opened, T0, timedelta(minutes=1)) == T0 + TTL


def test_a_firing_condition_is_sent_ending_a_few_resends_ahead() -> None:
    firing = apply(None, _alert("recall_lagging", FIRING, 0), moment_ttl=TTL)
    assert firing is not None
    assert send_ends_at(firing, T0, timedelta(minutes=1)) == T0 + timedelta(minutes=4)


def test_an_alert_of_another_condition_is_refused() -> None:
    firing = apply(None, _alert("recall_lagging", FIRING, 0), moment_ttl=TTL)
    assert firing is not None
    with pytest.raises(ValueError, match="not about"):
        apply(firing, _alert("station_silent", FIRING, 1), moment_ttl=TTL)


@pytest.mark.parametrize(
    ("code", "labels"),
    [
        ("440305", {"region": "440305", "region_city": "440300", "region_province": "440000"}),
        ("440000", {"region": "440000", "region_city": "440000", "region_province": "440000"}),
        (None, {}),
        ("44", {}),
    ],
)
def test_region_labels_by_prefix(code: str | None, labels: dict[str, str]) -> None:
    assert region_labels(code) == labels

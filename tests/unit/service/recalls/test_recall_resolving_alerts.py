"""The recall stage ends the conditions it raised: `recall_lagging` when a lagging recall is
back on track (or completes), `progress_report_overdue` once no report is overdue any more —
each by one resolving alert (same kind and subject, status resolved), however often judged."""

from __future__ import annotations

from typing import Any

from recall.service.recalls.deadlines import check_deadlines
from recall.service.recalls.effectiveness import update_effectiveness
from tests.support.memory_storage import MemoryStorage
from tests.unit.service.recalls.recall_builders import (
    TOPICS,
    corrected_at,
    day,
    intake,
    notice,
    published,
    report,
    reports,
    seeded,
)


def _alerts(storage: MemoryStorage, status: str | None = None) -> list[dict[str, Any]]:
    found = published(storage, "alerts")
    return [a for a in found if status is None or a["status"] == status]


def test_a_lagging_recall_back_on_track_resolves_its_alert_once() -> None:
    storage = seeded([notice(target_rate=0.9), *reports(3, final=0.3, tau=30)], day(91))
    update_effectiveness(storage, "R-1", TOPICS, day(91))
    (firing,) = _alerts(storage)
    assert (firing["kind"], firing["status"], firing["category"]) == (
        "recall_lagging",
        "firing",
        "appliances",
    )
    assert _alerts(storage, "resolved") == []

    assert intake(storage, [report(4, 880), report(5, 900)], day(151)) == {}
    decisions = update_effectiveness(storage, "R-1", TOPICS, day(151))
    assert decisions.resolved == ["recall_lagging"]
    (resolved,) = _alerts(storage, "resolved")
    assert (resolved["kind"], resolved["subject"]) == (firing["kind"], firing["subject"])
    assert resolved["alert_id"] != firing["alert_id"]
    assert "back on target" in resolved["details"]["reason"]
    assert resolved["details"]["target_rate"] == "0.90"

    again = update_effectiveness(storage, "R-1", TOPICS, day(152))
    assert again.resolved == []  # still on track: nothing more to end
    assert len(_alerts(storage, "resolved")) == 1


def test_a_recall_in_progress_resolves_nothing() -> None:
    storage = seeded([notice(), report(1, corrected_at(30))], day(31))
    decisions = update_effectiveness(storage, "R-1", TOPICS, day(31))
    assert decisions.resolved == []
    assert _alerts(storage) == []


def test_the_overdue_report_arriving_resolves_the_overdue_alert() -> None:
    storage = seeded([notice(), *reports(2)], day(61))
    check_deadlines(storage, TOPICS, day(95))
    (overdue,) = _alerts(storage)
    assert (overdue["kind"], overdue["status"]) == ("progress_report_overdue", "firing")

    assert intake(storage, [report(3, corrected_at(90), late_days=6)], day(96)) == {}
    decisions = update_effectiveness(storage, "R-1", TOPICS, day(96))
    assert decisions.resolved == ["progress_report_overdue"]
    (resolved,) = _alerts(storage, "resolved")
    assert (resolved["kind"], resolved["subject"]) == ("progress_report_overdue", "R-1")
    assert resolved["details"]["sequence"] == "3"
    assert resolved["details"]["days_overdue"] == "6.0"

    update_effectiveness(storage, "R-1", TOPICS, day(97))  # judged again: the same alert id
    assert len(_alerts(storage, "resolved")) == 1


def test_overdue_stays_firing_while_another_report_is_still_missing() -> None:
    storage = seeded([notice(), report(1, corrected_at(30))], day(31))
    check_deadlines(storage, TOPICS, day(95))  # reports 2 and 3 overdue
    assert intake(storage, [report(2, corrected_at(60), late_days=35)], day(96)) == {}
    decisions = update_effectiveness(storage, "R-1", TOPICS, day(96))
    assert decisions.resolved == []
    assert _alerts(storage, "resolved") == []

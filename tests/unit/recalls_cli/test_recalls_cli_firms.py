"""Firm event builders: valid wire events the intake accepts, sane cumulative counts."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from recall.domain.intake import Reporter
from recall.tools.registry.sample import credit_code
from recall.tools.simulate.events import SimProduct
from recall.tools.simulate.firms import FirmPlan, FirmRecall, SimFirm, firm_recalls
from schemas import STATION_EVENT_ADAPTER

NOW = datetime(2025, 6, 30, 8, tzinfo=UTC)
_RNG = random.Random(5)
CODES = [credit_code(_RNG, "140105") for _ in range(3)]
FIRMS = [SimFirm(f"FIRM-{c}", "140105", c) for c in CODES]
PRODUCTS = [
    SimProduct(c, "童悦", f"ST-{i}{j}", "children", "stroller", None)
    for i, c in enumerate(CODES)
    for j in range(2)
]


def _built(**plan: float) -> list[FirmRecall]:
    return firm_recalls(FIRMS, PRODUCTS, FirmPlan(12, seed=4, **plan), NOW)  # type: ignore[arg-type]


def _payloads(recall: FirmRecall) -> list[dict[str, object]]:
    return [orjson.loads(value) for _, value in recall.events]


def test_events_validate_and_firms_recall_only_their_own_products() -> None:
    for recall in _built():
        events = [STATION_EVENT_ADAPTER.validate_json(v) for _, v in recall.events]
        notice = events[0]
        assert notice.type == "recall_notice"
        firm = next(f for f in FIRMS if f.station_id == recall.reporter_id)
        assert notice.payload.product.manufacturer_code == firm.manufacturer_code
        assert all(reporter == firm.station_id for reporter, _ in recall.events)
        assert [e.type for e in events[1:]] == ["recall_progress_report"] * 6
        assert all(e.sent_at.tzinfo is not None for e in events)


def test_cumulative_counts_never_decrease_and_stay_within_affected() -> None:
    for recall in _built():
        previous: dict[str, int] = {}
        for event in _payloads(recall)[1:]:
            payload = event["payload"]
            assert isinstance(payload, dict)
            for level, counts in payload["levels"].items():
                corrected = sum(counts["corrected"].values())
                lost = sum((counts.get("unreachable") or {}).values())
                assert corrected + lost <= recall.affected[level]
                assert counts["notified"] <= recall.affected[level]
                assert corrected >= previous.get(level, 0)
                previous[level] = corrected


def test_late_reports_are_sent_after_their_period_end_and_lagging_lags() -> None:
    recalls = _built(late=1.0, lagging=0.5)
    assert sum(r.late_reports for r in recalls) > 0
    for recall in recalls:
        late = 0
        for event in _payloads(recall)[1:]:
            sent = datetime.fromisoformat(str(event["sent_at"]))
            end = datetime.fromisoformat(str(event["payload"]["period_end"]))  # type: ignore[index]
            assert end <= sent <= NOW
            late += sent > end
        assert late == recall.late_reports
    lagging = [r.final_rate for r in recalls if r.lagging]
    normal = [r.final_rate for r in recalls if not r.lagging]
    assert lagging
    assert normal
    assert max(lagging) < sum(normal) / len(normal)
    on_time = _built(late=0.0)
    assert sum(r.late_reports for r in on_time) == 0


def test_a_firm_without_own_products_cannot_play() -> None:
    stranger = SimFirm("FIRM-X", "140105", credit_code(random.Random(99), "140105"))
    with pytest.raises(ValueError, match="no firm station"):
        firm_recalls([stranger], PRODUCTS, FirmPlan(1), NOW)


def test_the_intake_accepts_every_event(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from recall.adapters.db.storage import SqlStorage
    from recall.service.recalls.intake import check_and_store
    from tests.unit.recalls_cli.recalls_cli_support import use_database

    storage = SqlStorage(use_database(tmp_path, monkeypatch))
    reporters = {
        f.station_id: Reporter(f.station_id, "firm", "140105", True, f.manufacturer_code)
        for f in FIRMS
    }
    for recall in _built(late=0.5):
        events = [STATION_EVENT_ADAPTER.validate_json(v) for _, v in recall.events]
        with storage.transaction() as tx:
            assert check_and_store(tx, events, reporters, NOW + timedelta(hours=1)) == {}

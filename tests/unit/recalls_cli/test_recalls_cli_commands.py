"""`recall station simulate-firms` (with a fake sender) and `recall bench forecast`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest

from recall.adapters.db import models
from recall.tools.simulate.firms import FirmPlan, SimFirm, firm_recalls
from schemas import STATION_EVENT_ADAPTER
from schemas.envelope import RecallNoticeEvent
from tests.unit.recalls_cli.recalls_cli_support import FIRM, MAKER, NOW, run, use_database


class FakeSender:
    """Stands in for the Kafka StationSender: records what a firm would publish."""

    sent: ClassVar[list[tuple[str, bytes]]] = []

    def __init__(self, settings: Any, **_: Any) -> None:
        FakeSender.sent = []

    def send(self, reporter_id: str, value: bytes, **_: Any) -> None:
        FakeSender.sent.append((reporter_id, value))

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None


def test_simulate_firms_sends_each_firms_own_recalls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = use_database(tmp_path, monkeypatch)
    with db.begin() as session:
        session.add(
            models.Station(
                station_id=FIRM,
                kind="firm",
                name="童悦制造",
                jurisdiction="140105",
                enabled=True,
                manufacturer_code=MAKER,
            )
        )
        for model in ("ST-1", "ST-2"):
            session.add(
                models.Product(
                    product_key=f"{MAKER}/童悦/{model.lower()}",
                    manufacturer_code=MAKER,
                    brand="童悦",
                    model=model,
                    category="children",
                    kind="stroller",
                )
            )
    monkeypatch.setattr("recall.adapters.kafka.producer.StationSender", FakeSender)
    result = run("station", "simulate-firms", "--recalls", "3", "--seed", "2", "--days", "90")
    assert result.exit_code == 0, result.output
    assert "RC-2-0003" in result.output
    assert len(FakeSender.sent) == 3 * (1 + 3)  # a notice and 3 monthly reports each
    events = [STATION_EVENT_ADAPTER.validate_json(value) for _, value in FakeSender.sent]
    assert {reporter for reporter, _ in FakeSender.sent} == {FIRM}
    notices = [e for e in events if isinstance(e, RecallNoticeEvent)]
    assert len(notices) == 3
    assert {e.payload.product.manufacturer_code for e in notices} == {MAKER}


def test_simulate_firms_needs_firms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_database(tmp_path, monkeypatch)
    result = run("station", "simulate-firms", "--recalls", "1")
    assert result.exit_code == 1
    assert "recall registry load --sample" in result.output


def test_same_seed_builds_the_same_recalls() -> None:
    firm = SimFirm(FIRM, "140105", MAKER)
    from recall.tools.simulate.events import SimProduct

    products = [SimProduct(MAKER, "童悦", "ST-1", "children", "stroller", None)]
    first = firm_recalls([firm], products, FirmPlan(2, seed=9), NOW)
    again = firm_recalls([firm], products, FirmPlan(2, seed=9), NOW)
    assert [r.events for r in first] == [r.events for r in again]


def test_bench_forecast_prints_error_and_coverage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_database(tmp_path, monkeypatch)
    output = tmp_path / "forecast.json"
    result = run("bench", "forecast", "--recalls", "10", "--seed", "3", "--output", str(output))
    assert result.exit_code == 0, result.output
    assert "median absolute error" in result.output
    figures = json.loads(output.read_text(encoding="utf-8"))
    assert figures["n_recalls"] == 10
    assert 0.0 <= figures["median_abs_error"] < 0.5
    assert 0.0 <= figures["coverage80"] <= 1.0

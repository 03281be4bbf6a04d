"""Alerts carry the product category where their producer knows it (webhook and Alertmanager
filters and the CloudEvents `category` extension read it)."""

from __future__ import annotations

from recall.domain.investigations import investigation_id_for
from recall.service.investigations import records
from recall.service.investigations.signals import handle_signals
from recall.service.risk.regional import RegionRiskState
from schemas.common import ProductCategory
from schemas.risk import AlertKind
from tests.support.investigations import (
    HAZARD,
    PRODUCT,
    TOPICS,
    alerts,
    memory_storage,
    repository,
    signal,
)
from tests.unit.service.risk.test_regional_risk import _baseline, _run, _spike


def test_a_regional_signal_alert_names_its_category() -> None:
    state = RegionRiskState()
    _run(state, _baseline())
    [alert] = _run(state, [_spike()])
    assert alert.category is ProductCategory.KITCHENWARE


def test_investigation_alerts_name_the_investigations_category() -> None:
    storage = memory_storage()
    handle_signals(storage, [signal()], topics=TOPICS)
    assert alerts(storage)["investigation_opened"]["category"] == "appliances"
    investigation = repository(storage).investigations[investigation_id_for(PRODUCT, HAZARD, 1)]
    decision = records.decision_alert(investigation, AlertKind.DEFECT_CONFIRMED, "缺陷 / Defect")
    assert decision.category is ProductCategory.APPLIANCES

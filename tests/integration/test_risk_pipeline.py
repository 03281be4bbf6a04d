"""Risk assessment on the real broker: signals open investigations, once, with their evidence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from recall.adapters.db.models import InvestigationEvidenceRow, InvestigationRow
from recall.tools.bench.lag import committed_lag
from schemas.common import make_product_key
from schemas.registry import ProductEntry
from tests.support.cases import burn, last_noon, pick, serious_sampling_failure
from tests.support.pipeline import Pipeline

pytestmark = pytest.mark.integration


def _key(product: ProductEntry) -> str:
    return make_product_key(product.manufacturer_code, product.brand, product.model)


def _investigations(pipeline: Pipeline) -> dict[str, list[InvestigationRow]]:
    with pipeline.sessions() as session:
        rows = session.scalars(select(InvestigationRow)).all()
    out: dict[str, list[InvestigationRow]] = {}
    for row in rows:
        out.setdefault(row.product_key, []).append(row)
    return out


def _evidence_count(pipeline: Pipeline) -> int:
    with pipeline.sessions() as session:
        return session.scalar(select(func.count()).select_from(InvestigationEvidenceRow)) or 0


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_rising_product_opens_one_investigation_quiet_none_sampling_at_once(
    pipeline: Pipeline,
) -> None:
    hospital, lab = pick(pipeline.registry, "hospital"), pick(pipeline.registry, "lab")
    rising, quiet, tested = (
        pipeline.registry.products[0],
        pipeline.registry.products[2],
        pipeline.registry.products[4],
    )
    now = last_noon()  # a past noon: event times ahead of receipt are refused at intake
    history = [now - timedelta(days=d) for d in range(60, 0, -4)]
    records = [burn(hospital, p, t, i) for p in (rising, quiet) for i, t in enumerate(history)]
    records += [burn(hospital, rising, now - timedelta(minutes=m), 900 + m) for m in range(6)]
    records.append(serious_sampling_failure(lab, tested, "S-INT-0001"))
    pipeline.start_worker()
    sender = pipeline.sender()
    for value in records:
        reporter = lab.station_id if b"sampling_result" in value else hospital.station_id
        sender.send(reporter, value)
    sender.flush()

    pipeline.wait(lambda: {_key(rising), _key(tested)} <= set(_investigations(pipeline)), 120)
    pipeline.wait(
        lambda: (
            committed_lag(pipeline.settings, "events.canonical") == 0
            and committed_lag(pipeline.settings, "risk.signals") == 0
        ),
        60,
    )
    found = _investigations(pipeline)
    assert _key(quiet) not in found, "a product at its usual level must not open an investigation"
    assert [r.hazard for r in found[_key(rising)]] == ["burns"]
    assert [r.hazard for r in found[_key(tested)]] == ["electric_shock"]
    assert found[_key(rising)][0].state == "opened"
    with pipeline.sessions() as session:
        evidence = session.scalars(
            select(InvestigationEvidenceRow).where(
                InvestigationEvidenceRow.investigation_id == found[_key(rising)][0].investigation_id
            )
        ).all()
    assert evidence and evidence[0].method == "live_nb"
    assert evidence[0].observed is not None and evidence[0].observed >= 3
    assert evidence[0].expected is not None and evidence[0].expected < evidence[0].observed
    evidence_before = _evidence_count(pipeline)

    for value in records:  # replay every event: nothing new may happen
        reporter = lab.station_id if b"sampling_result" in value else hospital.station_id
        sender.send(reporter, value)
    sender.flush()
    sender.close()
    total = len(records)
    pipeline.wait_counts(events=total, dead_letters=0, duplicates=total)
    pipeline.wait(
        lambda: (
            committed_lag(pipeline.settings, "intake.raw") == 0
            and committed_lag(pipeline.settings, "events.canonical") == 0
            and committed_lag(pipeline.settings, "risk.signals") == 0
        ),
        60,
    )
    after = _investigations(pipeline)
    assert {k: len(v) for k, v in after.items()} == {k: len(v) for k, v in found.items()}
    assert _evidence_count(pipeline) == evidence_before
    _assert_state_on_its_source_partition(pipeline)


def _assert_state_on_its_source_partition(pipeline: Pipeline) -> None:
    """Every product's state is in the changelog partition its events are on, under the raw
    key: the worker that owns a product's events is the one that recovers its state."""
    source: dict[bytes, set[int]] = {}
    for partition, key, _value in pipeline.topic_messages("events.canonical"):
        assert key is not None
        source.setdefault(key, set()).add(partition)
    changelog = pipeline.changelog_messages("product_to_risk")
    assert changelog, "the risk agent wrote no state"
    for partition, key, _value in changelog:
        assert key in source, f"changelog key {key!r} is not a product key as the events carry it"
        assert source[key] == {partition}, (key, source[key], partition)

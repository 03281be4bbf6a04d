"""The sample registry carries realistic registry facts, and simulated traffic passes the checks
(the demo's accounting depends on it: the simulator must not flood the dead letters)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import orjson

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.registry_store import load_registry, registry_snapshot
from recall.domain.intake import Reporter
from recall.domain.taxonomy import TAXONOMY
from recall.service.intake.admission import Accepted, IntakeRules, RawRecord, process_record
from recall.tools.registry.sample import SampleSizes, generate
from recall.tools.simulate.events import SimProduct, SimStation, station_event
from schemas.signing import SigningKey, StationKeyring, signing_headers

NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)


def test_the_sample_has_standards_and_labs_of_every_status() -> None:
    registry = generate(7)
    statuses = Counter(s.status.value for s in registry.standards)
    assert statuses["in_force"] > 0.8 * len(registry.standards)
    assert statuses["superseded"] > 0 and statuses["withdrawn"] > 0
    codes = {s.code for s in registry.standards}
    assert all(s.superseded_by in codes for s in registry.standards if s.superseded_by)
    labs = Counter(lab.status.value for lab in registry.labs)
    assert labs["accredited"] > 0 and labs["suspended"] > 0 and labs["revoked"] > 0
    lab_ids = {lab.lab_id for lab in registry.labs}
    lab_stations = [s for s in registry.stations if s.kind.value == "lab"]
    assert lab_stations and all(s.station_id in lab_ids for s in lab_stations)
    assert {(k.kind, k.category.value) for k in registry.product_kinds} == {
        (code, cat) for cat, kinds in TAXONOMY.items() for code, _, _ in kinds
    }


def test_simulated_traffic_of_every_station_kind_passes_the_registry_checks(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'sample.db'}"
    upgrade(url)
    sessions = make_session_factory(make_engine(url))
    registry = generate(7, SampleSizes(manufacturers=30, standards=20, labs=5, experts=2))
    load_registry(sessions, registry)
    reporters = {
        s.station_id: Reporter(s.station_id, s.kind.value, s.jurisdiction, True)
        for s in registry.stations
    }
    keyring = StationKeyring("sample-test-secret", {r: frozenset({1}) for r in reporters})
    rules = IntakeRules(reporters, keyring, registry=registry_snapshot(sessions))
    stations = [
        SimStation(s.station_id, s.kind.value, s.jurisdiction)
        for s in registry.stations
        if s.kind.value != "firm"
    ]
    products = [
        SimProduct(p.manufacturer_code, p.brand, p.model, p.category.value, p.kind, p.gtin)
        for p in registry.products
    ]
    rng = random.Random(3)
    kinds: Counter[str] = Counter()
    for offset in range(400):
        station = rng.choice(stations)
        value = orjson.dumps(station_event(station, products, rng, NOW))
        key = keyring.key_for(station.station_id, 1)
        assert key is not None
        headers = signing_headers(SigningKey(station.station_id, 1, key), value)
        record = RawRecord("intake.raw", 0, offset, station.station_id.encode(), value, headers)
        outcome = process_record(record, rules, NOW)
        assert isinstance(outcome, Accepted), outcome
        kinds[outcome.event_type] += 1
    assert kinds["sampling_result"] > 0 and kinds["injury_report"] > 0

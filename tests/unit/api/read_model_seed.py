"""Read-model rows for the API tests, written the way the projector writes them
(`recall.service.readmodel.projection.project` over `SqlReadModel`): registered and
unregistered products across Taiyuan, Datong and Shanghai, their scores, signals and alerts,
and the stations of `seed.seed_dead_letters`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import AlertRow, Manufacturer, Product, RiskScoreRow, RiskSignalRow
from recall.adapters.db.models import Station as StationRow
from recall.adapters.db.read_model import SqlReadModel
from recall.domain.access import Scoped
from recall.service.readmodel import pages
from recall.service.readmodel.ports import ScoreAt
from recall.service.readmodel.projection import project
from schemas.risk import Alert, RiskScoreUpdated, SignalRaised
from tests.unit.api.seed import SHANGHAI_MAKER, TAIYUAN_MAKER, seed_dead_letters

T0 = datetime(2024, 3, 1, 9, tzinfo=UTC)
TY_REGISTERED = f"{TAIYUAN_MAKER}/acme/kettle K-1"  # manufacturer in 140105
TY_UNREGISTERED = f"{TAIYUAN_MAKER}/acme/heater H-2"  # region from its signals: 140202
SH_REGISTERED = f"{SHANGHAI_MAKER}/bright/lamp L-3"  # manufacturer in 310101
NOWHERE = "unknown/unknown/toy"  # no registry, no signal: a score no regulator sees

# (signal id, product, jurisdiction, method, risk level, day)
SIGNALS = [
    ("sig-a", TY_REGISTERED, "140105", "live_nb", "serious", 0),
    ("sig-b", TY_REGISTERED, "140106", "severe_cluster", "high", 1),
    ("sig-c", TY_REGISTERED, "310104", "live_nb", "medium", 2),
    ("sig-d", TY_UNREGISTERED, "140202", "fatal_case", "serious", 3),
    ("sig-e", SH_REGISTERED, "310101", "sampling_failure", "low", 4),
    ("sig-f", SH_REGISTERED, "140105", "live_nb", "high", 5),
]
# (product, score, level, hour)
SCORES = [
    (TY_REGISTERED, 81.5, "serious", 3),
    (TY_UNREGISTERED, 64.0, "high", 1),
    (SH_REGISTERED, 42.0, "medium", 2),
    (NOWHERE, 12.0, "low", 4),
]


@dataclass(frozen=True, slots=True)
class RegionalSpec:
    alert_id: str
    category: str
    city: str
    day: int


REGIONAL = [
    RegionalSpec("ra-1", "appliances", "140100", 0),
    RegionalSpec("ra-2", "appliances", "140100", 2),
    RegionalSpec("ra-3", "children", "140100", 1),
    RegionalSpec("ra-4", "appliances", "140200", 3),
    RegionalSpec("ra-5", "appliances", "310100", 4),
]


def signal(
    signal_id: str, product: str, jurisdiction: str, method: str, level: str, day: int
) -> SignalRaised:
    raised = T0 + timedelta(days=day)
    return SignalRaised(
        signal_id=signal_id,
        product_key=product,
        hazard="fire",
        category="appliances",
        jurisdiction=jurisdiction,
        method=method,
        risk_level=level,
        day=raised.date().isoformat(),
        observed=5.0,
        expected=1.0,
        statistic=3.5,
        threshold=3.0,
        window="2024-W09",
        explanation=("5 reports", "=1 expected"),
        trigger_event_id=f"ev-{signal_id}",
        raised_at=raised,
    )


def regional_alert(spec: RegionalSpec) -> Alert:
    return Alert(
        alert_id=spec.alert_id,
        severity="warning",
        kind="regional_signal",
        title="区域伤害聚集 / Regional injury cluster",
        subject=f"{spec.category}|{spec.city}",
        jurisdiction=spec.city,
        at=T0 + timedelta(days=spec.day),
        details={
            "hazard": "fire",
            "day": (T0 + timedelta(days=spec.day)).date().isoformat(),
            "observed": "9",
            "expected": "2",
            "threshold": "6",
            "trigger_event_id": f"ev-{spec.alert_id}",
            "explanation": "9 cases against 2 expected",
        },
    )


def other_alerts() -> list[Alert]:
    referral = {"reasons": "2 reports missed", "missed": "2,3", "refused": "false"}
    opened = {"method": "live_nb", "evidence": "sig-a", "category": "appliances"}
    return [
        Alert(
            alert_id="al-ref-ty",
            severity="critical",
            kind="referral",
            title="移送执法 / Referred to enforcement: RC-TY",
            subject="RC-TY",
            jurisdiction="140105",
            at=T0 + timedelta(days=6),
            details=referral,
        ),
        Alert(
            alert_id="al-ref-sh",
            severity="critical",
            kind="referral",
            title="移送执法 / Referred to enforcement: RC-SH",
            subject="RC-SH",
            jurisdiction="310101",
            at=T0 + timedelta(days=7),
            details=referral,
        ),
        Alert(
            alert_id="al-open-dt",
            severity="info",
            kind="investigation_opened",
            title="立案调查 / Investigation opened",
            subject="inv-1",
            jurisdiction="140202",
            at=T0 + timedelta(days=8),
            details=opened,
        ),
        Alert(
            alert_id="al-none",
            severity="info",
            kind="investigation_opened",
            title="立案调查 / Investigation opened",
            subject="inv-2",
            jurisdiction=None,
            at=T0 + timedelta(days=9),
            details=opened,
        ),
    ]


def seed_read_model(db: sessionmaker[Session]) -> None:
    """Registry, then signals and alerts, then scores (their region comes from both)."""
    with db.begin() as session:
        session.add_all(
            [
                Manufacturer(credit_code=TAIYUAN_MAKER, name="太原器具", jurisdiction="140105"),
                Manufacturer(credit_code=SHANGHAI_MAKER, name="上海灯具", jurisdiction="310101"),
                _product(TY_REGISTERED, TAIYUAN_MAKER, "kettle"),
                _product(SH_REGISTERED, SHANGHAI_MAKER, "lamp"),
            ]
        )
    read_model = SqlReadModel(db)
    alerts = [regional_alert(r) for r in REGIONAL] + other_alerts()
    project(read_model, signals=[signal(*s) for s in SIGNALS], alerts=alerts)
    scores = [
        ScoreAt(
            RiskScoreUpdated(
                product_key=product,
                score=value,
                risk_level=level,
                explanation=(f"score {value}", "+fire"),
                updated_at=T0 + timedelta(days=10, hours=hour),
            ),
            0,
            i,
        )
        for i, (product, value, level, hour) in enumerate(SCORES)
    ]
    project(read_model, scores=scores)
    seed_dead_letters(db)


def _product(key: str, maker: str, kind: str) -> Product:
    brand, model = key.split("/")[1:]
    return Product(
        product_key=key,
        manufacturer_code=maker,
        brand=brand,
        model=model,
        category="appliances",
        kind=kind,
        gtin=None,
        units_in_use=1200,
    )


def world(db: sessionmaker[Session]) -> dict[str, dict[str, Scoped]]:
    """Every read-model object by resource and id, with what scopes it (read from the tables)."""
    with db() as session:
        scores = {
            r.product_key: pages.scored(r.region, r.product_key)
            for r in session.scalars(select(RiskScoreRow))
        }
        signals = {
            r.signal_id: pages.regional(r.jurisdiction)
            for r in session.scalars(select(RiskSignalRow))
        }
        alerts = {
            r.alert_id: pages.regional(r.jurisdiction) for r in session.scalars(select(AlertRow))
        }
        referrals = {
            r.subject: pages.regional(r.jurisdiction)
            for r in session.scalars(select(AlertRow).where(AlertRow.kind == "referral"))
        }
        regional = {
            r.subject: pages.regional(r.jurisdiction)
            for r in session.scalars(select(AlertRow).where(AlertRow.kind == "regional_signal"))
        }
        stations = {
            r.station_id: pages.station(r.jurisdiction, r.station_id)
            for r in session.scalars(select(StationRow))
        }
    return {
        "scores": scores,
        "signals": signals,
        "alerts": alerts,
        "referrals": referrals,
        "regional-risk": regional,
        "stations": stations,
    }

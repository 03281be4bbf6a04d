"""The API's own lists over the read model (`recall.service.readmodel.pages.ReadModelPages`).

Kept apart from `read_model.py` (the projector's writes and the shared queries): regional
risk grouped per category × city, the station register of an area, and a product's registry
record. Each call is one short transaction; times from SQLite are made aware (UTC) again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import TypeVarTuple

import orjson
from sqlalchemy import Select, func, literal, select, tuple_
from sqlalchemy.orm import Session

from recall.adapters.db.models import AlertRow, Manufacturer, Product, Station
from recall.adapters.db.read_model import SqlReadModel
from recall.service.readmodel.page_ports import (
    RegionalRisk,
    RegionalRiskFilter,
    RegistryFacts,
    StationFilter,
    StationRecord,
)
from schemas.risk import Alert, AlertKind

Ts = TypeVarTuple("Ts")
REGIONAL = AlertKind.REGIONAL_SIGNAL.value


class SqlReadModelPages(SqlReadModel):
    def regional_risk(self, query: RegionalRiskFilter) -> list[RegionalRisk]:
        # A regional alert's subject is "<category>|<city>" and its jurisdiction the city.
        latest = func.max(AlertRow.at)
        groups = (
            select(AlertRow.subject, func.count(), latest)
            .where(AlertRow.kind == REGIONAL)
            .group_by(AlertRow.subject)
        )
        if query.region_prefix:
            groups = groups.where(
                AlertRow.jurisdiction.startswith(query.region_prefix, autoescape=True)
            )
        if query.category is not None:
            groups = groups.where(
                AlertRow.subject.startswith(f"{query.category}|", autoescape=True)
            )
        groups = _window(groups, query)
        if query.after is not None:
            at, subject = query.after
            bound = tuple_(literal(at.astimezone(UTC), AlertRow.at.type), literal(subject))
            groups = groups.having(tuple_(latest, AlertRow.subject) < bound)
        groups = groups.order_by(latest.desc(), AlertRow.subject.desc()).limit(query.limit)
        with self.sessions() as session:
            found = session.execute(groups).all()
            records = _latest_records(session, [s for s, _, _ in found], query)
        out: list[RegionalRisk] = []
        for subject, count, _ in found:
            category, _, city = subject.partition("|")
            out.append(RegionalRisk(category, city, count, records[subject]))
        return out

    def stations(self, query: StationFilter) -> list[StationRecord]:
        stmt = select(Station)
        if query.region_prefix:
            stmt = stmt.where(Station.jurisdiction.startswith(query.region_prefix, autoescape=True))
        if query.station_id is not None:
            stmt = stmt.where(Station.station_id == query.station_id)
        if query.after is not None:
            if query.descending:
                stmt = stmt.where(Station.station_id < query.after)
            else:
                stmt = stmt.where(Station.station_id > query.after)
        order = Station.station_id.desc() if query.descending else Station.station_id.asc()
        with self.sessions() as session:
            rows = session.scalars(stmt.order_by(order).limit(query.limit)).all()
            return [
                StationRecord(r.station_id, r.kind, r.name, r.jurisdiction, r.enabled) for r in rows
            ]

    def registry_facts(self, product_key: str) -> RegistryFacts | None:
        stmt = (
            select(Product, Manufacturer)
            .outerjoin(Manufacturer, Manufacturer.credit_code == Product.manufacturer_code)
            .where(Product.product_key == product_key)
        )
        with self.sessions() as session:
            found = session.execute(stmt).first()
            if found is None:
                return None
            product, maker = found
            return RegistryFacts(
                brand=product.brand,
                model=product.model,
                category=product.category,
                kind=product.kind,
                gtin=product.gtin,
                units_in_use=product.units_in_use,
                manufacturer_code=product.manufacturer_code,
                manufacturer_name=maker.name if maker else None,
                manufacturer_jurisdiction=maker.jurisdiction if maker else None,
            )


def _latest_records(
    session: Session, subjects: Sequence[str], query: RegionalRiskFilter
) -> dict[str, Alert]:
    """The latest regional alert of each subject inside the window (greatest id on a tie)."""
    if not subjects:
        return {}
    stmt = select(AlertRow.subject, AlertRow.record).where(
        AlertRow.kind == REGIONAL, AlertRow.subject.in_(list(subjects))
    )
    stmt = _window(stmt, query).order_by(AlertRow.at, AlertRow.alert_id)
    return {  # ascending: the last record of a subject is its latest
        subject: Alert.model_validate_json(orjson.dumps(record))
        for subject, record in session.execute(stmt)
    }


def _window(stmt: Select[*Ts], query: RegionalRiskFilter) -> Select[*Ts]:
    if query.since is not None:
        stmt = stmt.where(AlertRow.at >= query.since.astimezone(UTC))
    if query.until is not None:
        stmt = stmt.where(AlertRow.at < query.until.astimezone(UTC))
    return stmt

"""Load a registry file into SQL: insert new entries, update changed ones (by natural key)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db import models
from recall.adapters.db.key_store import issue_initial_keys
from recall.domain.jurisdiction import validate
from schemas.common import make_product_key
from schemas.registry import RegistryFile

_TABLES: tuple[tuple[str, type[models.Base]], ...] = (
    ("regions", models.Region),
    ("stations", models.Station),
    ("manufacturers", models.Manufacturer),
    ("product_kinds", models.ProductKind),
    ("products", models.Product),
    ("standards", models.Standard),
    ("labs", models.Lab),
    ("experts", models.Expert),
)


def _row(section: str, entry: BaseModel) -> dict[str, Any]:
    data = entry.model_dump(mode="json")
    if section == "regions":
        validate(data["code"])  # the same structural rule as every scope check
    if section == "products":
        data["product_key"] = make_product_key(
            data["manufacturer_code"], data["brand"], data["model"]
        )
    return data


def load_registry(sessions: sessionmaker[Session], registry: RegistryFile) -> dict[str, int]:
    """Upsert every section in one transaction; returns the number of entries per section.

    A station seen for the first time gets key version 1 in the same transaction, so a newly
    registered station can be provisioned (`recall station key issue`) at once; stations that
    already have keys, even only revoked ones, are left alone.
    """
    counts: dict[str, int] = {}
    with sessions.begin() as session:
        for section, model in _TABLES:
            entries: Sequence[BaseModel] = getattr(registry, section)
            for entry in entries:
                session.merge(model(**_row(section, entry)))
            counts[section] = len(entries)
        counts["station_keys_issued"] = issue_initial_keys(
            session, (s.station_id for s in registry.stations), by="registry load"
        )
    return counts


def reporting_population(
    sessions: sessionmaker[Session],
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str, str, str, str | None]]]:
    """Enabled non-firm stations (id, kind, jurisdiction) and products, for simulations."""
    from sqlalchemy import select

    with sessions() as session:
        stations = [
            (s.station_id, s.kind, s.jurisdiction)
            for s in session.scalars(
                select(models.Station).where(models.Station.enabled, models.Station.kind != "firm")
            )
        ]
        products = [
            (p.manufacturer_code or "", p.brand, p.model, p.category, p.kind, p.gtin)
            for p in session.scalars(select(models.Product))
        ]
    return stations, products


def units_in_use(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Units in use per registered product: the denominator of the probability of harm."""
    from sqlalchemy import select

    with sessions() as session:
        rows = session.execute(
            select(models.Product.product_key, models.Product.units_in_use).where(
                models.Product.units_in_use.is_not(None)
            )
        )
        return {key: int(units) for key, units in rows if units}

"""The simulated firms' population, read from the registry the intake checks against.

Kept with the simulator (not in `recall.adapters.db.registry_store`) so that production code
never imports the simulator's types.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db import models
from recall.tools.simulate.events import SimProduct
from recall.tools.simulate.firms import SimFirm


def firm_population(
    sessions: sessionmaker[Session],
) -> tuple[list[SimFirm], list[SimProduct]]:
    """Enabled firm reporters with their manufacturer, and those manufacturers' products."""
    with sessions() as session:
        firms = [
            SimFirm(s.station_id, s.jurisdiction, s.manufacturer_code)
            for s in session.scalars(
                select(models.Station).where(
                    models.Station.enabled,
                    models.Station.kind == "firm",
                    models.Station.manufacturer_code.is_not(None),
                )
            )
            if s.manufacturer_code
        ]
        codes = {f.manufacturer_code for f in firms}
        products = [
            SimProduct(p.manufacturer_code or "", p.brand, p.model, p.category, p.kind, p.gtin)
            for p in session.scalars(
                select(models.Product).where(models.Product.manufacturer_code.in_(codes))
            )
        ]
    return firms, products

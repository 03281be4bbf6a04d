"""Statistics as the province reports them on a real PostgreSQL: years and months by `to_char`,
leads from the triage queue, value from the notices' JSON, tiers through the investigations'
owners — the exact figures of tests/support/statistics_seed.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from recall.domain.access import Role
from recall.service.accounts.scopes import NewAccount
from tests.support.api import api_over
from tests.support.statistics_seed import seed_province_figures

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_province_figures_per_year_on_postgres(database_url: str, tmp_path: Path) -> None:
    with api_over(database_url, tmp_path) as api:
        seed_province_figures(api.sessions)
        auth = api.bearer(NewAccount("山西省市监局", Role.REGULATOR, region="140000"))
        client = api.client
        body = client.get("/statistics?group_by=year", headers=auth).json()
        years = {g["year"]: g for g in body["groups"]}
        assert years["2025"]["leads"] == {
            "purchase_sampling": 2,
            "injury_reports": 1,
            "media": 1,
            "complaints": 1,
            "other": 0,
        }
        assert years["2025"]["value_recalled"] == 199500.0
        assert years["2025"]["recalls_by_tier"] == {"county": 1, "city": 0, "province": 1}
        assert years["2026"]["value_recalled"] == 500.0
        months = client.get("/statistics/leads", headers=auth).json()["months"]
        assert [m["month"] for m in months] == ["2025-03", "2025-04", "2026-01"]

"""The read model's API pages on the in-memory fake: who gets which cut, how a reader's region
narrows it, a firm's products by credit code, and keyset pages that show every row once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from recall.domain.access import Principal, Role, can_see
from recall.service.paging import PageRequest
from recall.service.readmodel import pages
from recall.service.readmodel.ports import ScoreAt, SignalFilter
from recall.service.readmodel.projection import project
from schemas.risk import RiskScoreUpdated
from tests.support.fakes.read_model import MemoryReadModel
from tests.unit.api.read_model_seed import SIGNALS, signal

T0 = datetime(2024, 3, 1, tzinfo=UTC)
MAKER = "91140105MA0KX1234Y"


@pytest.mark.parametrize(
    ("scope", "region", "expected"),
    [
        (None, None, (True, None)),
        (None, "140100", (True, "1401")),
        ("14", "140100", (True, "1401")),  # a province narrowed to a city
        ("1401", "140000", (True, "1401")),  # a city asking for its province: still the city
        ("1401", "140200", (False, None)),  # a sibling city: nothing
        ("31", "140000", (False, None)),
    ],
)
def test_a_readers_region_narrows_the_scope_never_widens_it(
    scope: str | None, region: str | None, expected: tuple[bool, str | None]
) -> None:
    assert pages.narrowest(pages.Scope(region_prefix=scope), region) == expected


def test_owner_of_a_product_key() -> None:
    assert pages.owner_of(f"{MAKER}/acme/K-1") == MAKER
    assert pages.owner_of(MAKER) is None  # no slash: no owner, as the SQL prefix says
    assert pages.owner_of("unknown/x/y") is None


def test_who_gets_which_scope() -> None:
    regulator = Principal("r", Role.REGULATOR, region="140100")
    firm = Principal("f", Role.FIRM, manufacturer_code=MAKER)
    station = Principal("s", Role.STATION, station_id="ST-1")
    expert = Principal("e", Role.EXPERT, expert_id="EXP-1")
    assert pages.score_scope(regulator) == pages.Scope(region_prefix="1401")
    assert pages.score_scope(firm) == pages.Scope(manufacturer_code=MAKER)
    assert pages.score_scope(station) is None and pages.score_scope(expert) is None
    assert pages.regional_scope(firm) is None and pages.regional_scope(station) is None
    assert pages.station_scope(station) == pages.Scope(station_id="ST-1")
    assert pages.station_scope(firm) is None
    assert can_see(firm, pages.scored("310101", f"{MAKER}/x"))
    assert not can_see(firm, pages.scored("140105", "OTHER/x"))


def _scores(model: MemoryReadModel, keys: list[str]) -> None:
    records = [
        ScoreAt(
            RiskScoreUpdated(
                product_key=key,
                score=float(10 + i),
                risk_level=None,
                explanation=(),
                updated_at=T0 + timedelta(hours=i),
            ),
            0,
            i,
        )
        for i, key in enumerate(keys)
    ]
    project(model, scores=records)


def test_a_firms_scores_are_its_own_products_paged_to_the_end() -> None:
    model = MemoryReadModel()
    mine = [f"{MAKER}/acme/K-{i}" for i in range(5)]
    _scores(model, [*mine, "OTHER/acme/K-9", f"{MAKER}X/acme/K-8"])
    scope = pages.Scope(manufacturer_code=MAKER)
    seen: list[str] = []
    request = PageRequest("score", True, 2)
    while True:
        page = pages.score_page(model, scope, request)
        seen += [v.product_key for v in page.items]
        if page.next_after is None:
            break
        request = PageRequest("score", True, 2, page.next_after)
    assert seen == list(reversed(mine))


def test_signals_by_method_inside_the_scope() -> None:
    model = MemoryReadModel()
    project(model, signals=[signal(*s) for s in SIGNALS])
    scope = pages.Scope(region_prefix="14")
    where = SignalFilter(methods=("live_nb",))
    page = pages.signal_page(model, scope, PageRequest("raised_at", True, 50), where)
    assert [s.signal_id for s in page.items] == ["sig-f", "sig-a"]
    outside = SignalFilter(region_prefix="310000")
    empty = pages.signal_page(model, scope, PageRequest("raised_at", True, 50), outside)
    assert empty.items == [] and empty.next_after is None

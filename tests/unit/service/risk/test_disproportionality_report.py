"""`disproportionality_report` on an in-memory `InjuryCounts`: tables, filters, skipped codes.

The appliances category of the CLI test (tests/unit/cli/test_disproportionality_cli.py, which
runs the same report on SQLite through the SQL adapter):

    product   electric_shock   burns   mechanical   total
    P              6             4         0          10
    Q              5            40        50          95
    R              5            40        50          95

P x electric_shock: a=6, b=4, c=10, d=180; PRR = (6/10) / (10/190).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from recall.service.risk.disproportionality import (
    CSV_COLUMNS,
    csv_record,
    disproportionality_report,
)
from tests.support.fakes.injury_counts import InjuryReportFact, MemoryInjuryCounts

NOW = datetime(2024, 6, 1, tzinfo=UTC)
P, Q, R, TOY = "uscc/acme/k-1", "uscc/acme/k-2", "uscc/acme/k-3", "uscc/toyco/t-1"
ELECTRIC = ("electric", "electric_shock")  # -> electric_shock
HOT = ("hot_object", "burn_scald")  # -> burns
FALL = ("fall", "fracture")  # -> mechanical
CHOKE = ("choking", "choking_suffocation")  # -> choking
TAIYUAN = "140105"


def _fact(
    product: str,
    codes: tuple[str | None, str | None],
    *,
    category: str | None = "appliances",
    jurisdiction: str = TAIYUAN,
    days_ago: int = 30,
) -> InjuryReportFact:
    mechanism, nature = codes
    return InjuryReportFact(
        product, category, mechanism, nature, jurisdiction, NOW - timedelta(days=days_ago)
    )


@pytest.fixture
def store() -> MemoryInjuryCounts:
    counts = MemoryInjuryCounts()
    counts.add(_fact(P, ELECTRIC), 6)
    counts.add(_fact(P, HOT), 4)
    for product in (Q, R):
        counts.add(_fact(product, ELECTRIC), 5)
        counts.add(_fact(product, HOT), 40)
        counts.add(_fact(product, FALL), 50)
    return counts


def test_the_disproportionate_pair_matches_the_hand_computation(store: MemoryInjuryCounts) -> None:
    report = disproportionality_report(store, now=NOW)
    assert report.cases == 200 and report.skipped == 0
    assert report.pairs == 8  # P: 2 hazards; Q and R: 3 each
    assert [(r.product_key, r.hazard) for r in report.rows] == [(P, "electric_shock")]
    row = report.rows[0]
    t = row.result.table
    assert (t.a, t.b, t.c, t.d) == (6, 4, 10, 180)
    assert row.result.prr.prr == pytest.approx((6 / 10) / (10 / 190))
    assert row.result.ror.ror == pytest.approx(27.0)
    assert row.result.ic.ic == pytest.approx(math.log2(5))
    assert row.criteria == ("PRR", "ROR", "IC")
    assert row.signal and row.eb is not None and row.eb.eb05 > 1


def test_include_all_lists_balanced_pairs_strongest_first(store: MemoryInjuryCounts) -> None:
    report = disproportionality_report(store, include_all=True, now=NOW)
    assert len(report.rows) == 8
    assert (report.rows[0].product_key, report.rows[0].hazard) == (P, "electric_shock")
    burns = next(r for r in report.rows if (r.product_key, r.hazard) == (Q, "burns"))
    t = burns.result.table
    assert (t.a, t.b, t.c, t.d) == (40, 55, 44, 61)
    assert not burns.signal
    assert report.gps_prior.fitted_pairs == 0  # 8 pairs: too few to fit a prior


def test_the_window_category_and_scope_are_asked_of_the_store(store: MemoryInjuryCounts) -> None:
    disproportionality_report(store, days=90, category="appliances", scope="140100", now=NOW)
    # A city's scope covers its counties: the store filters on the city's four digits.
    assert store.requests == [(NOW - timedelta(days=90), "appliances", "1401")]
    disproportionality_report(store, now=NOW)
    assert store.requests[-1] == (NOW - timedelta(days=365), None, None)


def test_reports_outside_the_window_or_scope_are_not_counted(store: MemoryInjuryCounts) -> None:
    store.add(_fact(P, HOT, jurisdiction="310101"), 20)  # Shanghai
    store.add(_fact(P, HOT, days_ago=400), 20)
    scoped = disproportionality_report(store, scope="140100", now=NOW)
    assert scoped.cases == 200
    everywhere = disproportionality_report(store, days=500, include_all=True, now=NOW)
    assert everywhere.cases == 240
    row = next(r for r in everywhere.rows if (r.product_key, r.hazard) == (P, "electric_shock"))
    assert row.result.table.b == 44  # P's burns: 4 + 20 in Shanghai + 20 older


def test_each_product_is_compared_within_its_own_category(store: MemoryInjuryCounts) -> None:
    store.add(_fact(TOY, CHOKE, category="children"), 5)
    store.add(_fact("uscc/toyco/t-2", FALL, category="children"), 30)
    report = disproportionality_report(store, include_all=True, now=NOW)
    toy = next(r for r in report.rows if r.product_key == TOY)
    assert (toy.category, toy.hazard) == ("children", "choking")
    t = toy.result.table
    assert (t.a, t.b, t.c, t.d) == (5, 0, 0, 30)


def test_unknown_or_missing_codes_are_skipped_not_guessed(store: MemoryInjuryCounts) -> None:
    store.add(_fact(P, ("teleportation", "burn_scald")), 3)
    store.add(_fact(P, (None, "burn_scald")), 2)
    store.add(_fact(P, ELECTRIC, category=None), 4)
    report = disproportionality_report(store, now=NOW)
    assert report.skipped == 9
    assert report.cases == 200
    assert report.rows[0].result.table.a == 6


def test_min_cases_holds_back_small_pairs(store: MemoryInjuryCounts) -> None:
    report = disproportionality_report(store, min_cases=7, now=NOW)
    assert report.rows == ()
    everything = disproportionality_report(store, min_cases=7, include_all=True, now=NOW)
    p_shock = next(
        r for r in everything.rows if r.product_key == P and r.hazard == "electric_shock"
    )
    assert p_shock.eb is None and not p_shock.signal  # EB only for pairs that may signal


def test_an_empty_store_gives_an_empty_report() -> None:
    report = disproportionality_report(MemoryInjuryCounts(), now=NOW)
    assert (report.cases, report.skipped, report.pairs, report.rows) == (0, 0, 0, ())
    assert report.since == NOW - timedelta(days=365)


def test_csv_record_has_every_column(store: MemoryInjuryCounts) -> None:
    report = disproportionality_report(store, include_all=True, now=NOW)
    records = [csv_record(row) for row in report.rows]
    assert all(tuple(r) == CSV_COLUMNS for r in records)
    assert records[0]["signal"] == 1 and records[0]["eb05"] != ""
    few = disproportionality_report(store, min_cases=45, include_all=True, now=NOW)
    small = [csv_record(r) for r in few.rows if r.result.table.a < 45]
    assert small and all(r["eb05"] == "" and r["signal"] == 0 for r in small)

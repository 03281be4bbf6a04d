"""The live disproportionality job on an in-memory `InjuryCounts` and store: one grouped
request per run, only pairs of 3 or more, one figure per product and hazard, the worker's map.

(tests/integration/test_disproportionality_job.py runs it through SQL on SQLite and
PostgreSQL and holds its figures to the CLI report's.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from recall.service.risk.disproportionality_job import (
    LivePair,
    evidence_by_product,
    run_disproportionality_job,
)
from tests.support.fakes.injury_counts import InjuryReportFact, MemoryInjuryCounts

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
P, Q, R = "uscc/acme/k-1", "uscc/acme/k-2", "uscc/acme/k-3"
ELECTRIC = ("electric", "electric_shock")  # -> electric_shock
HOT = ("hot_object", "burn_scald")  # -> burns
FALL = ("fall", "fracture")  # -> mechanical


@dataclass
class MemoryLive:
    runs: list[tuple[list[LivePair], datetime]] = field(default_factory=list)

    def replace_pairs(self, pairs: Sequence[LivePair], *, computed_at: datetime) -> None:
        self.runs.append((list(pairs), computed_at))


def _add(
    counts: MemoryInjuryCounts,
    product: str,
    codes: tuple[str, str],
    n: int,
    *,
    category: str = "appliances",
    days_ago: int = 10,
) -> None:
    fact = InjuryReportFact(product, category, *codes, "140105", NOW - timedelta(days=days_ago))
    counts.add(fact, n)


def _category(counts: MemoryInjuryCounts) -> None:
    _add(counts, P, ELECTRIC, 6)
    _add(counts, P, HOT, 2)
    for product in (Q, R):
        _add(counts, product, ELECTRIC, 5)
        _add(counts, product, HOT, 40)
        _add(counts, product, FALL, 50)


def test_one_request_over_the_window_and_only_pairs_of_three_or_more() -> None:
    counts, live = MemoryInjuryCounts(), MemoryLive()
    _category(counts)
    _add(counts, P, HOT, 30, days_ago=120)  # before the 90-day window
    run = run_disproportionality_job(counts, live, window_days=90, now=NOW)

    assert counts.requests == [(NOW - timedelta(days=90), None, None)], "one grouped query"
    [(pairs, at)] = live.runs
    assert at == NOW
    keys = {(p.product_key, p.evidence.hazard) for p in pairs}
    assert (P, "burns") not in keys, "2 reports: the product gets no figure for burns"
    assert (P, "electric_shock") in keys and len(keys) == 7
    assert (run.cases, run.pairs, run.stored) == (6 + 2 + 2 * 95, 8, 7)
    [p_shock] = [p for p in pairs if (p.product_key, p.evidence.hazard) == (P, "electric_shock")]
    assert (p_shock.evidence.a, p_shock.evidence.criteria_met) == (6, 3)
    assert p_shock.evidence.window_days == 90
    assert run.signals == sum(p.evidence.criteria_met > 0 for p in pairs) >= 1


def test_a_product_reported_under_two_categories_keeps_its_larger_table() -> None:
    counts, live = MemoryInjuryCounts(), MemoryLive()
    _category(counts)
    _add(counts, P, ELECTRIC, 3, category="children")
    _add(counts, Q, FALL, 20, category="children")
    run_disproportionality_job(counts, live, window_days=90, now=NOW)
    [(pairs, _at)] = live.runs
    chosen = [p for p in pairs if (p.product_key, p.evidence.hazard) == (P, "electric_shock")]
    assert [(p.category, p.evidence.a) for p in chosen] == [("appliances", 6)]


def test_the_workers_map_is_product_then_hazard() -> None:
    counts, live = MemoryInjuryCounts(), MemoryLive()
    _category(counts)
    run_disproportionality_job(counts, live, window_days=90, now=NOW)
    [(pairs, _at)] = live.runs
    by_product = evidence_by_product(pairs)
    assert set(by_product) == {P, Q, R}
    assert set(by_product[Q]) == {"electric_shock", "burns", "mechanical"}
    assert set(by_product[P]) == {"electric_shock"}
    assert by_product[P]["electric_shock"].a == 6

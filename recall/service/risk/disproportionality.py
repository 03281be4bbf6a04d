"""Disproportionality of every product x hazard pair against its category (DESIGN.md §4).

Why a report from the system of record and not from the stream: the 2x2 table of a pair needs
the whole category's counts over a window, and a person asks for it with their own window,
category and jurisdiction. Counting is split where SQL is portable: the store groups the injury
reports by (category, product, mechanism, injury nature) behind the `InjuryCounts` port
(`recall.service.risk.ports`), so only distinct combinations ever cross the wire; here each
combination is mapped to its hazard with the same rule the risk agent uses
(`hazard_for_mechanism`) and the tables are built.

For a pair (product P of category C, hazard H), counted over C's reports in the window and scope:
a = P with H, b = P with other hazards, c = other products of C with H, d = the rest of C.

A pair is a signal when it has at least `min_cases` reports and meets at least one criterion of
`assess` (Evans PRR rule, ROR lower bound > 1, IC025 > 0) — the count the risk score also uses.
EB05 is shown beside IC025 for small counts, under a GPS prior fitted once to every pair of the
report (`fit_gps_prior`); it is computed only for pairs with enough cases to be a signal (the
posterior quantiles are the slow part).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from recall.domain.jurisdiction import significant_prefix
from recall.domain.risk.disproportionality import (
    Disproportionality,
    GpsPrior,
    GpsResult,
    Table2x2,
    assess,
    fit_gps_prior,
    gps,
)
from recall.domain.risk.errors import RiskError
from recall.domain.risk.severity import hazard_for_mechanism
from recall.service.risk.ports import InjuryCounts

CSV_COLUMNS = (
    "category",
    "product_key",
    "hazard",
    "a",
    "b",
    "c",
    "d",
    "expected",
    "prr",
    "prr_lower",
    "prr_upper",
    "chi2_yates",
    "prr_signal",
    "ror",
    "ror_lower",
    "ror_upper",
    "ror_signal",
    "ic",
    "ic025",
    "ic975",
    "ic_signal",
    "ebgm",
    "eb05",
    "eb95",
    "criteria_met",
    "signal",
)


@dataclass(frozen=True, slots=True)
class PairRow:
    """One product x hazard pair with its table, the three criteria and (if computed) EB."""

    category: str
    product_key: str
    hazard: str
    result: Disproportionality
    eb: GpsResult | None
    signal: bool

    @property
    def criteria(self) -> tuple[str, ...]:
        """Names of the criteria met, strongest evidence first."""
        r = self.result
        met = (("PRR", r.prr.signal), ("ROR", r.ror.signal), ("IC", r.ic.signal))
        return tuple(name for name, ok in met if ok)


@dataclass(frozen=True, slots=True)
class DisproportionalityReport:
    since: datetime
    cases: int  # injury reports counted
    skipped: int  # reports whose codes no rule understands (left out of every table)
    pairs: int  # pairs assessed, before filtering to signals
    rows: tuple[PairRow, ...]  # strongest first; only signals unless include_all
    gps_prior: GpsPrior  # fitted to every pair in the window (fitted_pairs = 0: the defaults)


def disproportionality_report(
    store: InjuryCounts,
    *,
    days: int = 365,
    category: str | None = None,
    scope: str | None = None,
    min_cases: int = 3,
    include_all: bool = False,
    now: datetime | None = None,
) -> DisproportionalityReport:
    """Assess every product x hazard pair of the injury reports in the window and scope."""
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    counted = pair_tables(store, since=since, category=category, scope=scope)
    tables = counted.tables
    prior = fit_gps_prior([(t.a, t.expected) for _key, t in tables if t.expected > 0])
    rows = [_assess_pair(key, table, min_cases, prior) for key, table in tables]
    rows.sort(key=_strength, reverse=True)
    shown = rows if include_all else [r for r in rows if r.signal]
    return DisproportionalityReport(
        since=since,
        cases=counted.cases,
        skipped=counted.skipped,
        pairs=len(rows),
        rows=tuple(shown),
        gps_prior=prior,
    )


PairKey = tuple[str, str, str]  # (category, product_key, hazard)


@dataclass(frozen=True, slots=True)
class PairTables:
    """The 2x2 table of every product x hazard pair of a window, as counted from the store."""

    cases: int  # injury reports counted
    skipped: int  # reports whose codes no rule understands (left out of every table)
    tables: tuple[tuple[PairKey, Table2x2], ...]


def pair_tables(
    store: InjuryCounts,
    *,
    since: datetime,
    category: str | None = None,
    scope: str | None = None,
) -> PairTables:
    """Count the window once (one grouped query) and build every pair's table.

    The one way pairs are counted: the CLI report and the live job
    (`recall.service.risk.disproportionality_job`) both start here, so a pair's figures are
    the same wherever they are read.
    """
    counts, skipped = _count_pairs(store, since=since, category=category, scope=scope)
    return PairTables(sum(counts.values()), skipped, tuple(_tables(counts)))


def _count_pairs(
    store: InjuryCounts,
    *,
    since: datetime,
    category: str | None,
    scope: str | None,
) -> tuple[Counter[PairKey], int]:
    """Reports per (category, product, hazard), and how many had codes no rule knows."""
    counts: Counter[PairKey] = Counter()
    skipped = 0
    prefix = None if scope is None else significant_prefix(scope)
    for row in store.injury_codes(since=since, category=category, jurisdiction_prefix=prefix):
        hazard = _hazard(row.mechanism, row.nature)
        if row.category is None or hazard is None:
            skipped += row.reports
        else:
            counts[row.category, row.product_key, hazard] += row.reports
    return counts, skipped


def _hazard(mechanism: str | None, nature: str | None) -> str | None:
    if mechanism is None or nature is None:
        return None
    try:
        return hazard_for_mechanism(mechanism, nature)
    except RiskError:
        return None


def _tables(counts: Counter[PairKey]) -> Iterable[tuple[PairKey, Table2x2]]:
    """The 2x2 table of every pair, against the other products of its own category."""
    per_product: Counter[tuple[str, str]] = Counter()
    per_hazard: Counter[tuple[str, str]] = Counter()
    per_category: defaultdict[str, int] = defaultdict(int)
    for (cat, product_key, hazard), n in counts.items():
        per_product[cat, product_key] += n
        per_hazard[cat, hazard] += n
        per_category[cat] += n
    for key, a in counts.items():
        cat, product_key, hazard = key
        b = per_product[cat, product_key] - a
        c = per_hazard[cat, hazard] - a
        d = per_category[cat] - a - b - c
        yield key, Table2x2(a, b, c, d)


def _assess_pair(key: PairKey, table: Table2x2, min_cases: int, prior: GpsPrior) -> PairRow:
    result = assess(table)
    enough = table.a >= min_cases and table.expected > 0
    eb = gps(table, prior) if enough else None
    cat, product_key, hazard = key
    return PairRow(cat, product_key, hazard, result, eb, signal=enough and result.criteria_met > 0)


def _strength(row: PairRow) -> tuple[bool, int, float, float, int]:
    """Signals first, then more criteria met, then the shrunk IC025, then the raw PRR and N."""
    r = row.result
    return (row.signal, r.criteria_met, r.ic.ic025, r.prr.prr, r.table.a)


def csv_record(row: PairRow) -> dict[str, Any]:
    """One CSV line (columns `CSV_COLUMNS`); numbers unrounded, EB empty when not computed."""
    r, t, eb = row.result, row.result.table, row.eb
    return {
        "category": row.category,
        "product_key": row.product_key,
        "hazard": row.hazard,
        "a": t.a,
        "b": t.b,
        "c": t.c,
        "d": t.d,
        "expected": t.expected,
        "prr": r.prr.prr,
        "prr_lower": r.prr.lower,
        "prr_upper": r.prr.upper,
        "chi2_yates": r.prr.chi2_yates,
        "prr_signal": int(r.prr.signal),
        "ror": r.ror.ror,
        "ror_lower": r.ror.lower,
        "ror_upper": r.ror.upper,
        "ror_signal": int(r.ror.signal),
        "ic": r.ic.ic,
        "ic025": r.ic.ic025,
        "ic975": r.ic.ic975,
        "ic_signal": int(r.ic.signal),
        "ebgm": "" if eb is None else eb.ebgm,
        "eb05": "" if eb is None else eb.eb05,
        "eb95": "" if eb is None else eb.eb95,
        "criteria_met": r.criteria_met,
        "signal": int(row.signal),
    }

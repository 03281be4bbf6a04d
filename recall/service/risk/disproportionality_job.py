"""Category-wide disproportionality for the live score: a periodic job over the system of record.

Why a job and not a stream table: the 2x2 table of a pair (product P, hazard H) needs the whole
category's counts over a window — every other product of P's category, late cases included —
while the risk stage's state is partitioned by product, so no partition holds a category. The
system of record already holds every stored injury report, and the database groups them in one
query; a refresh every few minutes is timely next to investigations that take days. So the
leader runs this every `disproportionality_interval_s` over the last
`disproportionality_window_days`, stores the pairs with at least `MIN_CASES` reports, and every
worker reads them back into memory (`streams.context.WorkerContext.disproportionality`).

The figures are the CLI report's (`recall risk disproportionality`): both count through
`pair_tables` and judge through `recall.domain.risk.disproportionality.assess`. The GPS/EB05
column of the report is left out here: its prior fit and posterior quantiles are the slow part,
and the score counts PRR, ROR and IC only.

Cost per run: one grouped query (a row per distinct category, product, mechanism and nature in
the window), the tables in memory, PRR/ROR/IC only for pairs with `MIN_CASES` or more, and one
transaction that replaces the stored pairs — so readers see the previous run or this one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from recall.domain.risk.disproportionality import Table2x2, assess
from recall.domain.risk.evidence import DisproportionalityEvidence
from recall.service.risk.disproportionality import PairKey, pair_tables
from recall.service.risk.ports import InjuryCounts

MIN_CASES = 3
"""Fewest reports of a pair to store it: the Evans PRR rule's own minimum, and the report's
default `--min-cases`. A product under it has no stored pair for that hazard: its score gets
no disproportionality part (None), never a figure built on one or two reports."""

EvidenceByProduct = Mapping[str, Mapping[str, DisproportionalityEvidence]]
"""product_key -> hazard -> the pair's evidence: what each worker keeps in memory."""


@dataclass(frozen=True, slots=True)
class LivePair:
    """One stored pair: the product, its category and the evidence the score reads."""

    category: str
    product_key: str
    evidence: DisproportionalityEvidence


class LiveDisproportionality(Protocol):
    """Where the job keeps its pairs (`recall.adapters.db.disproportionality_store`)."""

    def replace_pairs(self, pairs: Sequence[LivePair], *, computed_at: datetime) -> None:
        """Replace every stored pair with `pairs`, in one transaction."""
        ...


@dataclass(frozen=True, slots=True)
class JobRun:
    """What one run counted and stored (logged and exported as gauges)."""

    since: datetime
    cases: int  # injury reports counted in the window
    skipped: int  # reports whose codes no rule understands
    pairs: int  # pairs with any report in the window
    stored: int  # pairs with at least MIN_CASES reports, stored
    signals: int  # stored pairs meeting at least one criterion


def live_pairs(
    tables: Iterable[tuple[PairKey, Table2x2]], *, window_days: int, min_cases: int = MIN_CASES
) -> list[LivePair]:
    """PRR, ROR and IC of every pair with `min_cases` or more, as the evidence the score reads.

    A product key reported under two categories (reporters disagreeing) has a table in each;
    only the one with more reports of the hazard is kept, so a product has one figure per
    hazard (ties: more criteria met, then the category's name, for a stable choice).
    """
    best: dict[tuple[str, str], LivePair] = {}
    for (category, product_key, hazard), table in tables:
        if table.a < min_cases:
            continue
        result = assess(table)
        pair = LivePair(
            category,
            product_key,
            DisproportionalityEvidence(
                hazard=hazard,
                a=table.a,
                expected=table.expected,
                prr=result.prr.prr,
                chi2_yates=result.prr.chi2_yates,
                ror_lower=result.ror.lower,
                ic025=result.ic.ic025,
                criteria_met=result.criteria_met,
                window_days=window_days,
            ),
        )
        key = (product_key, hazard)
        if key not in best or _rank(pair) > _rank(best[key]):
            best[key] = pair
    return list(best.values())


def _rank(pair: LivePair) -> tuple[int, int, str]:
    return (pair.evidence.a, pair.evidence.criteria_met, pair.category)


def run_disproportionality_job(
    counts: InjuryCounts,
    store: LiveDisproportionality,
    *,
    window_days: int,
    now: datetime,
    min_cases: int = MIN_CASES,
) -> JobRun:
    """Count the window, judge every pair with enough reports, replace the stored pairs."""
    since = now - timedelta(days=window_days)
    counted = pair_tables(counts, since=since)
    pairs = live_pairs(counted.tables, window_days=window_days, min_cases=min_cases)
    store.replace_pairs(pairs, computed_at=now)
    return JobRun(
        since=since,
        cases=counted.cases,
        skipped=counted.skipped,
        pairs=len(counted.tables),
        stored=len(pairs),
        signals=sum(p.evidence.criteria_met > 0 for p in pairs),
    )


def evidence_by_product(
    pairs: Iterable[LivePair],
) -> dict[str, dict[str, DisproportionalityEvidence]]:
    """The worker's map from stored pairs: product_key -> hazard -> evidence."""
    out: dict[str, dict[str, DisproportionalityEvidence]] = {}
    for pair in pairs:
        out.setdefault(pair.product_key, {})[pair.evidence.hazard] = pair.evidence
    return out

"""Fused-score benchmark: does the live score find more true defects, earlier, than any part?

What is simulated, and why (docs/benchmarks.md has the figures):

* `products` products over `days` days, in four categories with their usual hazards; each has a
  number of units in use (log-uniform 10^4–10^6) and a background injury rate of its own
  (gamma, mean 0.02 a day: about 3–4 ordinary injuries over half a year), mostly treated and
  released, some kept under observation, a few hospitalised, very rarely a death.
* A share of them are truly defective, from an onset day on, with a serious hazard of their
  category (fire, electric shock, choking, strangulation). The defect shows as (a) a
  purchase-sampling failure only (found in the lab before anyone is hurt), (b) an injury
  cluster only (extra injuries of the defect's hazard at 0.06–0.2 a day, more of them severe),
  (c) both (a weaker cluster, 0.02–0.08 a day, and a lab failure). The mix (a 40%, b 15%, c 45%)
  follows the province's figure that purchase sampling found about 85% of defect leads. A lab
  failure comes an exponential 30 days (mean) after the onset — if within the horizon.
* Noise: 8% of the sound products fail one serious-hazard clause once (a borderline batch, a
  lab error), 10% fail a minor clause (a label), every product is sampled and passes now and
  then, and background injuries include the serious hazards at their ordinary rates.
* What a failed sample carries: the hazard's tested items with measured values and limits
  (`_ITEMS`). A defect fails one item or two (`TRUE_SECOND_ITEM`) by a wide lognormal margin;
  a borderline batch one item 0–15% past its limit; a lab error (`LAB_ERROR_SHARE` of false
  failures) like a defect's margin, so some false failures miss by a lot too. Half the serious
  failures get a follow-up sample 30–90 days later that fails again at the rate of the
  failure's origin (`REFAIL_*`). Drawn from a generator of their own, so the rest of a run is
  unchanged; stated in docs/benchmarks.md before the figures were seen.

Every event is a canonical record as the risk agent receives it, parsed by
`recall.service.risk.cases.case_from_canonical` and folded day by day, per product, into the
product's state (through its bytes, as the table keeps it) by
`recall.service.risk.assessment.assess` — the live score, with whatever temporal detector the
stage runs. Disproportionality is refreshed weekly over the last 90 days of each category's
injuries (pairs with 3+ reports, the live job's rule), and passed to `assess` as the agent does.

Investigations: each method (the fused score, or one part of it alone — the same contributions
of the same live scores) opens the same number K of products: those with the highest peak over
the run, ties broken by the day they reached it; a product is opened on the first day its value
reached the K-th peak. K is the number of true defects whose evidence appeared within the run,
so a perfect method finds them all. Reported: defects found, found within 30 days of their
first evidence, and the median delay (days from the first evidence to opening; 0 if opened
before it). `python -m recall.tools.bench.fusion [products]` also prints the whole delay curve
of the fused score and of purchase sampling alone, and, for the defects both open, which
opened each first (docs/benchmarks.md, "Earlier, precisely").
"""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from recall.domain.risk.disproportionality import Table2x2
from recall.domain.risk.disproportionality import assess as judge_table
from recall.domain.risk.evidence import DisproportionalityEvidence
from recall.domain.risk.score import PART_KEYS
from recall.service.risk.assessment import assess
from recall.service.risk.cases import case_from_canonical
from recall.service.risk.state import ProductRiskState

FUSED = "fused"
WITHOUT_CORROBORATION = "fused_no_corroboration"
METHODS = (FUSED, WITHOUT_CORROBORATION, *PART_KEYS)
"""The fused score, the fused score less its corroboration part (the rule's own worth), and
each part alone."""
START = datetime(2026, 1, 5, 4, 0, tzinfo=UTC)  # noon in China: events of a day land in it
DP_WINDOW_DAYS = 90
DP_MIN_CASES = 3
DP_EVERY_DAYS = 7
FOUND_WITHIN_DAYS = 30
FOUND_SOON_DAYS = 7
CURVE_DAYS = (0, 7, 30, 60, 90)
LAB_SEED_OFFSET = 7_919
"""The lab details' generator is seeded apart (seed + this) so that the rest of a run is the
same as before failed samples carried items and margins."""
"""Delays at which `delay_curve` counts the defects found (and at all, last)."""

# category -> (background hazards with weights, defect hazards)
_CATEGORIES: dict[str, tuple[dict[str, float], tuple[str, ...]]] = {
    "appliances": (
        {"burns": 5, "cuts": 3, "electric_shock": 1, "fire": 1},
        ("fire", "electric_shock"),
    ),
    "children": ({"mechanical": 5, "cuts": 3, "choking": 1}, ("choking", "strangulation")),
    "kitchenware": ({"cuts": 5, "burns": 4, "fire": 1}, ("fire",)),
    "lighting": (
        {"burns": 3, "cuts": 2, "electric_shock": 1, "fire": 1},
        ("electric_shock", "fire"),
    ),
}
# hazard -> (mechanism, injury nature) that the severity rules map back to the hazard
_INJURY: dict[str, tuple[str, str]] = {
    "burns": ("hot_object", "burn_scald"),
    "cuts": ("cut_pierce", "laceration"),
    "fire": ("fire_flame", "burn_scald"),
    "electric_shock": ("electric", "electric_shock"),
    "choking": ("choking", "foreign_body"),
    "strangulation": ("strangulation", "choking_suffocation"),
    "mechanical": ("fall", "fracture"),
}
_BACKGROUND_DISPOSITIONS = (
    ("treated_released", 0.75),
    ("observed", 0.17),
    ("hospitalised", 0.075),
    ("died", 0.005),
)
_DEFECT_DISPOSITIONS = (
    ("treated_released", 0.45),
    ("observed", 0.25),
    ("hospitalised", 0.25),
    ("died", 0.05),
)
_KINDS = (("lab", 0.40), ("injury", 0.15), ("both", 0.45))

# hazard -> the items a lab tests for it: (clause, item, limit, unit, bound); a limit of None
# is an item judged without a figure (e.g. a small part fits the cylinder or not): no margin.
_ITEMS: dict[str, tuple[tuple[str, str, float | None, str, str], ...]] = {
    "electric_shock": (
        ("13.2", "leakage current", 0.75, "mA", "max"),
        ("16.3", "electric strength", None, "", ""),
        ("27.5", "earth resistance", 0.1, "Ω", "max"),
    ),
    "fire": (
        ("11.8", "temperature rise", 75.0, "K", "max"),
        ("30.2", "glow-wire flame duration", 30.0, "s", "max"),
    ),
    "choking": (
        ("5.2", "small parts", None, "", ""),
        ("5.24.6", "torque-tension", 90.0, "N", "min"),
    ),
    "strangulation": (
        ("5.9", "cord length", 220.0, "mm", "max"),
        ("5.10", "loop perimeter", 360.0, "mm", "max"),
    ),
    "cuts": (("5.8", "sharp edges", None, "", ""),),
}
# Assumptions on what a failed sample carries (docs/benchmarks.md, "Fused score"), stated
# before the result was seen and not tuned to it:
TRUE_MARGIN_MEDIAN = 0.3
"""A defective design's failing item misses its limit by a lognormal margin, median 30%,
sigma 1: a quarter of true failures look marginal (< 15%), a third miss by half or more."""
TRUE_MARGIN_SIGMA = 1.0
TRUE_SECOND_ITEM = 0.4
"""Share of a defect's failing samples that fail a second item of the hazard too."""
FALSE_MARGIN_MAX = 0.15
"""A borderline batch fails one item, uniformly 0-15% past the limit."""
LAB_ERROR_SHARE = 0.15
"""Share of false failures that are lab errors: margin drawn like a true defect's, and a
second item in `LAB_ERROR_SECOND_ITEM` of them (a mis-set rig fails more than one test)."""
LAB_ERROR_SECOND_ITEM = 0.2
RESAMPLE_SHARE = 0.5
"""Share of serious failures followed by a follow-up sample (跟踪抽检) 30-90 days later."""
REFAIL_TRUE = 0.9
"""A defect's follow-up sample fails again (same design); a borderline batch's fails again
in `REFAIL_BORDERLINE` (the next batch is near the limit too), a lab error's in
`REFAIL_LAB_ERROR`."""
REFAIL_BORDERLINE = 0.2
REFAIL_LAB_ERROR = 0.05


@dataclass(frozen=True, slots=True)
class SimProduct:
    key: str
    category: str
    units: int
    base_rate: float
    kind: str  # lab, injury, both (defective) or none
    defect_hazard: str = ""
    onset: int = 0
    defect_rate: float = 0.0
    failure_day: int | None = None  # the serious lab failure (a true or a false one)
    minor_failure_day: int | None = None


@dataclass(frozen=True, slots=True)
class MethodResult:
    method: str
    opened: int
    found: int
    found_early: int  # within FOUND_WITHIN_DAYS of the first evidence
    found_soon: int  # within FOUND_SOON_DAYS of the first evidence
    median_delay: float | None
    opened_days: tuple[tuple[int, int], ...] = ()  # (product index, day opened), by index
    delays: tuple[int, ...] = ()  # of the defects found, ascending


@dataclass(frozen=True, slots=True)
class RunResult:
    seed: int
    products: int
    defects: int  # true defects whose evidence appeared within the run
    k: int  # investigations each method opens
    events: int
    methods: tuple[MethodResult, ...]
    defect_indices: frozenset[int] = frozenset()  # the true defects with evidence in the run


@dataclass
class _Trace:
    """One product's values per method over the run: (day, value) whenever the score moved."""

    values: dict[str, list[tuple[int, float]]] = field(default_factory=lambda: defaultdict(list))


def _pick(rng: random.Random, weighted: Sequence[tuple[str, float]]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


def simulate(n: int, days: int, defect_share: float, rng: random.Random) -> list[SimProduct]:
    """The products: categories, units, background rates, which are defective and how."""
    out = []
    for i in range(n):
        category = rng.choice(sorted(_CATEGORIES))
        units = int(10 ** rng.uniform(4, 6))
        base = rng.gammavariate(1.5, 0.02 / 1.5)
        key = f"91110000MA{i:08d}/sim/p-{i}"
        if rng.random() < defect_share:
            kind = _pick(rng, _KINDS)
            onset = rng.randint(10, days - 60)
            rate = {"lab": 0.0, "injury": rng.uniform(0.06, 0.2), "both": rng.uniform(0.02, 0.08)}
            failure = None
            if kind != "injury":
                day = onset + int(rng.expovariate(1 / 30))
                failure = day if day < days else None
            out.append(
                SimProduct(
                    key, category, units, base, kind, rng.choice(_CATEGORIES[category][1]),
                    onset, rate[kind], failure,
                )
            )  # fmt: skip
            continue
        false_failure = rng.randrange(days) if rng.random() < 0.08 else None
        minor = rng.randrange(days) if rng.random() < 0.10 else None
        out.append(SimProduct(key, category, units, base, "none", "", 0, 0.0, false_failure, minor))
    return out


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method: the rates here are small (well under 1 a day)."""
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _injury(n: int, p: SimProduct, day: int, hazard: str, disposition: str) -> dict[str, Any]:
    at = (START + timedelta(days=day, minutes=n % 600)).isoformat()
    mechanism, nature = _INJURY[hazard]
    payload = {
        "occurred_at": at,
        "disposition": disposition,
        "injury_nature": nature,
        "body_part": "hand",
        "age_years": 34,
        "mechanism": mechanism,
        "product": {"category": p.category, "manufacturer_code": p.key[:18]},
    }
    return _record(n, p, at, "injury_report", payload)


def _figure(value: float, unit: str) -> str:
    return f"{value:.3g} {unit}"


def _tested_items(
    hazard: str, failing: int, margins: Sequence[float], rng: random.Random
) -> list[dict[str, Any]]:
    """Every item of the hazard, the first `failing` of a shuffled order failing by
    `margins` (in order), the others passing within 50-95% of their limit."""
    items = list(_ITEMS[hazard])
    rng.shuffle(items)
    out = []
    for j, (clause, name, limit, unit, bound) in enumerate(items):
        fails = j < failing
        entry: dict[str, Any] = {"clause": clause, "item": name}
        entry["verdict"] = "fail" if fails else "pass"
        if limit is not None:
            share = rng.uniform(0.5, 0.95)
            if fails:
                share = 1 + margins[j]
            if bound == "min":  # a minimum: failing falls short of it, passing exceeds it
                share = 2 - share if fails else 1 / share
            entry["measured"] = _figure(limit * max(share, 0.0), unit)
            entry["limit"] = ("≤ " if bound == "max" else "≥ ") + _figure(limit, unit)
        out.append(entry)
    return out


def _failure_items(hazard: str, origin: str, rng: random.Random) -> list[dict[str, Any]]:
    """A failing sample's items: `origin` is "defect", "borderline" or "lab_error"."""
    if origin == "borderline":
        failing, margins = 1, [rng.uniform(0.0, FALSE_MARGIN_MAX)]
    else:
        second = TRUE_SECOND_ITEM if origin == "defect" else LAB_ERROR_SECOND_ITEM
        failing = min(len(_ITEMS[hazard]), 2 if rng.random() < second else 1)
        margins = [
            rng.lognormvariate(math.log(TRUE_MARGIN_MEDIAN), TRUE_MARGIN_SIGMA)
            for _ in range(failing)
        ]
    return _tested_items(hazard, failing, margins, rng)


def _sample(
    n: int,
    p: SimProduct,
    day: int,
    hazard: str | None,
    items: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    at = (START + timedelta(days=day, minutes=n % 600)).isoformat()
    payload = {
        "sampled_at": at,
        "items": items or [{"clause": "5.1", "verdict": "fail" if hazard else "pass"}],
        "hazards": [hazard or _CATEGORIES[p.category][1][0]],
        "vulnerable_users": p.category == "children",
        "product": {"category": p.category, "manufacturer_code": p.key[:18]},
    }
    return _record(n, p, at, "sampling_result", payload)


def _record(n: int, p: SimProduct, at: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "event": {
            "event_id": f"00000000-0000-4000-8000-{n:012d}",
            "type": kind,
            "jurisdiction": "110105",
            "sent_at": at,
            "payload": payload,
        },
        "product_key": p.key,
        "received_at": at,
        "source": {"topic": "intake.raw", "partition": 0, "offset": n},
    }


_REFAIL = {"defect": REFAIL_TRUE, "borderline": REFAIL_BORDERLINE, "lab_error": REFAIL_LAB_ERROR}


def _lab_samples(
    n: int, p: SimProduct, day: int, hazard: str, days: int, lab: random.Random
) -> list[tuple[int, dict[str, Any]]]:
    """The serious failure on `day` (records numbered from n + 1) and, in `RESAMPLE_SHARE`
    of cases, a follow-up sample 30-90 days later (if within the run), failing again at the
    rate of the failure's origin."""
    origin = "defect" if p.kind != "none" else "borderline"
    if origin == "borderline" and lab.random() < LAB_ERROR_SHARE:
        origin = "lab_error"
    out = [(day, _sample(n + 1, p, day, hazard, _failure_items(hazard, origin, lab)))]
    if lab.random() < RESAMPLE_SHARE:
        again = day + lab.randint(30, 90)
        fails = lab.random() < _REFAIL[origin]
        items = _failure_items(hazard, origin, lab) if fails else _tested_items(hazard, 0, (), lab)
        if again < days:
            out.append((again, _sample(n + 2, p, again, hazard if fails else None, items)))
    return out


def _events(
    products: Sequence[SimProduct], days: int, rng: random.Random, lab: random.Random
) -> tuple[dict[int, list[tuple[int, dict[str, Any]]]], dict[int, int]]:
    """Canonical records per day, and each defect's first evidence day (product index -> day).

    `lab` draws what failed samples carry (items, margins, follow-up samples): a generator of
    its own, so the products, injuries and failure days are the same as without them."""
    by_day: dict[int, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    first: dict[int, int] = {}
    n = 0
    for i, p in enumerate(products):
        hazards = _CATEGORIES[p.category][0]
        names, weights = list(hazards), list(hazards.values())
        for day in range(days):
            for _ in range(_poisson(rng, p.base_rate)):
                n += 1
                hazard = rng.choices(names, weights)[0]
                disposition = _pick(rng, _BACKGROUND_DISPOSITIONS)
                by_day[day].append((i, _injury(n, p, day, hazard, disposition)))
            if p.defect_rate and day >= p.onset:
                for _ in range(_poisson(rng, p.defect_rate)):
                    n += 1
                    disposition = _pick(rng, _DEFECT_DISPOSITIONS)
                    by_day[day].append((i, _injury(n, p, day, p.defect_hazard, disposition)))
                    first.setdefault(i, day)
            if rng.random() < 1 / 90:  # routine purchase sampling that passes
                n += 1
                by_day[day].append((i, _sample(n, p, day, None)))
        if p.failure_day is not None:
            hazard = p.defect_hazard or rng.choice(_CATEGORIES[p.category][1])
            for day, record in _lab_samples(n, p, p.failure_day, hazard, days, lab):
                n += 1
                by_day[day].append((i, record))
            if p.kind != "none":
                first[i] = min(first.get(i, p.failure_day), p.failure_day)
        if p.minor_failure_day is not None:
            n += 1
            items = _tested_items("cuts", 1, (0.0,), lab)
            by_day[p.minor_failure_day].append(
                (i, _sample(n, p, p.minor_failure_day, "cuts", items))
            )
    for records in by_day.values():
        records.sort(key=lambda r: r[1]["event"]["payload"].get("occurred_at") or "")
    return by_day, first


def _disproportionality(
    window: Sequence[tuple[int, str, str, str]],
) -> dict[str, dict[str, DisproportionalityEvidence]]:
    """The weekly job: every (product, hazard) pair of a category against the category, over
    the window's injuries `(day, category, product_key, hazard)`; pairs with 3+ reports."""
    counts = Counter((cat, key, hazard) for _, cat, key, hazard in window)
    per_product: Counter[tuple[str, str]] = Counter()
    per_hazard: Counter[tuple[str, str]] = Counter()
    per_category: Counter[str] = Counter()
    for (cat, key, hazard), a in counts.items():
        per_product[cat, key] += a
        per_hazard[cat, hazard] += a
        per_category[cat] += a
    out: dict[str, dict[str, DisproportionalityEvidence]] = {}
    for (cat, key, hazard), a in counts.items():
        if a < DP_MIN_CASES:
            continue
        b = per_product[cat, key] - a
        c = per_hazard[cat, hazard] - a
        table = Table2x2(a, b, c, per_category[cat] - a - b - c)
        r = judge_table(table)
        out.setdefault(key, {})[hazard] = DisproportionalityEvidence(
            hazard, a, table.expected, r.prr.prr, r.prr.chi2_yates, r.ror.lower, r.ic.ic025,
            r.criteria_met, DP_WINDOW_DAYS,
        )  # fmt: skip
    return out


def _replay(
    products: Sequence[SimProduct],
    by_day: dict[int, list[tuple[int, dict[str, Any]]]],
    days: int,
    progress: Callable[[int], None] | None,
) -> list[_Trace]:
    """Every day's records through the live use case, product by product; the traces."""
    states: list[bytes | None] = [None] * len(products)
    traces = [_Trace() for _ in products]
    injuries: list[tuple[int, str, str, str]] = []
    dp: dict[str, dict[str, DisproportionalityEvidence]] = {}
    for day in range(days):
        if day % DP_EVERY_DAYS == 0:
            injuries = [r for r in injuries if r[0] > day - DP_WINDOW_DAYS]
            dp = _disproportionality(injuries)
        now = START + timedelta(days=day, hours=12)
        batches: dict[int, list[Any]] = defaultdict(list)
        for i, record in by_day.get(day, ()):
            case = case_from_canonical(record, now.timestamp(), now)
            if case is None:
                continue
            batches[i].append(case)
            if case.event_type == "injury_report":
                injuries.append((day, case.category, case.product_key, case.hazards[0]))
        for i, cases in batches.items():
            p = products[i]
            state = ProductRiskState.from_bytes(states[i])
            result = assess(state, cases, p.units, now, disproportionality=dp.get(p.key))
            states[i] = state.to_bytes()
            if result.score is not None:
                trace = traces[i].values
                trace[FUSED].append((day, result.score.score))
                corroboration = sum(
                    c.points for c in result.score.contributions if c.key == "corroboration"
                )
                trace[WITHOUT_CORROBORATION].append((day, result.score.score - corroboration))
                for c in result.score.contributions:
                    trace[c.key].append((day, c.points))
        if progress is not None:
            progress(day + 1)
    return traces


def _open(traces: Sequence[_Trace], method: str, k: int) -> dict[int, int]:
    """Products opened by `method` at K investigations: index -> the day opened."""
    reached: list[tuple[float, int, int]] = []  # (-peak, day the peak was first reached, index)
    for i, trace in enumerate(traces):
        series = trace.values.get(method, [])
        peak = max((v for _, v in series), default=0.0)
        if peak > 0:
            reached.append((-peak, next(d for d, v in series if v >= peak), i))
    reached.sort()
    chosen = reached[:k]
    if not chosen:
        return {}
    theta = -chosen[-1][0]
    return {i: next(d for d, v in traces[i].values[method] if v >= theta) for _, _, i in chosen}


def evaluate(traces: Sequence[_Trace], first: dict[int, int], k: int) -> tuple[MethodResult, ...]:
    """Each method opening K investigations (`first`: each defect's first evidence day)."""
    out = []
    for method in METHODS:
        opened = _open(traces, method, k)
        delays = [max(0, day - first[i]) for i, day in opened.items() if i in first]
        out.append(
            MethodResult(
                method,
                len(opened),
                len(delays),
                sum(d <= FOUND_WITHIN_DAYS for d in delays),
                sum(d <= FOUND_SOON_DAYS for d in delays),
                statistics.median(delays) if delays else None,
                tuple(sorted(opened.items())),
                tuple(sorted(delays)),
            )
        )
    return tuple(out)


def delay_curve(result: MethodResult) -> tuple[int, ...]:
    """Defects found within each of `CURVE_DAYS` of their first evidence, then at all."""
    return (*(sum(d <= t for d in result.delays) for t in CURVE_DAYS), len(result.delays))


def head_to_head(
    a: MethodResult, b: MethodResult, defects: Collection[int]
) -> tuple[int, int, int]:
    """Of the `defects` (product indices) both methods open: (a first, same day, b first)."""
    days_a, days_b = dict(a.opened_days), dict(b.opened_days)
    diff = [days_a[i] - days_b[i] for i in days_a if i in days_b and i in defects]
    return sum(d < 0 for d in diff), sum(d == 0 for d in diff), sum(d > 0 for d in diff)


def run_fusion_benchmark(
    products: int = 400,
    days: int = 180,
    seed: int = 20261130,
    defect_share: float = 0.15,
    progress: Callable[[int], None] | None = None,
    budget: float = 1.0,
) -> RunResult:
    """One seeded run: simulate, replay through `assess`, open K per method, count.

    K = `budget` x the defects with evidence in the run (1.0: a perfect method finds them all
    and opens nothing else)."""
    rng = random.Random(seed)
    sim = simulate(products, days, defect_share, rng)
    by_day, first = _events(sim, days, rng, random.Random(seed + LAB_SEED_OFFSET))
    traces = _replay(sim, by_day, days, progress)
    k = round(budget * len(first))
    return RunResult(
        seed,
        products,
        len(first),
        k,
        sum(len(v) for v in by_day.values()),
        evaluate(traces, first, k),
        frozenset(first),
    )


@dataclass(frozen=True, slots=True)
class Spread:
    """One method's figures over the runs: per run, and their low and high."""

    method: str
    opened: tuple[int, ...]
    found: tuple[int, ...]
    found_early: tuple[int, ...]
    found_soon: tuple[int, ...]
    median_delay: tuple[float | None, ...]


def spread(runs: Sequence[RunResult]) -> list[Spread]:
    """Each method's figures across the runs, in `METHODS` order."""
    return [
        Spread(
            method,
            tuple(r.methods[i].opened for r in runs),
            tuple(r.methods[i].found for r in runs),
            tuple(r.methods[i].found_early for r in runs),
            tuple(r.methods[i].found_soon for r in runs),
            tuple(r.methods[i].median_delay for r in runs),
        )
        for i, method in enumerate(METHODS)
    ]


def main(argv: Sequence[str] | None = None) -> None:
    """Print, per seed, the delay curve of the fused score and of sampling alone, and the
    head-to-head on the defects both open (`[products] [runs]`, defaults 400 and 3)."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    products = int(args[0]) if args else 400
    runs = int(args[1]) if len(args) > 1 else 3
    days = ", ".join(map(str, CURVE_DAYS))
    print(f"found within {days} days / at all; opened by both: fused first / same day / later")
    for seed in range(20261130, 20261130 + runs):
        r = run_fusion_benchmark(products, seed=seed)
        by = {m.method: m for m in r.methods}
        fused, sampling = by[FUSED], by["sampling"]
        curves = " | ".join(
            f"{m.method} " + " / ".join(map(str, delay_curve(m))) for m in (fused, sampling)
        )
        first, same, later = head_to_head(fused, sampling, r.defect_indices)
        print(f"{products}, {seed}, K = {r.k}: {curves} | both: {first} / {same} / {later}")


if __name__ == "__main__":
    main()

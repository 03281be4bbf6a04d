"""`recall bench state`: memory of the per-product risk state for many products, in process.

Builds realistic `product_to_risk` values (a product with one or two hazards, a learned
baseline, a few open days and recent event ids), holds them as the Faust memory store would
(key → bytes), and reports the resident size per product and for 1,000,000 products, plus the
decode/encode rate (the cost of a changelog replay on restart, per record).
"""

from __future__ import annotations

import gc
import random
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass

import orjson

from recall.domain.risk.severity import SeverityAssessment
from recall.service.risk.assessment import assess
from recall.service.risk.cases import Case
from recall.service.risk.state import ProductRiskState


@dataclass(frozen=True, slots=True)
class StateBenchResult:
    products: int
    bytes_per_product: float
    projected_gib_for_1m: float
    mean_value_bytes: float
    decode_encode_per_s: float


def realistic_state(rng: random.Random, index: int) -> bytes:
    """A serialised `product_to_risk` value as a product with a few injury cases leaves it."""
    state = ProductRiskState()
    key = f"91140105MA0K{index:06d}/brand/model-{index}"
    day0 = 20_000
    hazards = ["burns"] if rng.random() < 0.7 else ["burns", "mechanical"]
    cases = [
        Case(
            f"{index}-{n}",
            "injury_report",
            key,
            "appliances",
            "140100",
            day0 + rng.randint(0, 200),
            None,
            (rng.choice(hazards),),
            SeverityAssessment(rng.choice((1, 2, 2, 3)), ("r",)),
        )
        for n in range(rng.randint(1, 6))
    ]
    assess(state, sorted(cases, key=lambda c: c.day), units_in_use=10_000)
    return state.to_bytes()


def run_state_benchmark(
    products: int, progress: Callable[[int], None] | None = None
) -> StateBenchResult:
    rng = random.Random(5)
    templates = [realistic_state(rng, i) for i in range(2000)]
    gc.collect()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    store: dict[str, bytes] = {}
    for i in range(products):
        # Distinct keys and distinct value objects, as a store holds them.
        value = bytes(bytearray(templates[i % len(templates)]))  # a copy: bytes(b) is b itself
        store[f"91140105MA0K{i:06d}/brand/model-{i}"] = value
        if progress and i % 10_000 == 9_999:
            progress(10_000)
    used, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    per = (used - base) / products
    started = time.perf_counter()
    sample = templates * 5
    for value in sample:
        ProductRiskState.from_bytes(value).to_bytes()
    rate = len(sample) / (time.perf_counter() - started)
    mean_value = sum(len(v) for v in templates) / len(templates)
    del store
    return StateBenchResult(
        products,
        round(per, 1),
        round(per * 1_000_000 / 2**30, 3),
        round(mean_value, 1),
        round(rate, 1),
    )


def result_json(result: StateBenchResult) -> bytes:
    return orjson.dumps(asdict(result), option=orjson.OPT_INDENT_2)

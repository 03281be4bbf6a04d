"""The in-process risk CPU harness measures real work: every record is read and assessed.

`recall.tools.bench.risk_cpu` is only worth its figures if the records it builds are what
`assess_risk` reads (none set aside), each product gets its state, and the cases reach the
regional stage.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from recall.tools.bench.risk_cpu import make_messages, run_once


def test_a_run_assesses_every_record_into_its_products_state() -> None:
    figures = run_once(600, batch=80, seed=3)

    assert figures.dead_letters == 0
    assert figures.regional > 0
    assert figures.cpu_us > 0
    messages = make_messages(600, 3, datetime.now(UTC))  # the same products: same seed
    products = {json.loads(m.value)["product_key"] for m in messages}
    assert figures.states == len(products)

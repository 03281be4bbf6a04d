"""How far past its limit a failed test item measured: a strict, pure parser of lab figures.

Why: a purchase-sampling report gives, per tested item, what was measured and the limit, as
free text (`schemas.sampling.ClauseResult.measured` / `.limit`). A borderline batch fails one
item just past its limit; a defective design typically fails by a wide margin. The margin
(relative excess over the limit) is evidence that tells the two apart on the failure day,
which the fused score uses (`recall.domain.risk.score`, docs/risk-model.md §5).

Strict on purpose: only "[comparator] number [unit]" is read — e.g. "0.9 mA", "≤ 0.75 mA",
"<= 30 s", "max 220 mm", "≥ 90 N". Anything else (words, ranges, two numbers, "fits the
cylinder", thousands separators, exponents) is not a measurement, and the margin is None —
never an error: the lab's text is untrusted and unknown evidence must weigh as unknown, not
as marginal. Units must be written identically (case-sensitive after trimming: "mA" is not
"A", "mm" is not "cm"); no conversion is attempted, so a mismatch is no margin.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

MAX_TEXT_CHARS = 64
"""Longer text is not a single figure; it is not read (and bounds the regex's work)."""

_COMPARATORS = {
    "≤": "max",
    "<=": "max",
    "<": "max",
    "max": "max",
    "max.": "max",
    "≥": "min",
    ">=": "min",
    ">": "min",
    "min": "min",
    "min.": "min",
}
_QUANTITY = re.compile(
    r"(?P<cmp>≤|≥|<=|>=|<|>|max\.?|min\.?)?\s*"
    r"(?P<num>[+-]?(?:\d+(?:\.\d+)?|\.\d+))\s*"
    r"(?P<unit>[A-Za-zµμΩ°%/²³·]+(?:\s?[A-Za-zµμΩ°%/²³·]+)?)?"
)


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with its unit as written ("" when none) and, for a limit, its direction:
    "max" (the measurement must not exceed it), "min" (must not fall below), "" (unstated)."""

    value: float
    unit: str
    bound: str = ""


def parse_quantity(text: object) -> Quantity | None:
    """The quantity `text` states, or None when it is not exactly one figure (see module)."""
    if type(text) is not str or len(text) > MAX_TEXT_CHARS:
        return None
    match = _QUANTITY.fullmatch(text.strip())
    if match is None:
        return None
    value = float(match["num"])
    if not math.isfinite(value):
        return None
    cmp = match["cmp"]
    return Quantity(value, (match["unit"] or "").strip(), _COMPARATORS[cmp] if cmp else "")


def failure_margin(measured: object, limit: object) -> float | None:
    """How far past `limit` a failed item's `measured` value lies, relative to the limit:
    0.1 is 10% past it. None when either is not a figure, the units differ, the limit is 0,
    the measurement states a bound itself, or the measurement is on the passing side of a
    stated bound (the figures contradict the verdict: no evidence either way)."""
    m, lim = parse_quantity(measured), parse_quantity(limit)
    if m is None or lim is None or m.bound or m.unit != lim.unit or lim.value == 0:
        return None
    excess = m.value - lim.value
    if lim.bound == "min":
        excess = -excess
    elif not lim.bound:
        excess = abs(excess)
    if excess < 0:
        return None
    return excess / abs(lim.value)
